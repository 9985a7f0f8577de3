// What the user watches. In a terminal: a block redrawn in place (a row per proc, or grouped
// counts with a progress bar when there are more procs than rows). Elsewhere (CI logs, pipes):
// one plain line per state change, never a cursor escape (libraries.md §8).
import type { Palette } from '../term.ts';
import { clock, fit, formatDuration, wrap } from './format.ts';
import { holdHint, holdText, IDLE_NOTE_AFTER_MS, idleHint } from './hold-hints.ts';
import { requeueMessage, type JobState, type JobTable, type StateChange, type StateName } from './job-state.ts';
import { progressText as progressWords } from './progress.ts';
import { trendOf } from './loss-trend.ts';

export interface ViewContext {
  title: string;
  now: number;
  width: number;
  height: number;
  paint: Palette;
  /** Lines shown under the title, e.g. "waiting for mnist_gpu_42_0.log.txt to appear". */
  notes: string[];
  /** Each proc's queue variables (a sweep's row), shown next to its progress. */
  procVars?: Map<number, Record<string, string> | null>;
  /**
   * Takes the lines so far and the rows a batch at a time (a --once snapshot of 100,000 rows is
   * written as it is made, never held whole); renderView then returns only the lines after them.
   */
  sink?: (lines: string[]) => void;
  /** A `submit --local` job: hold hints name the local commands. */
  local?: { cluster: number } | undefined;
}

/** Rows handed to ViewContext.sink at a time. */
const SINK_ROWS = 1000;

const STATE_ORDER: StateName[] = ['held', 'running', 'suspended', 'idle', 'completed', 'removed'];
/** Fits `output transfer`. */
const STATE_WIDTH = 17;

// (`state`: job.state, when the caller has read it: a 100,000-row snapshot reads each column once a row.)
function stateLabel(job: JobState, state: StateName): string {
  const activity = job.activity;
  if (activity === 'transferring-input') return 'input transfer';
  if (activity === 'transferring-output') return 'output transfer';
  return state;
}

function exitLabel(job: JobState, state: StateName): string {
  if (state === 'removed') return 'removed';
  if (job.signal !== null) return `signal ${job.signal}`;
  if (job.exitCode !== null) return String(job.exitCode);
  return '';
}

const asItIs = (s: string): string => s;

/** A row's colour by its state; uncoloured (a pipe, a file), none looked up: the job's state is not even read. */
function colourFor(paint: Palette, job: Pick<JobState, 'state' | 'exitCode' | 'signal'>): (s: string) => string {
  if (!paint.on) return asItIs;
  if (
    job.state === 'held' ||
    job.state === 'removed' ||
    (job.state === 'completed' && (job.exitCode !== 0 || job.signal !== null))
  )
    return paint.red;
  if (job.state === 'completed') return paint.green;
  if (job.state === 'running') return paint.cyan;
  if (job.state === 'idle' || job.state === 'suspended') return paint.yellow;
  return asItIs;
}

/** `[####====----]`: ended (#), running (=), waiting (-); coloured the same way as the rows. */
export function progressBar(counts: Record<StateName, number>, width: number, paint?: Palette): string {
  const total = STATE_ORDER.reduce((sum, s) => sum + counts[s], 0);
  if (total === 0 || width < 3) return '';
  const inner = width - 2;
  const done = Math.round(((counts.completed + counts.removed) / total) * inner);
  const running = Math.min(inner - done, Math.round((counts.running / total) * inner));
  const plain = (t: string): string => t;
  return `[${(paint?.green ?? plain)('#'.repeat(done))}${(paint?.cyan ?? plain)('='.repeat(running))}${'-'.repeat(inner - done - running)}]`;
}

/** `12 of 60 ended (# ended, = running, - waiting)`: what the bar shows, in words. */
function progressText(counts: Record<StateName, number>): string {
  const total = STATE_ORDER.reduce((sum, s) => sum + counts[s], 0);
  return `${counts.completed + counts.removed} of ${total} ended  (# ended, = running, - waiting)`;
}

export function countsLine(counts: Record<StateName, number>): string {
  const total = STATE_ORDER.reduce((sum, s) => sum + counts[s], 0);
  const parts = STATE_ORDER.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return `${total} proc${total === 1 ? '' : 's'}: ${parts.join(', ') || 'none yet'}`;
}

/**
 * Notes under a table: hold reasons with hints, long idle waits, wrapped to the width (a
 * hold reason's end, e.g. `No such file or directory`, is what the user needs) and kept
 * within `limit` lines. One hint per distinct cause.
 */
function jobNotes(
  held: JobState[],
  waiting: IdleWait,
  now: number,
  width: number,
  limit: number,
  local?: { cluster: number },
): string[] {
  const lines: string[] = [];
  const seenHints = new Set<string>();
  const add = (text: string, indent: string, maxLines: number): void => {
    lines.push(...wrap(text, width, indent, Math.min(maxLines, limit - lines.length)));
  };
  for (const job of held) {
    if (lines.length >= limit) break;
    add(`${job.id} held: ${holdText(job.holdReason, job.holdCode, job.holdSubcode)}`, '    ', 6);
    const hint = holdHint(job.holdCode, job.holdSubcode, job.holdReason, job.id, local);
    if (!seenHints.has(hint.cause) && lines.length < limit) {
      seenHints.add(hint.cause);
      lines.push(
        ...wrap(`hint (${hint.cause}): ${hint.hint}`, width - 2, '  ', Math.min(4, limit - lines.length)).map(
          (l) => `  ${l}`,
        ),
      );
    }
  }
  // Long idle waits: one note for them all (a sweep's queued procs would otherwise fill the view).
  if (waiting.count === 1 && lines.length < limit) {
    const job = waiting.first!;
    add(`${job.id} idle for ${formatDuration(now - job.since)}: ${idleHint(job.id)}`, '    ', 3);
  } else if (waiting.count > 1 && lines.length < limit) {
    add(
      `${waiting.count} procs idle for up to ${formatDuration(waiting.longestMs)} (${waiting.first!.id} … ${waiting.last!.id}): ${idleHint(waiting.first!.id)}`,
      '    ',
      3,
    );
  }
  return lines;
}

/** Grouped rows: at most this many of each group are looked at per frame (the rest only counted). */
const GROUP_ROWS = 200;

/**
 * The block drawn in a terminal. Every line fits `width`, so the redraw can count lines. A job
 * of more procs than rows is drawn from the table's counts and groups (held, failed, running),
 * never by walking every proc: a frame of 100,000 procs costs what one of a hundred does.
 */
export function renderView(table: JobTable, ctx: ViewContext): string[] {
  const { paint, width, now } = ctx;
  const counts = table.counts();
  const lines: string[] = [paint.bold(fit(ctx.title, width)), ...ctx.notes.map((n) => paint.dim(fit(n, width)))];
  const noteLimit = Math.max(6, Math.min(14, Math.floor(ctx.height / 2)));
  const notes = jobNotes(table.pick('held', noteLimit), idleWait(table, now), now, width, noteLimit, ctx.local);
  const header = `${'JOB'.padEnd(12)} ${'STATE'.padEnd(STATE_WIDTH)} ${'IN STATE'.padStart(8)}  ${'EXIT'.padEnd(9)} HOST`;
  const room = ctx.height - lines.length - notes.length - 4;
  if (table.size <= Math.max(room, 1)) {
    lines.push(paint.dim(fit(header, width)));
    table.forEachJob((job) => {
      lines.push(colourFor(paint, job)(fit(row(job, now, ctx.procVars), width)));
      if (ctx.sink && lines.length >= SINK_ROWS) ctx.sink(lines.splice(0));
    });
    if (ctx.sink) ctx.sink(lines.splice(0));
  } else {
    // Grouped: counts, a bar, then the procs worth looking at (held, failed, running) as room allows.
    lines.push(fit(countsLine(counts), width));
    const barWidth = Math.max(3, Math.min(width, 100) - 50);
    lines.push(progressBar(counts, barWidth, paint) + ' ' + fit(progressText(counts), width - barWidth - 1));
    const total = table.groupSize('held') + table.groupSize('failed') + table.groupSize('running');
    const shown = Math.max(0, Math.min(total, room - 3));
    if (shown > 0) {
      const interesting: JobState[] = [];
      for (const group of ['held', 'failed', 'running'] as const)
        if (interesting.length < shown)
          interesting.push(...table.pick(group, Math.min(shown - interesting.length, GROUP_ROWS)));
      lines.push(paint.dim(fit(header, width)));
      for (const job of interesting.slice(0, shown))
        lines.push(colourFor(paint, job)(fit(row(job, now, ctx.procVars), width)));
      if (total > shown) lines.push(paint.dim(`… ${total - shown} more`));
    }
  }
  if (notes.length > 0) lines.push('', ...notes.map((n) => paint.yellow(n)));
  return lines;
}

/** Procs idle for long without ever starting: how many, the longest wait, the first and last. */
interface IdleWait {
  count: number;
  longestMs: number;
  first: JobState | null;
  last: JobState | null;
}

/**
 * From the idle group (procs that are idle now), reading only its members' columns; the
 * first and last by id among them.
 */
function idleWait(table: JobTable, now: number): IdleWait {
  const wait: IdleWait = { count: 0, longestMs: 0, first: null, last: null };
  for (const job of table.members('idle')) {
    if (job.starts !== 0 || !(now - job.since > IDLE_NOTE_AFTER_MS)) continue;
    wait.count++;
    wait.longestMs = Math.max(wait.longestMs, now - job.since);
    if (
      !wait.first ||
      job.cluster < wait.first.cluster ||
      (job.cluster === wait.first.cluster && job.proc < wait.first.proc)
    )
      wait.first = job;
    if (
      !wait.last ||
      job.cluster > wait.last.cluster ||
      (job.cluster === wait.last.cluster && job.proc > wait.last.proc)
    )
      wait.last = job;
  }
  return wait;
}

/** A column's texts padded to its width, made once per distinct text (a 100,000-row snapshot has a handful). */
function paddedColumn(width: number): (text: string) => string {
  const made = new Map<string, string>();
  return (text) => {
    let value = made.get(text);
    if (value === undefined) {
      value = text.padEnd(width);
      if (made.size < 1000) made.set(text, value);
    }
    return value;
  };
}
const stateColumn = paddedColumn(STATE_WIDTH);
const exitColumn = paddedColumn(9);
const NO_TIME = ''.padStart(8);

function row(job: JobState, now: number, procVars?: Map<number, Record<string, string> | null>): string {
  const state = job.state;
  const inState = state === 'completed' || state === 'removed' ? NO_TIME : formatDuration(now - job.since).padStart(8);
  const base = `${job.id.padEnd(12)} ${stateColumn(stateLabel(job, state))} ${inState}  ${exitColumn(exitLabel(job, state))} ${job.host ?? ''}`;
  const extra = rowExtras(job, procVars?.get(job.proc) ?? null, state);
  return extra ? `${base}  ${extra}` : base;
}

/** `lr=0.01 seed=1 · epoch 3/20 loss 0.41 · 2 checkpoints`: a proc's row values, progress, checkpoints. */
export function rowExtras(job: JobState, vars: Record<string, string> | null, state = job.state): string {
  // (Most rows have none: no array made for them.)
  const progress = state === 'running' ? job.progress : null;
  const checkpoints = job.checkpoints;
  if (!vars && !progress && checkpoints === 0) return '';
  const parts: string[] = [];
  if (vars && Object.keys(vars).length > 0)
    parts.push(
      Object.entries(vars)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    );
  if (progress) parts.push(progressWords(progress) + trendOf(job));
  if (checkpoints > 0) parts.push(`${checkpoints} checkpoint${checkpoints === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

/** What an event did, in words, for the line-per-change output. */
function changeText(change: StateChange): string {
  const { job, from, to, event } = change;
  switch (event.code) {
    case 0:
      return 'submitted (idle)';
    case 1:
      return `running on ${change.host ?? 'an execute point'}`;
    case 4: {
      // A requeue (max_retries) is a try that exited, not an eviction.
      const requeue = event.requeue();
      if (requeue) return requeueMessage(requeue, 'requeued to run again');
      return `evicted, back to idle${event.details.reason ? `: ${event.details.reason}` : ''}`;
    }
    case 5:
      return job.signal !== null
        ? `completed: killed by signal ${job.signal}`
        : `completed: exit ${job.exitCode ?? '?'}`;
    case 7:
      return `shadow exception, back to idle${event.details.reason ? `: ${event.details.reason}` : ''}`;
    case 9:
      return `removed${job.lastMessage ? `: ${job.lastMessage}` : ''}`;
    case 12:
      return 'held';
    case 13:
      return 'released, idle again';
    case 40:
      return change.activity === 'transferring-input' ? 'transferring input files' : 'transferring output files';
    default:
      return from ? `${from} → ${to}` : to;
  }
}

/** One line per change, for logs and pipes; a held job gets its reason and hint on more lines. */
export function describeChange(change: StateChange, paint: Palette, local?: { cluster: number }): string[] {
  const { job, event } = change;
  const at = Number.isFinite(event.time) ? clock(event.time) : '--:--:--';
  const lines = [
    colourFor(paint, { state: change.to, exitCode: job.exitCode, signal: job.signal })(
      `${at} ${job.id} ${changeText(change)}`,
    ),
  ];
  if (change.hold) {
    const { reason, code, subcode } = change.hold;
    lines.push(`  reason: ${holdText(reason, code, subcode)}`);
    const hint = holdHint(code, subcode, reason, job.id, local);
    lines.push(`  hint (${hint.cause}): ${hint.hint}`);
  }
  return lines;
}

/** Redraws a block in place on a terminal: cursor up over the last block, clear, write. */
export class BlockWriter {
  private drawn = 0;
  private readonly write: (text: string) => void;
  constructor(write: (text: string) => void) {
    this.write = write;
  }

  draw(lines: string[]): void {
    const up = this.drawn > 0 ? `\u001b[${this.drawn}A\r\u001b[0J` : '';
    this.write(up + lines.join('\n') + '\n');
    this.drawn = lines.length;
  }

  /** Leave the last block on screen; later output goes below it. */
  release(): void {
    this.drawn = 0;
  }
}
