// A split read's tape (split-read.ts): the events of one stretch of a log, each reduced to what
// the job table reads of it (TrackedEvent), in typed columns that a worker thread hands over
// without a copy. The writer runs in the worker (tape-worker.ts); replayTape runs on the main
// thread, which applies the tape's events in log order after its own stretch's, so the table
// ends as one whole read would leave it. Writer and reader live here side by side: the tape's
// layout is theirs alone.
import type { EndUsage, LogEvent, Requeue, TableDetails, TrackedEvent, TransferStep } from './event-log.ts';
import { Interner } from '../interner.ts';
import { noUsage, TRANSFER_STEPS } from './event-fields.ts';

/** A number the event does not carry (returnValue of a signalled exit, a hold without a code). */
const ABSENT = Number.NEGATIVE_INFINITY;
/** The code of a tape entry that is a junk record, not an event. */
const JUNK = 0xffff;
/** Junk records quoted by text (every one is counted): the reader quotes no more than a few. */
const JUNK_TEXTS = 8;
/**
 * A quoted junk record's text is kept up to this many chars (the reader shows its first words;
 * a junk record can be as long as the log).
 */
const JUNK_TEXT_CHARS = 1 << 16;
/** Numbers kept per 005 when usage is read: memoryRow (0/1) and EndUsage's seven figures. */
const USAGE_WIDTH = 8;

/** What the worker posts: the columns' buffers travel in the transfer list. */
export interface Tape {
  count: number;
  code: Uint16Array;
  cluster: Float64Array;
  proc: Float64Array;
  time: Float64Array;
  /** Per code: 005 return value, 012 hold code, 040 transfer step (stage × 2 + output), 004 1 for a requeue, 036 procs made. */
  a: Float64Array;
  /** 005 signal, 012 hold subcode, a requeue's return value (or -1 - its signal). */
  b: Float64Array;
  /** A string's index in `strings` (-1: none): 001/040 host, 004/007/009/012 reason, junk text. */
  text: Int32Array;
  /** USAGE_WIDTH numbers per 005, in the order of the 005s (empty when usage is not read). */
  usage: Float64Array;
  strings: string[];
}

const orAbsent = (value: number | undefined): number => (value === undefined ? ABSENT : value);
const orUndefined = (value: number): number | undefined => (value === ABSENT ? undefined : value);

/** Reduces events to the tape, in the worker; finish() hands the columns over. */
export class TapeWriter {
  private count = 0;
  private capacity = 0;
  private usageCount = 0;
  private junkQuoted = 0;
  private code = new Uint16Array(0);
  private cluster = new Float64Array(0);
  private proc = new Float64Array(0);
  private time = new Float64Array(0);
  private a = new Float64Array(0);
  private b = new Float64Array(0);
  private text = new Int32Array(0);
  private usage = new Float64Array(0);
  private readonly texts = new Interner();
  private readonly withUsage: boolean;
  private readonly withHosts: boolean;

  /** `reading`: what the table reads (JobTableOptions' usage and hostsAndMessages): the rest is left out. */
  constructor(reading: { usage: boolean; hostsAndMessages: boolean }, capacity = 1 << 14) {
    this.withUsage = reading.usage;
    this.withHosts = reading.hostsAndMessages;
    this.grow(capacity);
  }

  /** The event's numbers and, for the codes the table looks into, the fields it reads. */
  add(event: LogEvent): void {
    const i = this.next();
    const code = event.code;
    this.code[i] = code;
    this.cluster[i] = event.cluster;
    this.proc[i] = event.proc;
    this.time[i] = event.time;
    this.a[i] = this.b[i] = ABSENT;
    this.text[i] = -1;
    switch (code) {
      case 1:
        if (this.withHosts) this.text[i] = this.intern(event.executeHost());
        break;
      case 4: {
        // A requeue: a = 1, b its return value, or -1 - its signal; its reason as an eviction's.
        const requeue = event.requeue();
        if (requeue) {
          this.a[i] = 1;
          this.b[i] = requeue.returnValue ?? (requeue.signal !== undefined ? -1 - requeue.signal : ABSENT);
          if (this.withHosts) this.text[i] = this.intern(requeue.reason);
        } else if (this.withHosts) this.text[i] = this.intern(event.tableDetails().reason);
        break;
      }
      case 7:
      case 9:
        if (this.withHosts) this.text[i] = this.intern(event.tableDetails().reason);
        break;
      case 36:
        this.a[i] = orAbsent(event.materialized());
        break;
      case 5: {
        const exit = event.exitStatus();
        this.a[i] = orAbsent(exit.returnValue);
        this.b[i] = orAbsent(exit.signal);
        if (this.withUsage) this.addUsage(event.endUsage());
        break;
      }
      case 12: {
        const details = event.tableDetails();
        this.text[i] = this.intern(details.reason);
        this.a[i] = orAbsent(details.holdCode);
        this.b[i] = orAbsent(details.holdSubcode);
        break;
      }
      case 40: {
        const step = event.transferStep();
        if (!step) break;
        this.a[i] = stepIndex(step);
        if (this.withHosts && step.direction === 'input' && step.stage === 'started')
          this.text[i] = this.intern(event.transferHost());
        break;
      }
      default:
        break;
    }
  }

  /** A junk record, in its place among the events (its text only for the first few). */
  addJunk(text: string): void {
    const i = this.next();
    this.code[i] = JUNK;
    this.text[i] = this.junkQuoted++ < JUNK_TEXTS ? this.intern(text.slice(0, JUNK_TEXT_CHARS)) : -1;
  }

  finish(): { tape: Tape; transfer: ArrayBuffer[] } {
    const n = this.count;
    const tape: Tape = {
      count: n,
      code: this.code.subarray(0, n),
      cluster: this.cluster.subarray(0, n),
      proc: this.proc.subarray(0, n),
      time: this.time.subarray(0, n),
      a: this.a.subarray(0, n),
      b: this.b.subarray(0, n),
      text: this.text.subarray(0, n),
      usage: this.usage.subarray(0, this.usageCount * USAGE_WIDTH),
      strings: this.texts.strings,
    };
    const columns = [tape.code, tape.cluster, tape.proc, tape.time, tape.a, tape.b, tape.text, tape.usage];
    return { tape, transfer: columns.map((column) => column.buffer as ArrayBuffer) };
  }

  private next(): number {
    if (this.count === this.capacity) this.grow(this.capacity * 2);
    return this.count++;
  }

  private addUsage(usage: EndUsage): void {
    if ((this.usageCount + 1) * USAGE_WIDTH > this.usage.length) {
      const bigger = new Float64Array(Math.max(1024, this.usage.length * 2));
      bigger.set(this.usage);
      this.usage = bigger;
    }
    const at = this.usageCount++ * USAGE_WIDTH;
    const u = this.usage;
    u[at] = usage.memoryRow ? 1 : 0;
    u[at + 1] = usage.cpuSeconds ?? ABSENT;
    u[at + 2] = usage.memoryMb ?? ABSENT;
    u[at + 3] = usage.memoryRequestMb ?? ABSENT;
    u[at + 4] = usage.diskKb ?? ABSENT;
    u[at + 5] = usage.diskRequestKb ?? ABSENT;
    u[at + 6] = usage.gpus ?? ABSENT;
  }

  private intern(value: string | undefined): number {
    return value === undefined ? -1 : this.texts.intern(value);
  }

  private grow(capacity: number): void {
    const grown = <T extends Uint16Array | Float64Array | Int32Array>(from: T, make: (n: number) => T): T => {
      const into = make(capacity);
      into.set(from);
      return into;
    };
    this.code = grown(this.code, (n) => new Uint16Array(n));
    this.cluster = grown(this.cluster, (n) => new Float64Array(n));
    this.proc = grown(this.proc, (n) => new Float64Array(n));
    this.time = grown(this.time, (n) => new Float64Array(n));
    this.a = grown(this.a, (n) => new Float64Array(n));
    this.b = grown(this.b, (n) => new Float64Array(n));
    this.text = grown(this.text, (n) => new Int32Array(n));
    this.capacity = capacity;
  }
}

function stepIndex(step: TransferStep): number {
  const stage = step.stage === 'queued' ? 0 : step.stage === 'started' ? 1 : 2;
  return stage * 2 + (step.direction === 'output' ? 1 : 0);
}

const NO_USAGE: EndUsage = Object.freeze(noUsage());

/** One tape entry seen as an event: the reader moves it along the tape (valid only during onEvent). */
class TapeEvent implements TrackedEvent {
  code = 0;
  cluster = 0;
  proc = 0;
  time = 0;
  /** The entry, and its 005's place in the usage column (-1: none). */
  at = 0;
  usageAt = -1;
  private readonly tape: Tape;
  private readonly detailsValue: TableDetails = {};
  constructor(tape: Tape) {
    this.tape = tape;
  }

  private string(): string | undefined {
    const id = this.tape.text[this.at]!;
    return id < 0 ? undefined : this.tape.strings[id];
  }

  transferStep(): TransferStep | undefined {
    const k = this.code === 40 ? this.tape.a[this.at]! : ABSENT;
    return k === ABSENT ? undefined : TRANSFER_STEPS[k >> 1]![k & 1];
  }
  transferHost(): string | undefined {
    return this.code === 40 ? this.string() : undefined;
  }
  executeHost(): string | undefined {
    return this.code === 1 ? this.string() : undefined;
  }
  exitStatus(): { returnValue?: number; signal?: number } {
    const out: { returnValue?: number; signal?: number } = {};
    if (this.code !== 5) return out;
    const returnValue = orUndefined(this.tape.a[this.at]!);
    const signal = orUndefined(this.tape.b[this.at]!);
    if (returnValue !== undefined) out.returnValue = returnValue;
    if (signal !== undefined) out.signal = signal;
    return out;
  }
  endUsage(): EndUsage {
    if (this.usageAt < 0) return NO_USAGE;
    const u = this.tape.usage;
    const at = this.usageAt;
    const value = (k: number): number | null => (u[at + k] === ABSENT ? null : u[at + k]!);
    return {
      memoryRow: u[at] === 1,
      cpuSeconds: value(1),
      memoryMb: value(2),
      memoryRequestMb: value(3),
      diskKb: value(4),
      diskRequestKb: value(5),
      gpus: value(6),
    };
  }
  requeue(): Requeue | null {
    if (this.code !== 4 || this.tape.a[this.at] !== 1) return null;
    const b = this.tape.b[this.at]!;
    const out: Requeue = b === ABSENT ? {} : b >= 0 ? { returnValue: b } : { signal: -1 - b };
    const reason = this.string();
    if (reason !== undefined) out.reason = reason;
    return out;
  }
  materialized(): number | undefined {
    return this.code === 36 ? orUndefined(this.tape.a[this.at]!) : undefined;
  }
  tableDetails(): TableDetails {
    const d = this.detailsValue;
    d.reason = this.string();
    d.holdCode = this.code === 12 ? orUndefined(this.tape.a[this.at]!) : undefined;
    d.holdSubcode = this.code === 12 ? orUndefined(this.tape.b[this.at]!) : undefined;
    return d;
  }
}

/**
 * Hand the tape's entries out in order: each event on one reused TapeEvent, each junk record
 * as its text ('' past the first few). `withUsage`: the tape was written with usage read.
 */
export function replayTape(
  tape: Tape,
  withUsage: boolean,
  onEvent: (event: TrackedEvent) => void,
  onJunk: (junk: { text: string }) => void,
): number {
  const event = new TapeEvent(tape);
  let usageNext = 0;
  let events = 0;
  for (let i = 0; i < tape.count; i++) {
    const code = tape.code[i]!;
    if (code === JUNK) {
      const id = tape.text[i]!;
      onJunk({ text: id < 0 ? '' : tape.strings[id]! });
      continue;
    }
    event.at = i;
    event.code = code;
    event.cluster = tape.cluster[i]!;
    event.proc = tape.proc[i]!;
    event.time = tape.time[i]!;
    event.usageAt = code === 5 && withUsage ? usageNext++ * USAGE_WIDTH : -1;
    events++;
    onEvent(event);
  }
  return events;
}
