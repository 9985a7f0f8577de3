// Follow a job from its event log(s) until every proc has ended, a hold outlasts the held
// timeout, or the user stops watching. The schedd is not asked while the log is readable;
// only while a log is missing does a caller-supplied probe (condor_q) say whether the job is
// still queued.
import { basename } from 'node:path';
import { displayPath } from '../workspace.ts';
import type { Palette } from '../term.ts';
import type { LogEvent } from '../event-log/event-log.ts';
import { BlockWriter, describeChange, renderView, rowExtras } from './live-view.ts';
import { LogFollower } from '../event-log/log-follower.ts';
import { JobTable, type JobState, type StateChange } from './job-state.ts';
import { ProgressReader } from './progress.ts';
import { recordLogs, type JobRecord } from './job-store.ts';

/** What the record knows of a proc that the view shows: its streamed output and its queue row. */
export interface ProcInfo {
  output: string | null;
  vars: Record<string, string> | null;
}

export interface TrackOptions {
  /** Absolute paths of the event logs to follow (one per proc, or shared). */
  logs: string[];
  /** Track only this cluster (null: every job in the logs). */
  cluster: number | null;
  /** Procs known from condor_submit, shown before their first event arrives. */
  procs?: number[];
  /** Per proc: where its progress lines stream to, and its queue variables (for the view). */
  procInfo?: Map<number, ProcInfo>;
  /** Read what is there and stop. */
  once: boolean;
  /** How long a hold may last before we stop watching (ms; Infinity: never). */
  heldTimeoutMs: number;
  intervalMs: number;
  /** Where the view goes; null for none (e.g. --json). */
  view: { write: (text: string) => void; tty: boolean; width: number; height: number; paint: Palette } | null;
  title: string;
  /** Workspace root, to show paths relative to it. */
  root: string;
  /** Reference time for logs with MM/DD dates (submit time). */
  referenceTime?: number;
  /** Asked (at most every probeIntervalMs) while a log is missing: a line to show, or null. */
  probe?: () => Promise<{ line: string; gone: boolean } | null>;
  probeIntervalMs?: number;
  /** For a job run by a process of this machine (submit --local): why that process is gone, or
   *  null while it lives. Once it is gone and the log has been read to its end, unfinished procs
   *  will never finish: watching ends as 'vanished' instead of waiting forever. */
  runnerGone?: () => string | null;
  /** Aborted on Ctrl-C: stop watching (never the job). */
  signal?: AbortSignal;
  /** A `submit --local` job (cluster of its first run): hold hints name the local commands. */
  local?: { cluster: number };
  /** Read now instead of at the next interval (submit --local: its runner just wrote an event). */
  wake?: Wake;
  now?: () => number;
}

export type TrackOutcome = 'done' | 'held-timeout' | 'interrupted' | 'once' | 'vanished';

export interface TrackResult {
  table: JobTable;
  outcome: TrackOutcome;
  /** For held-timeout: the job that was held too long. */
  held: JobState | null;
  /** Logs that never appeared. */
  missing: string[];
  /** Non-event text found in the logs (count), and the first few, cut short. */
  junk: number;
  junkSamples?: string[];
  /** For 'vanished' because the runner ended (runnerGone): its reason. */
  goneReason?: string;
}

/** How many unreadable records are quoted (all are counted). */
const JUNK_SAMPLES = 3;
/** Progress files are looked at no more often than this while following. */
const PROGRESS_EVERY_MS = 1000;

/**
 * A nudge for a follower that lives in the process writing the log: wake() ends the follower's
 * current wait, or its next one when it is reading (so an event written mid-read is not left to
 * the next interval).
 */
export class Wake {
  private pending = false;
  private waiter: (() => void) | null = null;

  wake(): void {
    if (this.waiter) this.waiter();
    else this.pending = true;
  }

  /** Resolves after `ms`, on abort, or on wake(), whichever is first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return sleep(ms, signal, (done) => {
      this.waiter = done;
      return () => {
        this.waiter = null;
      };
    });
  }
}

function sleep(ms: number, signal?: AbortSignal, onWake?: (done: () => void) => () => void): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    const release = onWake?.(done);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      release?.();
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function track(options: TrackOptions): Promise<TrackResult> {
  const now = options.now ?? Date.now;
  const clusters = options.cluster === null ? null : [options.cluster];
  let table = newTable();
  let changes: StateChange[] = [];
  let junk = 0;
  const junkSamples: string[] = [];
  let junkShown = 0;
  let resetPending = false;
  /** When the tracker first saw each proc's current hold (the hold's own date may be long past). */
  const heldSeen = new Map<string, number>();
  const progressReader = options.procInfo ? new ProgressReader() : null;
  let lastProgressLook = -Infinity;
  let otherClustersSaid = false;

  function newTable(): JobTable {
    const t = new JobTable(clusters);
    if (options.cluster !== null && options.procs) t.expect(options.cluster, options.procs, now());
    return t;
  }
  const onEvent = (event: LogEvent): void => {
    const change = table.apply(event);
    if (change) {
      changes.push(change);
      if (change.to === 'held') heldSeen.set(change.job.id, now());
    }
  };
  const followers = [...new Set(options.logs)].map(
    (path) =>
      new LogFollower(path, {
        onEvent,
        onJunk: (record) => {
          junk++;
          if (junkSamples.length < JUNK_SAMPLES) junkSamples.push(`\`${oneLine(record.text)}\` in ${basename(path)}`);
        },
        onReset: () => (resetPending = true),
        referenceTime: options.referenceTime,
      }),
  );

  const view = options.view;
  const procVars = new Map(
    [...(options.procInfo ?? new Map<number, ProcInfo>())].map(([proc, info]) => [proc, info.vars]),
  );
  const blockWriter = view?.tty ? new BlockWriter(view.write) : null;
  const announcedMissing = new Set<string>();
  let probeLine: string | null = null;
  let lastProbe = 0;
  let lastDraw = 0;
  let outcome: TrackOutcome | null = null;
  let held: JobState | null = null;
  // The runner's end is acted on one poll after it was seen, so events it wrote last are read.
  let runnerGoneSeen: string | null = null;
  let goneReason: string | undefined;

  for (;;) {
    let missing = followers.filter((f) => f.poll().missing);
    if (resetPending) {
      // One log was truncated or replaced: start over from every log's first byte.
      resetPending = false;
      table = newTable();
      for (const f of followers) f.close();
      changes = [];
      missing = followers.filter((f) => f.poll().missing);
      if (!blockWriter)
        view?.write(`${clockNow(now())} a log was truncated or replaced; read it again from the start\n`);
    }
    if (options.once) for (const f of followers) f.finish();
    const block = options.once ? null : blockWriter;

    const notes: string[] = [];
    for (const f of missing) {
      const shown = displayPath(options.root, f.path);
      notes.push(`waiting for ${shown} to appear (HTCondor creates it when the job is queued)`);
      if (!block && !options.once && !announcedMissing.has(f.path)) view?.write(`waiting for ${shown} to appear\n`);
      announcedMissing.add(f.path);
    }
    if (missing.length > 0 && options.probe && now() - lastProbe >= (options.probeIntervalMs ?? 60_000)) {
      lastProbe = now();
      const answer = await options.probe();
      if (answer) {
        if (answer.line !== probeLine && !block) view?.write(`${answer.line}\n`);
        probeLine = answer.line;
        // The log may have appeared while condor_q was asked: look once more before giving up.
        if (answer.gone && !followers.some((f) => f.opened)) {
          missing = followers.filter((f) => f.poll().missing);
          if (!followers.some((f) => f.opened)) outcome = 'vanished';
        }
      }
    }
    if (probeLine && missing.length > 0) notes.push(probeLine);
    if (junk > 0) {
      const note = `skipped ${junk} unreadable event${junk === 1 ? '' : 's'}: ${junkSamples[0]}`;
      notes.push(note);
      if (!block && !options.once && junk > junkShown) {
        for (const sample of junkSamples.slice(junkShown)) view?.write(`unreadable event skipped: ${sample}\n`);
        junkShown = junkSamples.length;
      }
    }
    if (table.ownEvents === 0 && table.otherEvents > 0 && options.cluster !== null) {
      const others = [...table.otherClusters.keys()].join(', ');
      const note = `the log has ${table.otherEvents} event${table.otherEvents === 1 ? '' : 's'} of other clusters (${others}${table.otherClusters.size >= 5 ? ', …' : ''}) and none of cluster ${options.cluster} yet`;
      notes.push(note);
      if (!block && !options.once && !otherClustersSaid) view?.write(`${note}\n`);
      otherClustersSaid = true;
    }
    if (progressReader && (options.once || now() - lastProgressLook >= PROGRESS_EVERY_MS)) {
      lastProgressLook = now();
      for (const job of table.jobs.values()) {
        const output = job.state === 'running' ? options.procInfo?.get(job.proc)?.output : null;
        if (!output) continue;
        const progress = progressReader.read(output);
        if (!progress || progress === job.progress) continue;
        job.progress = progress;
        // In logs and pipes, each new progress line is a line of ours too.
        if (view && !block && !options.once)
          view.write(`${clockNow(now())} ${job.id} ${rowExtras(job, options.procInfo?.get(job.proc)?.vars ?? null)}\n`);
      }
    }

    if (view) {
      if (options.once) {
        // A snapshot: the current table, not the history of changes.
        view.write(
          renderView(table, {
            title: options.title,
            now: now(),
            width: view.width,
            height: Infinity,
            paint: view.paint,
            notes,
            procVars,
            local: options.local,
          }).join('\n') + '\n',
        );
      } else if (block) {
        if (changes.length > 0 || now() - lastDraw >= 1000 || options.once) {
          block.draw(
            renderView(table, {
              title: options.title,
              now: now(),
              width: view.width,
              height: view.height,
              paint: view.paint,
              notes,
              procVars,
              local: options.local,
            }),
          );
          lastDraw = now();
        }
      } else {
        for (const change of changes)
          for (const line of describeChange(change, view.paint, options.local)) view.write(line + '\n');
      }
    }
    changes = [];

    if (options.once) outcome = 'once';
    else if (table.allDone() && missing.length === 0) outcome = 'done';
    else if (!outcome) {
      held = heldTooLong(table, heldSeen, options.heldTimeoutMs, now());
      if (held) outcome = 'held-timeout';
      else if (runnerGoneSeen) {
        goneReason = runnerGoneSeen;
        outcome = 'vanished';
      } else if (options.runnerGone) runnerGoneSeen = options.runnerGone();
    }
    if (!outcome && options.signal?.aborted) outcome = 'interrupted';
    if (outcome) break;
    await (options.wake
      ? options.wake.sleep(options.intervalMs, options.signal)
      : sleep(options.intervalMs, options.signal));
    if (options.signal?.aborted) outcome = 'interrupted';
    if (outcome) break;
  }
  blockWriter?.release();
  for (const f of followers) f.close();
  return {
    table,
    outcome,
    held,
    missing: followers.filter((f) => !f.opened).map((f) => f.path),
    junk,
    junkSamples,
    ...(goneReason ? { goneReason } : {}),
  };
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 40 ? `${line.slice(0, 39)}…` : line;
}

function clockNow(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

/**
 * The first held job whose hold has lasted the timeout, counted from when the tracker saw the
 * hold: a hold dated an hour back (re-attaching, a copied log) still gets its full timeout.
 */
function heldTooLong(table: JobTable, heldSeen: Map<string, number>, timeoutMs: number, now: number): JobState | null {
  if (!Number.isFinite(timeoutMs)) return null;
  for (const job of table.jobs.values()) {
    if (job.state !== 'held') continue;
    const since = heldSeen.get(job.id) ?? now;
    if (!heldSeen.has(job.id)) heldSeen.set(job.id, now);
    if (now - since >= timeoutMs) return job;
  }
  return null;
}

/** A recorded job's state table from its logs as they are now: read once, no view, no waiting. */
export function readJobOnce(record: Pick<JobRecord, 'cluster' | 'procs'>, root: string): Promise<TrackResult> {
  return track({
    logs: recordLogs(record),
    cluster: record.cluster,
    procs: record.procs.map((p) => p.proc),
    once: true,
    heldTimeoutMs: Infinity,
    intervalMs: 0,
    view: null,
    title: '',
    root,
  });
}
