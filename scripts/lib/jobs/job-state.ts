// Job state from events, as condor_watch_q and HTCondor's own test harness do it: a table of
// event → state, not branches (htcondor.md §c.4, §g.3). One JobState per cluster.proc; events
// for procs below 0 (cluster-level events, the 25.x transfer shadow's -1000) carry no job state.
import type { EndUsage, LogEvent, Requeue, TrackedEvent } from '../event-log/event-log.ts';
import { noUsage } from '../event-log/event-fields.ts';
import { NONE, ProcColumns } from './proc-columns.ts';

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

/**
 * Events that say nothing of where a job is (generic, remote error, disconnect and reconnect,
 * job ad information, attribute update): an output transfer before one is still
 * undecided. A writer with job_ad_information_attrs puts a 028 after every event
 * (write_user_log.cpp), between an output transfer and the 005 too.
 */
const SILENT = new Uint8Array(1000);
// (Not 006: the shadow writes one as a running job grows, so one after an upload says the job
// ran on: a checkpoint.)
for (const code of [8, 21, 22, 23, 28, 33]) SILENT[code] = 1;

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
   * What the terminate event says the job used, read as the log is read: a few numbers per
   * proc, not the event (null until a 005).
   */
  usage: EndUsage | null;
}

const STATE_NAMES: readonly StateName[] = ['idle', 'running', 'held', 'suspended', 'completed', 'removed'];
const STATE_CODE: Readonly<Record<StateName, number>> = {
  idle: 0,
  running: 1,
  held: 2,
  suspended: 3,
  completed: 4,
  removed: 5,
};
const IDLE = 0;
const RUNNING = 1;
const HELD = 2;
const SUSPENDED = 3;
const COMPLETED = 4;
const REMOVED = 5;
/** Not a state: a completed proc that exited non-zero or by a signal (a group of its own for the view). */
const FAILED = 6;
const ACTIVITIES: readonly Activity[] = [null, 'transferring-input', 'transferring-output'];

/** Event number → state code (255: the event leaves the state alone). */
const EVENT_STATE_CODE = new Uint8Array(1000).fill(255);
for (const [code, state] of Object.entries(EVENT_STATE)) EVENT_STATE_CODE[Number(code)] = STATE_CODE[state!];

/** The groups the live view draws from: each proc in one of them, kept up to date as events come. */
export type JobGroup = 'held' | 'failed' | 'running' | 'idle';
const GROUP_OF: readonly (JobGroup | null)[] = ['idle', 'running', 'held', 'running', null, null, 'failed'];

/** A requeue as the message the view shows: how that try ended, and why it runs again. */
export function requeueMessage(requeue: Requeue, words = 'requeued'): string {
  const exit =
    requeue.signal !== undefined ? `killed by signal ${requeue.signal}` : `exit ${requeue.returnValue ?? '?'}`;
  return `${exit}, ${words}${requeue.reason ? `: ${requeue.reason}` : ''}`;
}

type ExitStatus = { returnValue?: number; signal?: number };
const NO_EXIT: ExitStatus = Object.freeze({});

/** A numeric column's value, null for NONE. */
function orNull(value: number): number | null {
  return value === NONE ? null : value;
}

/**
 * One proc of the table, read from its columns: a live view (as the old per-proc objects were,
 * it moves on with later events), and only made when someone asks for the proc.
 */
class JobView implements JobState {
  readonly id: string;
  readonly cluster: number;
  readonly proc: number;
  private readonly table: JobTable;
  private readonly cols: ProcColumns;
  readonly slot: number;
  constructor(table: JobTable, cols: ProcColumns, slot: number) {
    this.table = table;
    this.cols = cols;
    this.slot = slot;
    this.cluster = cols.n.cluster[slot]!;
    this.proc = cols.n.proc[slot]!;
    this.id = `${this.cluster}.${this.proc}`;
  }
  get state(): StateName {
    return STATE_NAMES[this.cols.f.state[this.slot]!]!;
  }
  get activity(): Activity {
    return ACTIVITIES[this.cols.f.activity[this.slot]!]!;
  }
  get since(): number {
    return this.cols.n.since[this.slot]!;
  }
  get startedAt(): number | null {
    return orNull(this.cols.n.startedAt[this.slot]!);
  }
  get endedAt(): number | null {
    return orNull(this.cols.n.endedAt[this.slot]!);
  }
  get host(): string | null {
    return this.cols.textOf(this.cols.t.host[this.slot]!);
  }
  get exitCode(): number | null {
    return orNull(this.cols.n.exitCode[this.slot]!);
  }
  get signal(): number | null {
    return orNull(this.cols.n.signal[this.slot]!);
  }
  get holdReason(): string | null {
    return this.cols.textOf(this.cols.t.holdReason[this.slot]!);
  }
  get holdCode(): number | null {
    return orNull(this.cols.n.holdCode[this.slot]!);
  }
  get holdSubcode(): number | null {
    return orNull(this.cols.n.holdSubcode[this.slot]!);
  }
  get lastMessage(): string | null {
    return this.cols.textOf(this.cols.t.lastMessage[this.slot]!);
  }
  get holds(): number {
    return this.cols.c.holds[this.slot]!;
  }
  get starts(): number {
    return this.cols.c.starts[this.slot]!;
  }
  get evictions(): number {
    return this.cols.c.evictions[this.slot]!;
  }
  get checkpoints(): number {
    return this.cols.c.checkpoints[this.slot]!;
  }
  get uploadPending(): boolean {
    return this.cols.f.uploadPending[this.slot] === 1;
  }
  get runMs(): number {
    return this.cols.n.runMs[this.slot]!;
  }
  get runStart(): number | null {
    return orNull(this.cols.n.runStart[this.slot]!);
  }
  get progress(): Record<string, unknown> | null {
    return this.table.progressOf(this.slot);
  }
  set progress(value: Record<string, unknown> | null) {
    this.table.setProgress(this.slot, value);
  }
  get usage(): EndUsage | null {
    const { cols, slot } = this;
    if (cols.f.ended[slot] === 0) return null;
    return readUsage(cols, slot, {} as EndUsage);
  }
  /** Its fields as plain data (a JobView itself holds the table). */
  toJSON(): JobState {
    const plain = { id: this.id, cluster: this.cluster, proc: this.proc } as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(JobView.prototype))
      if (key !== 'constructor' && key !== 'toJSON') plain[key] = this[key as keyof JobState];
    return plain as unknown as JobState;
  }
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

/** JobTable.snapshot(): every column's bytes by name, the texts, the counts of events. */
export interface TableSnapshot {
  size: number;
  columns: [string, Uint8Array][];
  strings: readonly string[];
  events: number;
  ownEvents: number;
  otherEvents: number;
  otherClusters: [number, number][];
}

export interface JobTableOptions {
  /**
   * Return a StateChange from apply() (the default). Off for a reader that draws the table,
   * not its history: then apply() makes no object per event, and may be fed the parser's
   * reused event (ParserOptions.reuse).
   */
  changes?: boolean;
  /**
   * Read each 005's usage lines and resource table (the default): the summary's figures. Off
   * for a reader that needs only states and exits (results, cancel, release): a 005 then costs
   * its first two lines.
   */
  usage?: boolean;
  /**
   * Read each run's execute host and the message of each eviction, shadow exception and abort
   * (the default): what status and the live view show beside a state. Off for a reader of
   * outcomes only (results: states, exits, hold causes), where a 001 then costs its header.
   */
  hostsAndMessages?: boolean;
}

/**
 * Every proc's state from the events applied so far, as columns (proc-columns.ts), with the
 * counts per state and the live view's groups kept as the events come: a frame of a
 * 100,000-proc view reads those, never every proc.
 */
export class JobTable {
  /** Only these clusters are tracked (all when null). */
  private readonly clusters: ReadonlySet<number> | null;
  private readonly recordChanges: boolean;
  private readonly readUsage: boolean;
  private readonly readHostsAndMessages: boolean;
  /** Events seen, including those that changed nothing. */
  events = 0;
  /** Events of the tracked clusters (all jobs' events when every cluster is tracked). */
  ownEvents = 0;
  /** Events of clusters not tracked, by cluster (a few clusters named, all counted). */
  readonly otherClusters = new Map<number, number>();
  otherEvents = 0;

  private readonly cols = new ProcColumns();
  /** Slot + 1 by cluster, then proc (an array: procs are small dense numbers): no id string per event. */
  private readonly byCluster = new Map<number, number[]>();
  private lastCluster = Number.NaN;
  private lastProcs: number[] | undefined;
  private readonly views: (JobView | undefined)[] = [];
  private readonly progress = new Map<number, Record<string, unknown>>();
  /** Procs per state code, and FAILED. */
  private readonly stateCounts = new Float64Array(7);
  /**
   * The procs of each view group, in the order they entered it: made when first asked (a
   * one-shot read never pays for them), kept up to date from then on.
   */
  private groupSets: Record<JobGroup, Set<number>> | null = null;
  /** Slots in id order, while no proc has been added since it was sorted. */
  private sorted: Int32Array | null = null;

  constructor(clusters: Iterable<number> | null = null, options: JobTableOptions = {}) {
    this.clusters = clusters ? new Set(clusters) : null;
    this.recordChanges = options.changes ?? true;
    this.readUsage = options.usage ?? true;
    this.readHostsAndMessages = options.hostsAndMessages ?? true;
  }

  /** The table as data (a finished job's outcomes kept beside its record: recorded-outcomes.ts). */
  snapshot(): TableSnapshot {
    return {
      ...this.cols.snapshot(),
      events: this.events,
      ownEvents: this.ownEvents,
      otherEvents: this.otherEvents,
      otherClusters: [...this.otherClusters],
    };
  }

  /** A table from a snapshot (null when it does not hold together): as the read that made it left it. */
  static fromSnapshot(
    snapshot: Omit<TableSnapshot, 'columns'> & { columns: ReadonlyMap<string, Uint8Array> },
    clusters: Iterable<number> | null,
    options: JobTableOptions,
  ): JobTable | null {
    const table = new JobTable(clusters, { ...options, changes: false });
    if (!table.cols.load(snapshot.size, snapshot.columns, snapshot.strings)) return null;
    const { cluster, proc } = table.cols.n;
    for (let slot = 0; slot < snapshot.size; slot++) {
      let procs = table.byCluster.get(cluster[slot]!);
      if (!procs) table.byCluster.set(cluster[slot]!, (procs = []));
      procs[proc[slot]!] = slot + 1;
      table.stateCounts[table.groupCode(slot)]!++;
    }
    table.events = snapshot.events;
    table.ownEvents = snapshot.ownEvents;
    table.otherEvents = snapshot.otherEvents;
    for (const [c, n] of snapshot.otherClusters) table.otherClusters.set(c, n);
    return table;
  }

  /** What the table reads of each event beyond states and exits (its options). */
  get reading(): { usage: boolean; hostsAndMessages: boolean } {
    return { usage: this.readUsage, hostsAndMessages: this.readHostsAndMessages };
  }

  /** How many procs the table has. */
  get size(): number {
    return this.cols.size;
  }

  /** Create entries for procs known from condor_submit before their submit event is read. */
  expect(cluster: number, procs: Iterable<number>, time = Date.now()): void {
    for (const proc of procs) if (this.find(cluster, proc) < 0) this.create(cluster, proc, time);
  }

  /** The proc's view, or undefined. */
  get(cluster: number, proc: number): JobState | undefined {
    const slot = this.find(cluster, proc);
    return slot < 0 ? undefined : this.view(slot);
  }

  progressOf(slot: number): Record<string, unknown> | null {
    return this.progress.get(slot) ?? null;
  }

  setProgress(slot: number, value: Record<string, unknown> | null): void {
    if (value) this.progress.set(slot, value);
    else this.progress.delete(slot);
  }

  private find(cluster: number, proc: number): number {
    if (cluster !== this.lastCluster) {
      this.lastCluster = cluster;
      this.lastProcs = this.byCluster.get(cluster);
    }
    return (this.lastProcs?.[proc] ?? 0) - 1;
  }

  private view(slot: number): JobView {
    let view = this.views[slot];
    if (!view) this.views[slot] = view = new JobView(this, this.cols, slot);
    return view;
  }

  private create(cluster: number, proc: number, time: number): number {
    let procs = this.byCluster.get(cluster);
    if (!procs) {
      this.byCluster.set(cluster, (procs = []));
      this.lastCluster = Number.NaN;
    }
    const known = procs[proc];
    let slot: number;
    if (known !== undefined) {
      // A second submit event: the proc starts afresh in its slot. (A proc expected from the
      // record and meeting its first event is fresh already: nothing to clear.)
      slot = known - 1;
      if (this.cols.f.evented[slot] === 1) {
        this.setState(slot, IDLE);
        this.cols.clear(slot);
        this.progress.delete(slot);
      }
    } else {
      slot = this.cols.add();
      procs[proc] = slot + 1;
      this.sorted = null;
      this.stateCounts[IDLE]!++;
      this.groupSets?.idle.add(slot);
    }
    this.cols.n.cluster[slot] = cluster;
    this.cols.n.proc[slot] = proc;
    this.cols.n.since[slot] = time;
    return slot;
  }

  /** Move a proc to `to` (a state code), keeping the counts and groups. */
  private setState(slot: number, to: number): void {
    const from = this.groupCode(slot);
    this.cols.f.state[slot] = to;
    const now = this.groupCode(slot);
    if (from === now) return;
    this.stateCounts[from]!--;
    this.stateCounts[now]!++;
    if (!this.groupSets) return;
    const left = GROUP_OF[from];
    const entered = GROUP_OF[now];
    if (left) this.groupSets[left].delete(slot);
    if (entered) this.groupSets[entered].add(slot);
  }

  private get groups(): Record<JobGroup, Set<number>> {
    if (!this.groupSets) {
      const sets: Record<JobGroup, Set<number>> = {
        held: new Set(),
        failed: new Set(),
        running: new Set(),
        idle: new Set(),
      };
      for (let slot = 0; slot < this.cols.size; slot++) {
        const group = GROUP_OF[this.groupCode(slot)];
        if (group) sets[group].add(slot);
      }
      this.groupSets = sets;
    }
    return this.groupSets;
  }

  /** The state code, FAILED for a completed proc that did not exit 0. */
  private groupCode(slot: number): number {
    const state = this.cols.f.state[slot]!;
    if (state !== COMPLETED) return state;
    return this.cols.n.exitCode[slot] !== 0 || this.cols.n.signal[slot] !== NONE ? FAILED : COMPLETED;
  }

  /** Apply one event; returns the state change it caused, if any (and only if the table records changes). */
  apply(event: TrackedEvent): StateChange | null {
    this.events++;
    if (this.clusters && !this.clusters.has(event.cluster)) {
      // Said when the log holds nothing of ours: the wrong log, or another submission's.
      this.otherEvents++;
      const seen = this.otherClusters.get(event.cluster);
      if (seen !== undefined || this.otherClusters.size < 5) this.otherClusters.set(event.cluster, (seen ?? 0) + 1);
      return null;
    }
    this.ownEvents++;
    if (event.proc < 0) {
      if (event.code === 36) this.clusterRemoved(event);
      return null;
    }
    const cols = this.cols;
    const pending = cols.f.uploadPending;
    // Most events (006 image size) change nothing: return before any other work.
    const code = event.code;
    if (READS[code] === 0) {
      let known = this.find(event.cluster, event.proc);
      if (known < 0) known = this.create(event.cluster, event.proc, event.time);
      cols.f.evented[known] = 1;
      if (pending[known] === 1 && SILENT[code] !== 1) this.checkpointed(known);
      return null;
    }
    // A 005 whose exit cannot be read is one HTCondor's reader refuses (TerminatedEvent::
    // readEventBody fails, ReadUserLog skips to the next event): the job stays as it was.
    // A 005's exit and a 004's requeue, read once: what follows reads them from here.
    const exit = code === 5 ? event.exitStatus() : NO_EXIT;
    if (code === 5 && exit.returnValue === undefined && exit.signal === undefined) return null;
    const requeue = code === 4 ? event.requeue() : null;
    let slot = this.find(event.cluster, event.proc);
    // A submit event starts the job afresh; any other first event (a log that begins mid-way)
    // creates the job, and the table puts it in the state that event implies.
    if (slot < 0 || code === 0) slot = this.create(event.cluster, event.proc, event.time);
    cols.f.evented[slot] = 1;
    // After an output transfer, anything but the job's end means the files were a checkpoint.
    if (pending[slot] === 1) {
      // A requeue's upload was that try's end (max_retries), not a checkpoint.
      if (NOT_A_CHECKPOINT[code] === 1 || requeue) pending[slot] = 0;
      else if (SILENT[code] === 1) {
        // (a 023: still undecided)
      } else if (code !== 40) this.checkpointed(slot);
      else {
        // A new transfer says the last upload was a checkpoint; its own end says nothing yet.
        const step = event.transferStep();
        if (!(step?.direction === 'output' && step.stage === 'finished')) this.checkpointed(slot);
      }
    }
    const from = cols.f.state[slot]!;
    const terminal = from === COMPLETED || from === REMOVED;
    this.readDetails(slot, event, terminal, exit, requeue);
    if (code === 3) {
      if (!terminal) this.checkpointed(slot);
      return null;
    }
    if (code === 40 && !terminal) return this.transferred(slot, event, from);
    // A terminal state is final: a 009 written after a 005 (DAGMan removing a job that
    // already exited) does not turn a finished job into a removed one.
    const to = terminal ? 255 : EVENT_STATE_CODE[code]!;
    if (to === 255) return null;
    if (to !== RUNNING) cols.f.activity[slot] = 0;
    if (to === from && code !== 0 && code !== 1) return null;
    return this.move(slot, to, event, from);
  }

  private transferred(slot: number, event: TrackedEvent, from: number): StateChange | null {
    const transfer = event.transferStep();
    const host =
      this.readHostsAndMessages && transfer?.direction === 'input' && transfer.stage === 'started'
        ? event.transferHost()
        : undefined;
    const cols = this.cols;
    if (transfer?.direction === 'output' && transfer.stage === 'finished' && from === RUNNING)
      cols.f.uploadPending[slot] = 1;
    cols.f.activity[slot] = transfer?.stage === 'started' ? (transfer.direction === 'input' ? 1 : 2) : 0;
    this.setHost(slot, host);
    // A transfer starting is worth a line; its end is not (the next event says what follows).
    if (transfer?.stage === 'started') return this.move(slot, from === IDLE ? RUNNING : from, event, from);
    return null;
  }

  /** A host seen (none: keep the last), interned: a pool's few hundred hosts, not one string per event. */
  private setHost(slot: number, host: string | undefined): void {
    if (host) this.cols.setText('host', slot, host);
  }

  private checkpointed(slot: number): void {
    this.cols.c.checkpoints[slot]!++;
    this.cols.f.uploadPending[slot] = 0;
  }

  private move(slot: number, to: number, event: TrackedEvent, from: number): StateChange | null {
    const cols = this.cols;
    if (from !== to || event.code === 0) cols.n.since[slot] = event.time;
    this.setState(slot, to);
    if (!this.recordChanges) return null;
    const state = STATE_NAMES[to]!;
    return {
      job: this.view(slot),
      from: event.code === 0 ? null : STATE_NAMES[from]!,
      to: state,
      activity: ACTIVITIES[cols.f.activity[slot]!]!,
      host: cols.text('host', slot),
      hold:
        to === HELD
          ? {
              reason: cols.text('holdReason', slot),
              code: cols.get('holdCode', slot),
              subcode: cols.get('holdSubcode', slot),
            }
          : null,
      // Changes are recorded only from a parser's own events (a split read keeps none: log-set.ts).
      event: event as LogEvent,
    };
  }

  private readDetails(
    slot: number,
    event: TrackedEvent,
    terminal: boolean,
    exit: ExitStatus,
    requeue: Requeue | null,
  ): void {
    const { n, c } = this.cols;
    // A run ends with its proc's eviction, exit, removal, hold, shadow exception or lost reconnect.
    if (n.runStart[slot] !== NONE && RUN_ENDS[event.code] === 1 && !terminal) {
      const ran = event.time - n.runStart[slot]!;
      if (Number.isFinite(ran) && ran > 0) n.runMs[slot]! += ran;
      n.runStart[slot] = NONE;
    }
    switch (event.code) {
      case 1:
        c.starts[slot]!++;
        n.startedAt[slot] = event.time;
        n.runStart[slot] = event.time;
        if (this.readHostsAndMessages) this.setHost(slot, event.executeHost());
        this.clearHold(slot);
        break;
      case 4: {
        // A requeue (JobEvictedEvent's terminate_and_requeued) is a try that exited and is run
        // again, not an eviction: its exit is the message.
        if (requeue) {
          if (this.readHostsAndMessages) this.cols.setText('lastMessage', slot, requeueMessage(requeue));
          break;
        }
        c.evictions[slot]!++;
        if (this.readHostsAndMessages) this.setMessage(slot, event.tableDetails().reason);
        break;
      }
      case 5:
        if (!terminal) this.ended(slot, event, exit);
        break;
      case 7:
        if (this.readHostsAndMessages) this.setMessage(slot, event.tableDetails().reason);
        break;
      case 9:
        if (terminal) break;
        n.endedAt[slot] = event.time;
        if (this.readHostsAndMessages) this.cols.setText('lastMessage', slot, event.tableDetails().reason ?? null);
        break;
      case 12: {
        c.holds[slot]!++;
        const hold = event.tableDetails();
        this.cols.setText('holdReason', slot, hold.reason ?? 'Reason unspecified');
        n.holdCode[slot] = hold.holdCode ?? NONE;
        n.holdSubcode[slot] = hold.holdSubcode ?? NONE;
        break;
      }
      case 13:
        this.clearHold(slot);
        break;
      default:
        break;
    }
  }

  /** An eviction's or shadow exception's message, when it has one (else the last stays). */
  private setMessage(slot: number, reason: string | undefined): void {
    if (reason) this.cols.setText('lastMessage', slot, reason);
  }

  /**
   * A 036: the cluster's factory is gone (ClusterRemoveEvent, `Materialized N jobs`). Procs N on
   * that were expected but never made will never run: removed, so the job can end.
   */
  private clusterRemoved(event: TrackedEvent): void {
    const made = event.materialized();
    const procs = this.byCluster.get(event.cluster);
    if (made === undefined || !procs) return;
    const { f, n } = this.cols;
    for (let proc = made; proc < procs.length; proc++) {
      const slot = (procs[proc] ?? 0) - 1;
      if (slot < 0 || f.evented[slot] === 1 || f.state[slot] !== IDLE) continue;
      n.since[slot] = n.endedAt[slot] = event.time;
      if (this.readHostsAndMessages)
        this.cols.setText('lastMessage', slot, 'never made: the cluster was removed before this proc was materialized');
      this.setState(slot, REMOVED);
    }
  }

  /** A run start (001) or a release (013): the proc is no longer held for the last hold's reason. */
  private clearHold(slot: number): void {
    this.cols.setText('holdReason', slot, null);
    this.cols.n.holdCode[slot] = this.cols.n.holdSubcode[slot] = NONE;
  }

  /** A 005: the exit from its first body lines, and the usage figures (not the event: it is not kept). */
  private ended(slot: number, event: TrackedEvent, exit: ExitStatus): void {
    const { n, f } = this.cols;
    f.uploadPending[slot] = 0;
    n.endedAt[slot] = event.time;
    n.exitCode[slot] = exit.returnValue ?? NONE;
    n.signal[slot] = exit.signal ?? NONE;
    if (!this.readUsage) return;
    const usage = event.endUsage();
    f.ended[slot] = 1;
    f.memoryRow[slot] = usage.memoryRow ? 1 : 0;
    n.cpuSeconds[slot] = usage.cpuSeconds ?? NONE;
    n.memoryMb[slot] = usage.memoryMb ?? NONE;
    n.memoryRequestMb[slot] = usage.memoryRequestMb ?? NONE;
    n.diskKb[slot] = usage.diskKb ?? NONE;
    n.diskRequestKb[slot] = usage.diskRequestKb ?? NONE;
    n.gpus[slot] = usage.gpus ?? NONE;
  }

  /** Jobs in id order (cluster, then proc). */
  list(): JobState[] {
    const order = this.order();
    const jobs: JobState[] = new Array(order.length);
    for (let i = 0; i < order.length; i++) jobs[i] = this.view(order[i]!);
    return jobs;
  }

  /**
   * Each proc in id order, on views made for the call and not kept (list() keeps them): a
   * 100,000-row snapshot or summary leaves nothing behind. Stops when `visit` returns false.
   */
  forEachJob(visit: (job: JobState) => unknown): void {
    const order = this.order();
    const state = this.cols.f.state;
    for (let i = 0; i < order.length; i++) {
      const slot = order[i]!;
      // A running proc's view is kept: the live view remembers its loss trend by it (loss-trend.ts).
      const job = this.views[slot] ?? (state[slot] === RUNNING ? this.view(slot) : new JobView(this, this.cols, slot));
      if (visit(job) === false) return;
    }
  }

  /** The first `limit` procs (id order) that did not complete with exit 0, and how many there are. */
  unsuccessful(limit: number): { jobs: JobState[]; total: number } {
    const jobs: JobState[] = [];
    const total = this.size - this.stateCounts[COMPLETED]!;
    if (total > 0 && limit > 0)
      this.forEachJob((job) => {
        if (job.state !== 'completed' || job.exitCode !== 0 || job.signal !== null) jobs.push(job);
        return jobs.length < limit;
      });
    return { jobs, total };
  }

  /** Slots in id order: sorted once, again only after a proc was added (most logs come sorted). */
  private order(): Int32Array {
    if (this.sorted) return this.sorted;
    const { cluster, proc } = this.cols.n;
    const slots = new Int32Array(this.cols.size);
    let inOrder = true;
    for (let i = 0; i < slots.length; i++) {
      slots[i] = i;
      if (i > 0 && (cluster[i - 1]! > cluster[i]! || (cluster[i - 1] === cluster[i] && proc[i - 1]! > proc[i]!)))
        inOrder = false;
    }
    if (!inOrder) slots.sort((a, b) => cluster[a]! - cluster[b]! || proc[a]! - proc[b]!);
    this.sorted = slots;
    return slots;
  }

  counts(): Record<StateName, number> {
    const n = this.stateCounts;
    return {
      idle: n[IDLE]!,
      running: n[RUNNING]!,
      held: n[HELD]!,
      suspended: n[SUSPENDED]!,
      completed: n[COMPLETED]! + n[FAILED]!,
      removed: n[REMOVED]!,
    };
  }

  /**
   * Each ended proc's usage (a 005 read): its execute time over every run (ms, 0 when none) and
   * the figures, on one reused object: the summary of 100,000 procs makes no object per proc.
   */
  eachUsage(visit: (wallMs: number, usage: EndUsage) => void): void {
    const { n, f } = this.cols;
    const usage = noUsage();
    // In id order, as a walk over list() would sum them (the same floating-point sums).
    const order = this.order();
    for (let i = 0; i < order.length; i++) {
      const slot = order[i]!;
      if (f.ended[slot] === 0) continue;
      readUsage(this.cols, slot, usage);
      const runStart = n.runStart[slot]!;
      const endedAt = n.endedAt[slot]!;
      visit(n.runMs[slot]! + (runStart !== NONE && endedAt !== NONE ? endedAt - runStart : 0), usage);
    }
  }

  /** Wall time (end − last start, ms) of every proc that has both, ascending. */
  wallTimes(): Float64Array {
    const { n } = this.cols;
    const walls: number[] = [];
    for (let slot = 0; slot < this.cols.size; slot++)
      if (n.startedAt[slot] !== NONE && n.endedAt[slot] !== NONE) walls.push(n.endedAt[slot]! - n.startedAt[slot]!);
    return Float64Array.from(walls).sort();
  }

  /** Completed procs that exited non-zero or by a signal. */
  get failed(): number {
    return this.stateCounts[FAILED]!;
  }

  /** Every job has ended (completed or removed). False with no jobs at all. */
  allDone(): boolean {
    const n = this.stateCounts;
    return this.size > 0 && n[COMPLETED]! + n[FAILED]! + n[REMOVED]! === this.size;
  }

  /** How many procs a view group has (running: running and suspended). */
  groupSize(group: JobGroup): number {
    return this.groups[group].size;
  }

  /**
   * Up to `limit` procs of a group, in id order among those taken: a small group whole, a
   * large one by the order its procs entered it (the longest there first). Costs the procs
   * taken, not the table.
   */
  pick(group: JobGroup, limit: number): JobState[] {
    const members = this.groups[group];
    const slots: number[] = [];
    for (const slot of members) {
      if (slots.length >= limit) break;
      slots.push(slot);
    }
    const { cluster, proc } = this.cols.n;
    slots.sort((a, b) => cluster[a]! - cluster[b]! || proc[a]! - proc[b]!);
    return slots.map((slot) => this.view(slot));
  }

  /** Each proc of a group, as (slot-reading) views; for a walk a caller cannot avoid. */
  *members(group: JobGroup): IterableIterator<JobState> {
    for (const slot of this.groups[group]) yield this.view(slot);
  }
}

/** A proc's usage figures (its 005's, from the columns) written into `into`, which is returned. */
function readUsage(cols: ProcColumns, slot: number, into: EndUsage): EndUsage {
  into.cpuSeconds = cols.get('cpuSeconds', slot);
  into.memoryRow = cols.f.memoryRow[slot] === 1;
  into.memoryMb = cols.get('memoryMb', slot);
  into.memoryRequestMb = cols.get('memoryRequestMb', slot);
  into.diskKb = cols.get('diskKb', slot);
  into.diskRequestKb = cols.get('diskRequestKb', slot);
  into.gpus = cols.get('gpus', slot);
  return into;
}

/** Memory used and requested (MB), from the terminate event's usage table; null when it has none. */
export function memoryUse(job: JobState): { usedMb: number | null; requestedMb: number | null } | null {
  const usage = job.usage;
  return usage?.memoryRow ? { usedMb: usage.memoryMb, requestedMb: usage.memoryRequestMb } : null;
}

/** The machine-readable form `status --json` prints (the issue's contract; null when absent). */
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
