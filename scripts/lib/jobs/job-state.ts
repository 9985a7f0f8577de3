// Job state from events, as condor_watch_q and HTCondor's own test harness do it: a table of
// event → state, not branches (htcondor.md §c.4, §g.3). One JobState per cluster.proc; events
// for procs below 0 (cluster-level events, the 25.x transfer shadow's -1000) carry no job state.
import type { LogEvent } from '../event-log/event-log.ts';
import { readExit, resourceRows } from '../event-log/event-fields.ts';

const MEMORY_ROW = 'Memory (MB)';
const MEMORY_ROWS: ReadonlySet<string> = new Set([MEMORY_ROW]);

export type StateName = 'idle' | 'running' | 'held' | 'suspended' | 'completed' | 'removed';
/** What a running job is doing, shown in the live view (JobStatus stays Running meanwhile). */
export type Activity = 'transferring-input' | 'transferring-output' | null;

/** Event number → the state it puts the job in (absent: the event leaves the state alone). */
export const EVENT_STATE: Readonly<Partial<Record<number, StateName>>> = {
  0: 'idle', // submit
  1: 'running', // execute
  4: 'idle', // evicted: back in the queue
  5: 'completed', // terminated (return value or signal)
  7: 'idle', // shadow exception: back in the queue unless a hold follows
  9: 'removed', // aborted (condor_rm, periodic_remove)
  10: 'suspended',
  // Unsuspended: the job resumes on the same slot (JobStatus 2). watch_q says idle; the
  // schedd says running, and so do we.
  11: 'running',
  12: 'held',
  13: 'idle', // released
  23: 'running', // reconnected
  24: 'idle', // reconnect failed: rescheduled
};

/** Events whose details the table reads although they set no state (003 checkpointed, 040 transfers). */
const DETAIL_EVENTS: ReadonlySet<number> = new Set([3, 40]);

/** 1 for the event numbers the table looks into; a typed array, as this is asked per event. */
const READS = new Uint8Array(1000);
for (const code of [0, ...Object.keys(EVENT_STATE).map(Number), ...DETAIL_EVENTS]) READS[code] = 1;

/** After an output transfer, these mean the files were the job's end (exit, shadow exception, removal, hold), not a checkpoint. */
const NOT_A_CHECKPOINT = new Uint8Array(1000);
for (const code of [5, 7, 9, 12]) NOT_A_CHECKPOINT[code] = 1;

const RUN_ENDS = new Uint8Array(1000);
for (const code of [1, 4, 5, 7, 9, 12, 24]) RUN_ENDS[code] = 1;

export const TERMINAL: ReadonlySet<StateName> = new Set(['completed', 'removed']);

export interface JobState {
  /** `C.P` */
  id: string;
  cluster: number;
  proc: number;
  state: StateName;
  activity: Activity;
  /** When the job entered its state (ms; NaN when the log's dates are unreadable). */
  since: number;
  /** Last execute event. */
  startedAt: number | null;
  endedAt: number | null;
  host: string | null;
  exitCode: number | null;
  signal: number | null;
  holdReason: string | null;
  holdCode: number | null;
  holdSubcode: number | null;
  /** 009's reason, or the last eviction / shadow exception message. */
  lastMessage: string | null;
  holds: number;
  starts: number;
  evictions: number;
  /**
   * Checkpoints saved: 003 events, and output transfers the job did not end after (a
   * self-checkpointing job's `checkpoint_exit_code` exit: its files go to the access point and
   * it restarts without a 005).
   */
  checkpoints: number;
  /** An output transfer finished; the next event says whether it was the job's end or a checkpoint. */
  uploadPending: boolean;
  /** Time spent executing over every run that ended (ms), and when the current run began. */
  runMs: number;
  runStart: number | null;
  /** The last progress line of the proc's streamed output (set by the tracker, not by events). */
  progress: Record<string, unknown> | null;
  /**
   * The terminate event, on its own bytes: its usage table is read only when the summary
   * asks (memoryUse), not for each of 10,000 procs while the log is read.
   */
  ending: LogEvent | null;
}

export interface StateChange {
  job: JobState;
  /** null for a submit event (a new job). */
  from: StateName | null;
  /** The state and activity right after the event (the job object moves on). */
  to: StateName;
  activity: Activity;
  /** As they were right after the event: a later release or execute overwrites the job's. */
  host: string | null;
  hold: { reason: string | null; code: number | null; subcode: number | null } | null;
  event: LogEvent;
}

function newJob(cluster: number, proc: number, time: number): JobState {
  return {
    id: `${cluster}.${proc}`,
    cluster,
    proc,
    state: 'idle',
    activity: null,
    since: time,
    startedAt: null,
    endedAt: null,
    host: null,
    exitCode: null,
    signal: null,
    holdReason: null,
    holdCode: null,
    holdSubcode: null,
    lastMessage: null,
    holds: 0,
    starts: 0,
    evictions: 0,
    checkpoints: 0,
    uploadPending: false,
    runMs: 0,
    runStart: null,
    progress: null,
    ending: null,
  };
}

function numberOrNull(text: string | null | undefined): number | null {
  if (text === null || text === undefined) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

export class JobTable {
  readonly jobs = new Map<string, JobState>();
  /** Only these clusters are tracked (all when null). */
  private readonly clusters: ReadonlySet<number> | null;
  /** Events seen, including those that changed nothing. */
  events = 0;
  /** Events of the tracked clusters (all jobs' events when every cluster is tracked). */
  ownEvents = 0;
  /** Events of clusters not tracked, by cluster (a few clusters named, all counted). */
  readonly otherClusters = new Map<number, number>();
  otherEvents = 0;

  constructor(clusters: Iterable<number> | null = null) {
    this.clusters = clusters ? new Set(clusters) : null;
  }

  /** Jobs by cluster, then proc (an array: procs are small dense numbers): no id string per event. */
  private readonly byCluster = new Map<number, JobState[]>();

  /** Create entries for procs known from condor_submit before their submit event is read. */
  expect(cluster: number, procs: Iterable<number>, time = Date.now()): void {
    for (const proc of procs) if (!this.find(cluster, proc)) this.put(newJob(cluster, proc, time));
  }

  private lastCluster = NaN;
  private lastProcs: JobState[] | undefined;

  private find(cluster: number, proc: number): JobState | undefined {
    if (cluster !== this.lastCluster) {
      this.lastCluster = cluster;
      this.lastProcs = this.byCluster.get(cluster);
    }
    return this.lastProcs?.[proc];
  }

  private create(event: LogEvent): JobState {
    return this.put(newJob(event.cluster, event.proc, event.time));
  }

  private put(job: JobState): JobState {
    let procs = this.byCluster.get(job.cluster);
    if (!procs) {
      this.byCluster.set(job.cluster, (procs = []));
      this.lastCluster = NaN;
    }
    procs[job.proc] = job;
    this.jobs.set(job.id, job);
    return job;
  }

  /** Apply one event; returns the state change it caused, if any. */
  apply(event: LogEvent): StateChange | null {
    this.events++;
    if (this.clusters && !this.clusters.has(event.cluster)) {
      // Said when the log holds nothing of ours: the wrong log, or another submission's.
      this.otherEvents++;
      const seen = this.otherClusters.get(event.cluster);
      if (seen !== undefined || this.otherClusters.size < 5) this.otherClusters.set(event.cluster, (seen ?? 0) + 1);
      return null;
    }
    this.ownEvents++;
    if (event.proc < 0) return null;
    // Most events (006 image size) change nothing: return before any other work.
    const code = event.code;
    if (READS[code] === 0) {
      const known = this.find(event.cluster, event.proc) ?? this.create(event);
      if (known.uploadPending) this.checkpointed(known);
      return null;
    }
    let job = this.find(event.cluster, event.proc);
    if (!job || code === 0) {
      // A submit event starts the job afresh; any other first event (a log that begins
      // mid-way) creates the job, and the table puts it in the state that event implies.
      job = this.create(event);
    }
    // After an output transfer, anything but the job's end means the files were a checkpoint.
    if (
      job.uploadPending &&
      NOT_A_CHECKPOINT[code] === 0 &&
      !(code === 40 && event.details.transfer?.direction === 'output')
    )
      this.checkpointed(job);
    else if (job.uploadPending && NOT_A_CHECKPOINT[code] === 1) job.uploadPending = false;
    const from = job.state;
    const terminal = TERMINAL.has(from);
    this.readDetails(job, event, terminal);
    // A terminal state is final: a 009 written after a 005 (DAGMan removing a job that
    // already exited) does not turn a finished job into a removed one.
    const to = terminal ? undefined : EVENT_STATE[code];
    if (code === 3) {
      if (!terminal) {
        job.checkpoints++;
        job.uploadPending = false;
      }
      return null;
    }
    if (code === 40 && !terminal) {
      const { transfer, host } = event.details;
      if (transfer?.direction === 'output' && transfer.stage === 'finished' && job.state === 'running')
        job.uploadPending = true;
      job.activity =
        transfer?.stage === 'started'
          ? transfer.direction === 'input'
            ? 'transferring-input'
            : 'transferring-output'
          : null;
      if (host) job.host = host;
      // A transfer starting is worth a line; its end is not (the next event says what follows).
      if (transfer?.stage === 'started')
        return this.move(job, job.state === 'idle' ? 'running' : job.state, event, from);
      return null;
    }
    if (to === undefined) return null;
    if (to !== 'running') job.activity = null;
    if (to === from && event.code !== 0 && event.code !== 1) return null;
    return this.move(job, to, event, from);
  }

  private checkpointed(job: JobState): void {
    job.checkpoints++;
    job.uploadPending = false;
  }

  private move(job: JobState, to: StateName, event: LogEvent, from: StateName): StateChange {
    if (job.state !== to || event.code === 0) job.since = event.time;
    job.state = to;
    return {
      job,
      from: event.code === 0 ? null : from,
      to,
      activity: job.activity,
      host: job.host,
      hold: to === 'held' ? { reason: job.holdReason, code: job.holdCode, subcode: job.holdSubcode } : null,
      event,
    };
  }

  private readDetails(job: JobState, event: LogEvent, terminal: boolean): void {
    // A run ends with its proc's eviction, exit, removal, hold, shadow exception or lost reconnect.
    if (job.runStart !== null && RUN_ENDS[event.code] === 1 && !terminal) {
      const ran = event.time - job.runStart;
      if (Number.isFinite(ran) && ran > 0) job.runMs += ran;
      job.runStart = null;
    }
    switch (event.code) {
      case 1:
        job.starts++;
        job.startedAt = event.time;
        job.runStart = event.time;
        job.host = event.details.host ?? job.host;
        job.holdReason = job.holdCode = job.holdSubcode = null;
        break;
      case 4:
        job.evictions++;
        if (event.details.reason) job.lastMessage = event.details.reason;
        break;
      case 5: {
        if (terminal) break;
        // The exit is on the first body lines: decode those, keep the rest for later.
        job.uploadPending = false;
        const exit: { returnValue?: number; signal?: number } = {};
        readExit(event.leadingBody(2), exit);
        job.endedAt = event.time;
        job.exitCode = exit.returnValue ?? null;
        job.signal = exit.signal ?? null;
        job.ending = event.detach();
        break;
      }
      case 7:
        if (event.details.reason) job.lastMessage = event.details.reason;
        break;
      case 9:
        if (terminal) break;
        job.endedAt = event.time;
        job.lastMessage = event.details.reason ?? null;
        break;
      case 12:
        job.holds++;
        job.holdReason = event.details.reason ?? 'Reason unspecified';
        job.holdCode = event.details.holdCode ?? null;
        job.holdSubcode = event.details.holdSubcode ?? null;
        break;
      case 13:
        job.holdReason = job.holdCode = job.holdSubcode = null;
        break;
      default:
        break;
    }
  }

  /** Jobs in id order (cluster, then proc). */
  list(): JobState[] {
    return [...this.jobs.values()].sort((a, b) => a.cluster - b.cluster || a.proc - b.proc);
  }

  counts(): Record<StateName, number> {
    const counts: Record<StateName, number> = { idle: 0, running: 0, held: 0, suspended: 0, completed: 0, removed: 0 };
    for (const job of this.jobs.values()) counts[job.state]++;
    return counts;
  }

  /** Every job has ended (completed or removed). False with no jobs at all. */
  allDone(): boolean {
    if (this.jobs.size === 0) return false;
    for (const job of this.jobs.values()) if (!TERMINAL.has(job.state)) return false;
    return true;
  }
}

/** Memory used and requested (MB), from the terminate event's usage table; null when it has none. */
export function memoryUse(job: JobState): { usedMb: number | null; requestedMb: number | null } | null {
  const row = job.ending ? resourceRows(job.ending.body, MEMORY_ROWS)?.[MEMORY_ROW] : undefined;
  return row ? { usedMb: numberOrNull(row.usage), requestedMb: numberOrNull(row.request) } : null;
}

/** The machine-readable form `status --json` prints (the contract; null when absent). */
export interface JobJson {
  id: string;
  state: StateName;
  exitCode: number | null;
  signal: number | null;
  holdReason: string | null;
  holdCode: number | null;
  holdSubcode: number | null;
  host: string | null;
  /** Checkpoints saved and runs started (a restart is every run after the first). */
  checkpoints: number;
  starts: number;
  /** The last progress line of a running proc's output (null when none was seen). */
  progress: Record<string, unknown> | null;
}

export function jobJson(job: JobState): JobJson {
  return {
    checkpoints: job.checkpoints,
    starts: job.starts,
    progress: job.progress,
    id: job.id,
    state: job.state,
    exitCode: job.exitCode,
    signal: job.signal,
    holdReason: job.holdReason,
    holdCode: job.holdCode,
    holdSubcode: job.holdSubcode,
    host: job.host,
  };
}
