// How it went: the exit code of `submit`/`status`, and the closing summary (each proc's exit,
// wall time, its transfer_output_files with sizes, the end of `error` for failed procs).
import { statSync } from 'node:fs';
import { jobTextFor } from '../job-text.ts';
import type { Palette } from '../term.ts';
import { displayPath } from '../workspace.ts';
import { formatBytes } from '../format.ts';
import { formatDuration } from './format.ts';
import { memoryUse, type JobState, type JobTable } from './job-state.ts';
import { holdHint } from './hold-hints.ts';
import { procUsage, summarizeUsage, usageLines } from './usage.ts';
import { tailTextLines } from './progress.ts';
import { outputPlace } from './results.ts';
import type { TrackResult } from './tracker.ts';
import type { ProcRecord } from './job-store.ts';

/** Exit codes, documented in docs/submit.md. */
export const EXIT_HELD_OR_REMOVED = 2;
export const EXIT_INTERRUPTED = 130;

function failed(job: JobState): boolean {
  return job.state === 'completed' && (job.exitCode !== 0 || job.signal !== null);
}

/**
 * 0 when every proc completed with return value 0; 2 when a proc was held (past the timeout)
 * or removed; otherwise the single proc's return value (128 + signal when killed), or 1.
 */
export function exitCodeFor(result: TrackResult): number {
  if (result.outcome === 'interrupted') return EXIT_INTERRUPTED;
  if (result.outcome === 'held-timeout' || result.outcome === 'vanished') return EXIT_HELD_OR_REMOVED;
  // From the table's counts: no walk over the procs.
  const table = result.table;
  const counts = table.counts();
  if (table.size === 0) return 1;
  if (counts.removed > 0 || counts.held > 0) return EXIT_HELD_OR_REMOVED;
  if (counts.completed !== table.size) return 1; // --once on unfinished jobs: not a success yet
  if (table.failed === 0) return 0;
  if (table.size === 1) {
    const job = table.list()[0]!;
    return job.signal !== null ? 128 + job.signal : job.exitCode || 1;
  }
  return 1;
}

/** The last `count` non-blank whole lines of the file's last 64 KiB (a regular file only, never waited on). */
function lastLines(path: string, count: number): string[] | null {
  return (
    tailTextLines(path, 64 * 1024)
      ?.filter((l) => l.trim() !== '')
      .slice(-count) ?? null
  );
}

/** The file's size; null when it is a folder or cannot be seen (missing, no permission, a link loop). */
function sizeOf(path: string): number | null {
  try {
    const s = statSync(path, { throwIfNoEntry: false });
    return !s || s.isDirectory() ? null : s.size;
  } catch {
    return null;
  }
}

/** Procs listed one by one up to this many; beyond it, only those that did not succeed. */
const LISTED_PROCS = 20;
const LISTED_OUTPUTS = 10;

function verdict(job: JobState): string {
  if (job.state === 'completed')
    return job.signal !== null ? `killed by signal ${job.signal}` : `exit ${job.exitCode ?? '?'}`;
  if (job.state === 'removed') return `removed${job.lastMessage ? ` (${job.lastMessage})` : ''}`;
  // The reason was shown as the hold happened (the view, or its change line): name the cause here.
  if (job.state === 'held')
    return `held (${holdHint(job.holdCode, job.holdSubcode, job.holdReason).cause}, code ${job.holdCode ?? '?'} subcode ${job.holdSubcode ?? '?'})`;
  return job.state;
}

/** `4242.0  exit 0  wall 5m12s  gpu2000  memory 1707 MB of 1024 requested`. */
function procLine(job: JobState, paint: Palette): string {
  const parts = [job.id.padEnd(10), verdict(job)];
  // Every start counts: a job restarted from checkpoints ran for the sum of its runs.
  const ranMs = procUsage(job).wallMs;
  if (ranMs !== null && job.endedAt !== null) parts.push(`wall ${formatDuration(ranMs)}`);
  if (job.host) parts.push(job.host);
  const memory = memoryUse(job);
  if (memory?.usedMb != null && memory.requestedMb != null) {
    const over = memory.usedMb > memory.requestedMb;
    parts.push(
      (over ? paint.yellow : paint.dim)(
        `memory ${memory.usedMb} MB of ${memory.requestedMb} requested${over ? ' (over the request)' : ''}`,
      ),
    );
  }
  if (job.checkpoints > 0) parts.push(paint.dim(`${job.checkpoints} checkpoint${job.checkpoints === 1 ? '' : 's'}`));
  if (job.starts > 1) parts.push(paint.dim(`${job.starts - 1} restart${job.starts === 2 ? '' : 's'}`));
  if (job.evictions > 0) parts.push(paint.dim(`evicted ${job.evictions}×`));
  if (job.holds > 0 && job.state !== 'held') parts.push(paint.dim(`held ${job.holds}×`));
  const colour =
    failed(job) || job.state === 'removed' || job.state === 'held'
      ? paint.red
      : job.state === 'completed'
        ? paint.green
        : (t: string) => t;
  return colour(`  ${parts.join('  ')}`);
}

/** One line for many procs: how many ended how, and the spread of wall times (from the table's counts and columns). */
function countsSummary(table: JobTable): string {
  const counts = table.counts();
  const parts = [`${counts.completed - table.failed} exit 0`];
  if (table.failed > 0) parts.push(`${table.failed} failed`);
  for (const state of ['removed', 'held', 'running', 'idle', 'suspended'] as const)
    if (counts[state] > 0) parts.push(`${counts[state]} ${state}`);
  const walls = table.wallTimes();
  const spread =
    walls.length > 0
      ? `; wall ${formatDuration(walls[0]!)} to ${formatDuration(walls[walls.length - 1]!)}, median ${formatDuration(walls[Math.floor(walls.length / 2)]!)}`
      : '';
  return `${table.size} procs: ${parts.join(', ')}${spread}`;
}

/**
 * Each transfer_output_files path once, with its size. Procs that name the same path (no
 * $(Process) in it) overwrite each other's copy on the access point: say so.
 */
async function outputLines(
  table: JobTable,
  byProc: Map<number, ProcRecord>,
  root: string,
  paint: Palette,
): Promise<string[]> {
  const writers = new Map<string, number>();
  if (byProc.size > 0)
    table.forEachJob((job) => {
      const proc = byProc.get(job.proc);
      if (job.state !== 'completed' || !proc) return;
      for (const file of proc.transferOutputFiles ?? []) {
        const path = outputPlace(proc, file);
        if (path === null) continue; // sent to a URL (output_destination): not on this machine
        writers.set(path, (writers.get(path) ?? 0) + 1);
      }
    });
  if (writers.size === 0) return [];
  const lines = [paint.bold('outputs')];
  let missing = 0;
  let shown = 0;
  for (const [path, count] of writers) {
    const size = sizeOf(path);
    if (size === null) missing++;
    if (shown >= LISTED_OUTPUTS) continue;
    shown++;
    const shared =
      count > 1
        ? paint.yellow(
            `  (named by ${count} procs: each copy replaced the last; put $(Process) in the name to keep them all)`,
          )
        : '';
    lines.push(
      `  ${displayPath(root, path)}  ${size === null ? paint.yellow('not found') : formatBytes(size)}${shared}`,
    );
  }
  if (writers.size > shown)
    lines.push(paint.dim(`  … ${writers.size - shown} more files${missing > 0 ? `, ${missing} not found` : ''}`));
  return lines;
}

/**
 * The closing summary: a line per proc (exit or signal, wall time, host, memory against the
 * request), only the unsuccessful ones when there are many; the end of `error` for failed and
 * held procs; then each output file once, with its size. Hold hints are not repeated here:
 * the held-timeout message carries the hint.
 */
export async function summaryLines(
  result: TrackResult,
  procs: ProcRecord[] | null,
  root: string,
  paint: Palette,
): Promise<string[]> {
  const table = result.table;
  if (table.size === 0) return ['no jobs in the log yet'];
  const byProc = new Map((procs ?? []).map((p) => [p.proc, p]));
  const many = table.size > LISTED_PROCS;
  const lines = [paint.bold(many ? `summary: ${countsSummary(table)}` : 'summary')];
  // The job wrote its error file: tokens masked, escape sequences shown, never sent raw.
  const jobText = jobTextFor(root);
  // Many procs: only those that did not succeed, found without keeping a view of every proc.
  const listed = many ? table.unsuccessful(LISTED_PROCS) : { jobs: table.list(), total: table.size };
  for (const job of listed.jobs.slice(0, LISTED_PROCS)) {
    lines.push(procLine(job, paint));
    const proc = byProc.get(job.proc);
    if ((failed(job) || job.state === 'held') && proc?.error) {
      const tail = lastLines(proc.error, many ? 3 : 10);
      if (tail && tail.length > 0) {
        lines.push(paint.dim(`    last lines of ${displayPath(root, proc.error)}:`));
        for (const line of tail) lines.push(`      ${jobText(line)}`);
      }
    }
  }
  if (listed.total > LISTED_PROCS) {
    let cluster = 0;
    table.forEachJob((job) => {
      cluster = job.cluster;
      return false;
    });
    lines.push(
      paint.dim(
        `  … ${listed.total - LISTED_PROCS} more; \`pixi run status ${cluster} --once --json\` lists every proc`,
      ),
    );
  }
  const usage = summarizeUsage(result.table);
  if (usage) lines.push(...usageLines(usage));
  if (result.junk > 0)
    lines.push(
      paint.yellow(
        `  skipped ${result.junk} unreadable event${result.junk === 1 ? '' : 's'} (not HTCondor's format)${result.junkSamples?.[0] ? `, e.g. ${result.junkSamples[0]}` : ''}`,
      ),
    );
  lines.push(...(await outputLines(table, byProc, root, paint)));
  return lines;
}
