// The tracker's read stage: every event log of a job followed together into one JobTable,
// unreadable records counted (a few quoted), and a truncated or replaced log read again from
// every log's first byte into a fresh table.
import { basename } from 'node:path';
import type { TrackedEvent } from '../event-log/event-log.ts';
import { LogFollower, type LogPrint } from '../event-log/log-follower.ts';
import { JobTable, type StateChange } from './job-state.ts';

/** How many unreadable records are quoted (all are counted). */
const JUNK_SAMPLES = 3;

export interface LogSetOptions {
  logs: string[];
  cluster: number | null;
  /** Procs known from condor_submit, shown before their first event arrives. */
  procs?: number[];
  referenceTime?: number;
  /**
   * Keep each state change with its event (the line-per-change output needs them). Off, the
   * parser hands out one reused event and the table makes no object per event.
   */
  changes: boolean;
  /** Read each terminate event's usage (JobTableOptions.usage). */
  usage: boolean;
  /** Read each run's host and messages (JobTableOptions.hostsAndMessages). */
  hostsAndMessages: boolean;
  now: () => number;
}

export interface PollOutcome {
  /** Logs not there (yet). */
  missing: LogFollower[];
  /** A log was truncated or replaced: the table was started again from every log's start. */
  reset: boolean;
}

export class LogSet {
  table: JobTable;
  junk = 0;
  /** State changes since the last take(), when the set keeps them (options.changes). */
  private changes: StateChange[] = [];
  readonly junkSamples: string[] = [];
  readonly followers: LogFollower[];
  private resetPending = false;
  private readonly options: LogSetOptions;

  constructor(options: LogSetOptions) {
    this.options = options;
    this.table = this.newTable();
    this.followers = [...new Set(options.logs)].map(
      (path) =>
        new LogFollower(path, {
          onEvent: (event) => {
            const change = this.table.apply(event);
            if (change) this.changes.push(change);
          },
          onJunk: (record) => {
            this.junk++;
            if (this.junkSamples.length < JUNK_SAMPLES)
              this.junkSamples.push(`\`${oneLine(record.text)}\` in ${basename(path)}`);
          },
          onReset: () => (this.resetPending = true),
          referenceTime: options.referenceTime,
          reuse: !options.changes,
          // A big log's first read on two threads, where no state change is kept (they hold the event).
          ...(options.changes
            ? {}
            : {
                split: {
                  usage: options.usage,
                  hostsAndMessages: options.hostsAndMessages,
                  onTracked: (event: TrackedEvent) => this.table.apply(event),
                },
              }),
        }),
    );
  }

  /**
   * A set over no log, holding a finished job's kept table (recorded-outcomes.ts): polls read
   * nothing, and what the logs would say (table, junk) is the kept table's.
   */
  static ofKept(options: LogSetOptions, kept: { table: JobTable; junk: number; junkSamples?: string[] }): LogSet {
    // (No procs to expect: the set's own first table is replaced at once.)
    const set = new LogSet({ ...options, logs: [], procs: undefined });
    set.table = kept.table;
    set.junk = kept.junk;
    set.junkSamples.push(...(kept.junkSamples ?? []));
    return set;
  }

  private newTable(): JobTable {
    const { cluster, procs, changes, usage, hostsAndMessages, now } = this.options;
    const table = new JobTable(cluster === null ? null : [cluster], { changes, usage, hostsAndMessages });
    if (cluster !== null && procs) table.expect(cluster, procs, now());
    return table;
  }

  /**
   * Start reading each big log on a worker thread now (LogFollower.readAhead): for a caller
   * with other work before its first poll.
   */
  readAhead(minBytes: number): void {
    for (const f of this.followers) f.readAhead(minBytes);
  }

  /** Read what each log has gained; `finish` ends a one-shot read (a last `...` without its newline). */
  poll(finish: boolean): PollOutcome {
    let missing = this.followers.filter((f) => f.poll().missing);
    const reset = this.resetPending;
    if (reset) {
      this.resetPending = false;
      // Every log is read again from its start: what was counted of them goes too.
      this.table = this.newTable();
      this.changes = [];
      this.junk = 0;
      this.junkSamples.length = 0;
      for (const f of this.followers) f.close();
      missing = this.followers.filter((f) => f.poll().missing);
    }
    if (finish) for (const f of this.followers) f.finish();
    return { missing, reset };
  }

  /** The state changes read since the last call (none unless options.changes). */
  takeChanges(): StateChange[] {
    const taken = this.changes;
    this.changes = [];
    return taken;
  }

  /** Look for the missing logs once more (after the queue said the job is gone). */
  anyOpened(): boolean {
    for (const f of this.followers) if (!f.opened) f.poll();
    return this.followers.some((f) => f.opened);
  }

  close(): void {
    for (const f of this.followers) f.close();
  }

  /**
   * Each log as the table last read it, when the table holds all of every log as it was then
   * (LogFollower.readPrint); else null. Whether a log has changed since is the caller's to ask.
   */
  readPrints(): LogPrint[] | null {
    const prints: LogPrint[] = [];
    for (const f of this.followers) {
      const print = f.readPrint();
      if (!print) return null;
      prints.push(print);
    }
    return prints;
  }

  neverOpened(): string[] {
    return this.followers.filter((f) => !f.opened).map((f) => f.path);
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 40 ? `${line.slice(0, 39)}…` : line;
}
