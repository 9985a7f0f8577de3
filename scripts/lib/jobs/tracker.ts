// Follow a job from its event log(s) until every proc has ended, a hold outlasts the held
// timeout, or the user stops watching. The schedd is not asked while the log is readable;
// only while a log is missing does a caller-supplied probe (condor_q) say whether the job is
// still queued.
import { displayPath } from '../workspace.ts';
import type { JobState, JobTable } from './job-state.ts';
import { ProgressReader } from './progress.ts';
import { jobSecretMask } from '../job-text.ts';
import { recordLogs, type JobRecord } from './job-store.ts';
import { LogSet } from './log-set.ts';
import { recordOutcomes, recordedOutcomes } from './recorded-outcomes.ts';
import type { LogFollower, LogPrint } from '../event-log/log-follower.ts';
import { makeRenderer, viewMode, type Said, type TrackView } from './track-view.ts';

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
  view: TrackView | null;
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
  /** Read what each proc used from its terminate event (default true): only the summary needs it. */
  usage?: boolean;
  /**
   * Read each run's host and each eviction's, exception's and abort's message (default true):
   * JobTableOptions.hostsAndMessages.
   */
  hostsAndMessages?: boolean;
  /**
   * A finished job's kept table (recorded-outcomes.ts), shown instead of reading its logs: for a
   * view of the table, not the line-per-change output (which tells the log's story).
   */
  kept?: Pick<TrackResult, 'table' | 'junk' | 'junkSamples'>;
  /** The logs, already opened (a read ahead, readJobAhead): else a LogSet made from the options. */
  logSet?: LogSet;
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
  /** Each log as the table last read it, when the table holds all of it (LogSet.readPrints). */
  readPrints?: readonly LogPrint[] | null;
}

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

/**
 * Follow the logs until an outcome, as condor_watch_q does: each poll reads (LogSet), derives
 * the notes (deriveNotes, and the queue's answer while a log is missing), refreshes progress,
 * renders through the one renderer chosen at the start, then decides (OUTCOME_RULES).
 */
export async function track(options: TrackOptions): Promise<TrackResult> {
  const now = options.now ?? Date.now;
  const mode = viewMode(options.view, options.once);
  const logs = options.logSet ?? logSetOf(options, mode === 'lines');
  const procVars = new Map([...(options.procInfo ?? new Map<number, ProcInfo>())].map(([p, info]) => [p, info.vars]));
  const renderer = makeRenderer(options.view, mode, { title: options.title, procVars, local: options.local });
  const noted = newNoteMemory();
  const progress = options.procInfo
    ? { reader: new ProgressReader(jobSecretMask(options.root)), lastLook: Number.NEGATIVE_INFINITY }
    : null;
  const facts: WatchFacts = { heldSeen: new Map(), runnerGoneSeen: null, goneReason: undefined, vanished: false };
  let outcome: TrackOutcome | null = null;
  let held: JobState | null = null;
  for (;;) {
    const read = logs.poll(options.once);
    if (read.reset) renderer.restarted(now());
    const missing = read.missing.length > 0 ? await askQueue(options, logs, read.missing, noted, facts, now) : [];
    const { notes, said } = deriveNotes(options, logs, missing, noted);
    const progressed = progress ? refreshProgress(logs.table, options, progress, now()) : [];
    renderer.frame({ table: logs.table, now: now(), notes, said, changes: logs.takeChanges(), progressed });
    held = options.once ? null : heldTooLong(logs.table, facts.heldSeen, options.heldTimeoutMs, now());
    if (!options.once && !held) noteRunner(options, facts);
    outcome = decideOutcome({ options, table: logs.table, missing: missing.length, held, facts });
    if (outcome) break;
    await (options.wake
      ? options.wake.sleep(options.intervalMs, options.signal)
      : sleep(options.intervalMs, options.signal));
    if (options.signal?.aborted) {
      outcome = 'interrupted';
      break;
    }
  }
  renderer.release();
  // Asked before closing: a closed log reads as never opened.
  const missing = logs.neverOpened();
  const readPrints = logs.readPrints();
  logs.close();
  return {
    table: logs.table,
    outcome,
    held: outcome === 'held-timeout' ? held : null,
    missing,
    junk: logs.junk,
    junkSamples: logs.junkSamples,
    ...(outcome === 'vanished' && facts.goneReason ? { goneReason: facts.goneReason } : {}),
    readPrints,
  };
}

/** The options' logs as one LogSet; `changes`: keep each state change (the line-per-change output). */
function logSetOf(options: TrackOptions, changes: boolean): LogSet {
  const set = {
    logs: options.logs,
    cluster: options.cluster,
    procs: options.procs,
    referenceTime: options.referenceTime,
    changes,
    usage: options.usage ?? true,
    hostsAndMessages: options.hostsAndMessages ?? true,
    now: options.now ?? Date.now,
  };
  // The line-per-change output tells the log's story: it reads the log, kept table or not.
  return options.kept && !changes ? LogSet.ofKept(set, options.kept) : new LogSet(set);
}

/** What the tracker has learned across polls that the decision reads. */
interface WatchFacts {
  /** When the tracker first saw each proc's current hold (by id: holds count, time seen). */
  heldSeen: Map<string, { holds: number; at: number }>;
  /** The runner's end is acted on one poll after it was seen, so events it wrote last are read. */
  runnerGoneSeen: string | null;
  goneReason: string | undefined;
  /** The queue says the job is gone and its log never appeared. */
  vanished: boolean;
}

interface DecisionInput {
  options: TrackOptions;
  table: JobTable;
  missing: number;
  held: JobState | null;
  facts: WatchFacts;
}

/** The end conditions, in order: the first that holds is the outcome (condor_watch_q's exit checks). */
const OUTCOME_RULES: [(input: DecisionInput) => boolean, TrackOutcome][] = [
  [({ options }) => options.once, 'once'],
  [({ table, missing }) => table.allDone() && missing === 0, 'done'],
  [({ facts }) => facts.vanished, 'vanished'],
  [({ held }) => held !== null, 'held-timeout'],
  [({ facts }) => facts.goneReason !== undefined, 'vanished'],
  [({ options }) => options.signal?.aborted === true, 'interrupted'],
];

function decideOutcome(input: DecisionInput): TrackOutcome | null {
  for (const [holds, outcome] of OUTCOME_RULES) if (holds(input)) return outcome;
  return null;
}

/** A runner seen gone at the last poll is gone now (its last events have been read since). */
function noteRunner(options: TrackOptions, facts: WatchFacts): void {
  if (facts.runnerGoneSeen) facts.goneReason = facts.runnerGoneSeen;
  else if (options.runnerGone) facts.runnerGoneSeen = options.runnerGone();
}

/** What the notes stage remembers between polls: what was said already. */
interface NoteMemory {
  announcedMissing: Set<string>;
  probeLine: string | null;
  probeChanged: boolean;
  lastProbe: number;
  junkShown: number;
  otherClustersSaid: boolean;
}

function newNoteMemory(): NoteMemory {
  return {
    announcedMissing: new Set(),
    probeLine: null,
    probeChanged: false,
    lastProbe: 0,
    junkShown: 0,
    otherClustersSaid: false,
  };
}

/**
 * While a log is missing, ask the queue (at most every probeIntervalMs). Returns the logs still
 * missing: looked for once more when the queue says the job is gone, before believing it.
 */
async function askQueue(
  options: TrackOptions,
  logs: LogSet,
  missing: LogFollower[],
  noted: NoteMemory,
  facts: WatchFacts,
  now: () => number,
): Promise<LogFollower[]> {
  if (!options.probe || now() - noted.lastProbe < (options.probeIntervalMs ?? 60_000)) return missing;
  noted.lastProbe = now();
  const answer = await options.probe();
  if (!answer) return missing;
  noted.probeChanged = answer.line !== noted.probeLine;
  noted.probeLine = answer.line;
  if (!answer.gone || logs.followers.some((f) => f.opened)) return missing;
  // The log may have appeared while condor_q was asked: look once more before giving up.
  if (!logs.anyOpened()) facts.vanished = true;
  return logs.followers.filter((f) => !f.opened);
}

/** The notes under the title, and the lines said once (for logs and pipes), from what was read. */
function deriveNotes(
  options: TrackOptions,
  logs: LogSet,
  missing: { path: string }[],
  noted: NoteMemory,
): { notes: string[]; said: Said[] } {
  const notes: string[] = [];
  const said: Said[] = [];
  const following = !options.once;
  for (const f of missing) {
    const shown = displayPath(options.root, f.path);
    notes.push(`waiting for ${shown} to appear (HTCondor creates it when the job is queued)`);
    if (following && !noted.announcedMissing.has(f.path))
      said.push({ text: `waiting for ${shown} to appear`, inSnapshot: false });
    noted.announcedMissing.add(f.path);
  }
  if (noted.probeChanged && noted.probeLine) said.push({ text: noted.probeLine, inSnapshot: true });
  noted.probeChanged = false;
  if (noted.probeLine && missing.length > 0) notes.push(noted.probeLine);
  if (logs.junk > 0) {
    notes.push(`skipped ${logs.junk} unreadable event${logs.junk === 1 ? '' : 's'}: ${logs.junkSamples[0]}`);
    if (following && logs.junkSamples.length > noted.junkShown) {
      for (const sample of logs.junkSamples.slice(noted.junkShown))
        said.push({ text: `unreadable event skipped: ${sample}`, inSnapshot: false });
      noted.junkShown = logs.junkSamples.length;
    }
  }
  const table = logs.table;
  if (table.ownEvents === 0 && table.otherEvents > 0 && options.cluster !== null) {
    const others = [...table.otherClusters.keys()].join(', ');
    const note = `the log has ${table.otherEvents} event${table.otherEvents === 1 ? '' : 's'} of other clusters (${others}${table.otherClusters.size >= 5 ? ', …' : ''}) and none of cluster ${options.cluster} yet`;
    notes.push(note);
    if (following && !noted.otherClustersSaid) said.push({ text: note, inSnapshot: false });
    noted.otherClustersSaid = true;
  }
  return { notes, said };
}

/** The running procs whose last progress line changed (read at most every PROGRESS_EVERY_MS while following). */
function refreshProgress(
  table: JobTable,
  options: TrackOptions,
  progress: { reader: ProgressReader; lastLook: number },
  now: number,
): JobState[] {
  if (!options.once && now - progress.lastLook < PROGRESS_EVERY_MS) return [];
  progress.lastLook = now;
  const changed: JobState[] = [];
  for (const job of table.members('running')) {
    const output = job.state === 'running' ? options.procInfo?.get(job.proc)?.output : null;
    if (!output) continue;
    const line = progress.reader.read(output);
    if (!line || line === job.progress) continue;
    job.progress = line;
    changed.push(job);
  }
  return changed;
}

/**
 * The first held job whose hold has lasted the timeout, counted from when the tracker saw the
 * hold: a hold dated an hour back (re-attaching, a copied log) still gets its full timeout.
 * A proc held again after a release starts a new count (its holds went up).
 */
function heldTooLong(
  table: JobTable,
  heldSeen: Map<string, { holds: number; at: number }>,
  timeoutMs: number,
  now: number,
): JobState | null {
  if (!Number.isFinite(timeoutMs)) return null;
  for (const job of table.members('held')) {
    let seen = heldSeen.get(job.id);
    if (!seen || seen.holds !== job.holds) heldSeen.set(job.id, (seen = { holds: job.holds, at: now }));
    if (now - seen.at >= timeoutMs) return job;
  }
  return null;
}

/**
 * A recorded job's state table from its logs as they are now: read once, no view, no waiting.
 * `usage: false` skips what each proc used (a reader of states and exits only, such as results).
 */
export function readJobOnce(
  record: Pick<JobRecord, 'cluster' | 'procs'>,
  root: string,
  { usage = true }: { usage?: boolean } = {},
): Promise<TrackResult> {
  return readJobAhead(record, root, { usage, ahead: false }).finish();
}

/**
 * Logs smaller than this are not read ahead. Measured with results (2 vCPUs): a 24 MB log of
 * 10,000 procs read ahead made the run 13% slower (the worker's start and the tapes cost more
 * than the overlap gave); a 244 MB one of 100,000 procs, 9% faster.
 */
const READ_AHEAD_MIN_BYTES = 128 << 20;

/**
 * readJobOnce in two steps, for a caller with other work meanwhile (results reads every proc's
 * files): each big log starts being read on a worker thread now (from its end); finish() reads
 * what is left and returns what readJobOnce would. A finished job's table kept beside its record
 * (recorded-outcomes.ts) is taken instead of the logs while they are unchanged; `record` keeps
 * it after a read that finds every proc ended.
 */
export function readJobAhead(
  record: Pick<JobRecord, 'cluster' | 'procs'>,
  root: string,
  {
    usage = true,
    hostsAndMessages = true,
    ahead = true,
    record: keep = false,
  }: { usage?: boolean; hostsAndMessages?: boolean; ahead?: boolean; record?: boolean } = {},
): { finish(): Promise<TrackResult> } {
  const options: TrackOptions = {
    logs: recordLogs(record),
    cluster: record.cluster,
    procs: record.procs.map((p) => p.proc),
    once: true,
    heldTimeoutMs: Infinity,
    intervalMs: 0,
    view: null,
    title: '',
    root,
    usage,
    hostsAndMessages,
  };
  const key = { cluster: record.cluster, procs: options.procs!, logs: options.logs, usage, hostsAndMessages };
  const recorded = recordedOutcomes(root, key);
  if (recorded) return { finish: async () => recorded };
  let logSet: LogSet | undefined;
  if (ahead) {
    logSet = logSetOf(options, false);
    logSet.readAhead(READ_AHEAD_MIN_BYTES);
  }
  return {
    finish: async () => {
      const result = await track({ ...options, ...(logSet ? { logSet } : {}) });
      if (keep) recordOutcomes(root, key, result);
      return result;
    },
  };
}
