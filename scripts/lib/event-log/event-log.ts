// The HTCondor job event log (`log =` file), read by our own parser: events are framed by a
// line that is exactly `...`; each starts with `NNN (C.P.S) DATE TIME text` (htcondor.md §c).
// Nothing here is fatal: an unknown event number is kept as an opaque event, and text that is
// not an event at all is reported as a `junk` record, never thrown.
//
// Speed matters (a 100 MB log of 10,000 procs is read at start): the parser works on bytes,
// reads only the header of each event eagerly, and decodes an event's text only when someone
// asks for it. Events therefore keep a reference to the bytes they came from.
import {
  evictionReasonAt,
  executeHostAt,
  holdAt,
  exitAt,
  materializedAt,
  requeueAt,
  readDetails,
  readEndUsage,
  transferHostAt,
  transferStepAt,
  resourceRows,
  type EndUsage,
  type EventDetails,
  type Requeue,
  type ResourceRow,
  type TableDetails,
  type TransferStep,
} from './event-fields.ts';
import { YearInference, eventTime } from './event-time.ts';

export type { EndUsage, EventDetails, Requeue, ResourceRow, TableDetails, TransferStep } from './event-fields.ts';

/** Names of the event numbers in htcondor.md §c.3 (ULOG_* without the prefix, lower case). */
export const EVENT_NAMES: Readonly<Record<number, string>> = {
  0: 'submit',
  1: 'execute',
  2: 'executable_error',
  3: 'checkpointed',
  4: 'job_evicted',
  5: 'job_terminated',
  6: 'image_size',
  7: 'shadow_exception',
  8: 'generic',
  9: 'job_aborted',
  10: 'job_suspended',
  11: 'job_unsuspended',
  12: 'job_held',
  13: 'job_released',
  14: 'node_execute',
  15: 'node_terminated',
  16: 'post_script_terminated',
  17: 'globus_submit',
  18: 'globus_submit_failed',
  19: 'globus_resource_up',
  20: 'globus_resource_down',
  21: 'remote_error',
  22: 'job_disconnected',
  23: 'job_reconnected',
  24: 'job_reconnect_failed',
  25: 'grid_resource_up',
  26: 'grid_resource_down',
  27: 'grid_submit',
  28: 'job_ad_information',
  29: 'job_status_unknown',
  30: 'job_status_known',
  31: 'job_stage_in',
  32: 'job_stage_out',
  33: 'attribute_update',
  34: 'presskip',
  35: 'cluster_submit',
  36: 'cluster_remove',
  37: 'factory_paused',
  38: 'factory_resumed',
  39: 'none',
  40: 'file_transfer',
  41: 'reserve_space',
  42: 'release_space',
  43: 'file_complete',
  44: 'file_used',
  45: 'file_removed',
  46: 'dataflow_job_skipped',
  47: 'common_files',
};

/**
 * What the job table reads of an event: its header numbers and the few body fields that move
 * a proc's state. A LogEvent reads them from its bytes; an event replayed from a tape
 * (event-tape.ts, a split read) carries them already read.
 */
export interface TrackedEvent {
  readonly code: number;
  readonly cluster: number;
  readonly proc: number;
  readonly time: number;
  transferStep(): TransferStep | undefined;
  transferHost(): string | undefined;
  executeHost(): string | undefined;
  exitStatus(): { returnValue?: number; signal?: number };
  endUsage(): EndUsage;
  /** details' `reason`, `holdCode` and `holdSubcode` (all the table reads of them). */
  tableDetails(): TableDetails;
  /** A 004's requeue (a retry after the job exited), null for an eviction (event-fields.ts requeueAt). */
  requeue(): Requeue | null;
  /** A 036's count of procs its factory made (materializedAt). */
  materialized(): number | undefined;
}

export class LogEvent implements TrackedEvent {
  private headlineText: string | undefined;
  private bodyLines: string[] | undefined;
  private detailsValue: EventDetails | undefined;

  // Written only by set(), when the parser makes an event or points its reused one at the next
  // (ParserOptions.reuse): read-only to everyone else.
  /** Event number (000–999). */
  code = 0;
  cluster = 0;
  proc = 0;
  subproc = 0;
  /** Epoch milliseconds; NaN when the date cannot be read. */
  time = Number.NaN;
  private source: Buffer = EMPTY;
  /** Where the date starts, the header line ends (-1: not looked for yet), and the event ends, in `source`. */
  private dateStart = 0;
  private headlineStart = 0;
  private lineEnd = -1;
  private end = 0;

  /**
   * Point this object at an event (a new one, or the parser's reused one): what was decoded is
   * forgotten. `lineEnd` -1: the header line's end is found when first asked for (most events,
   * a 006 for one, are never asked).
   */
  set(
    code: number,
    cluster: number,
    proc: number,
    subproc: number,
    time: number,
    source: Buffer,
    dateStart: number,
    headlineStart: number,
    lineEnd: number,
    end: number,
  ): this {
    this.code = code;
    this.cluster = cluster;
    this.proc = proc;
    this.subproc = subproc;
    this.time = time;
    this.source = source;
    this.dateStart = dateStart;
    this.headlineStart = headlineStart;
    this.lineEnd = lineEnd;
    this.end = end;
    this.headlineText = undefined;
    this.bodyLines = undefined;
    this.detailsValue = undefined;
    return this;
  }

  /** From EVENT_NAMES, or `unknown` (kept, never fatal). */
  get name(): string {
    return EVENT_NAMES[this.code] ?? 'unknown';
  }

  /** The date and time exactly as written. */
  get rawTime(): string {
    return this.source.toString('utf8', this.dateStart, this.headlineStart).trim();
  }

  /** The text after the date on the header line. */
  get headline(): string {
    return (this.headlineText ??= this.source
      .toString('utf8', this.headlineStart, this.headerEnd())
      .replace(/\r$/, ''));
  }

  /** Body lines, leading and trailing white space removed, empty lines dropped. */
  get body(): string[] {
    if (this.bodyLines === undefined) {
      this.bodyLines = [];
      const lineEnd = this.headerEnd();
      if (lineEnd < this.end) {
        for (const raw of this.source.toString('utf8', lineEnd + 1, this.end).split('\n')) {
          const line = raw.trim();
          if (line) this.bodyLines.push(line);
        }
      }
    }
    return this.bodyLines;
  }

  /**
   * The first `count` body lines (trimmed, empty ones skipped), decoding no more of the event
   * than that: the tracker reads a 005's return value from its first lines this way.
   */
  leadingBody(count: number): string[] {
    if (this.bodyLines !== undefined) return this.bodyLines.slice(0, count);
    const lines: string[] = [];
    let at = this.headerEnd() + 1;
    while (lines.length < count && at < this.end) {
      let nl = this.source.indexOf(NL, at);
      if (nl < 0 || nl > this.end) nl = this.end;
      const line = this.source.toString('utf8', at, nl).trim();
      if (line) lines.push(line);
      at = nl + 1;
    }
    return lines;
  }

  /** Where the header line ends: its newline, or the event's end. */
  private headerEnd(): number {
    if (this.lineEnd < 0) {
      const nl = this.source.indexOf(NL, this.headlineStart);
      this.lineEnd = nl < 0 || nl > this.end ? this.end : nl;
    }
    return this.lineEnd;
  }

  /** Where the body starts: past the header line's newline (the event's end when it has no body). */
  private bodyStart(): number {
    return Math.min(this.headerEnd() + 1, this.end);
  }

  /** The same event on its own copy of its bytes: keeping it does not keep the chunk it came from. */
  detach(): LogEvent {
    const from = this.dateStart;
    const copy = Buffer.from(this.source.subarray(from, this.end));
    return new LogEvent().set(
      this.code,
      this.cluster,
      this.proc,
      this.subproc,
      this.time,
      copy,
      0,
      this.headlineStart - from,
      this.lineEnd < 0 ? -1 : this.lineEnd - from,
      this.end - from,
    );
  }

  /** The body fields that matter for tracking (read on first use). */
  get details(): EventDetails {
    return (this.detailsValue ??= readDetails(this));
  }

  // What the tracker reads of each proc's events, from the bytes: the same as `details` gives,
  // without decoding the event (see event-fields.ts).

  /** details.transfer */
  transferStep(): TransferStep | undefined {
    return this.detailsValue
      ? this.detailsValue.transfer
      : transferStepAt(this.source, this.headlineStart, this.headerEnd());
  }

  /** details.host of a 040 input transfer start (its `Transferring to host:` line). */
  transferHost(): string | undefined {
    return transferHostAt(this.source, this.bodyStart(), this.end);
  }

  /** details.host of a 001. */
  executeHost(): string | undefined {
    const lineEnd = this.headerEnd();
    return executeHostAt(this.source, { from: this.headlineStart, to: lineEnd }, lineEnd + 1, this.end);
  }

  /** details' reason and hold codes, for the codes the table reads them of (004, 007, 009, 012), read in place. */
  tableDetails(): TableDetails {
    if (this.detailsValue) return this.detailsValue;
    const from = this.bodyStart();
    switch (this.code) {
      case 4:
        return { reason: evictionReasonAt(this.source, from, this.end) };
      case 7:
      case 9:
        return { reason: this.leadingBody(1)[0] };
      case 12:
        return holdAt(this.source, from, this.end);
      default:
        return this.details;
    }
  }

  requeue(): Requeue | null {
    if (this.code !== 4) return null;
    return requeueAt(this.source, this.bodyStart(), this.end);
  }

  materialized(): number | undefined {
    if (this.code !== 36) return undefined;
    return materializedAt(this.source, this.bodyStart(), this.end);
  }

  /** A 005's return value or signal (readExit on its first two body lines). */
  exitStatus(): { returnValue?: number; signal?: number } {
    return exitAt(this.source, this.bodyStart(), this.end);
  }

  /** A 005's usage lines and resource table as numbers, decoding only those lines. */
  endUsage(): EndUsage {
    return readEndUsage(this.source, this.bodyStart(), this.end);
  }

  /** 005/004 `Partitionable Resources` table, keyed by row name (`Cpus`, `Disk (KB)`, ...). */
  resources(): Record<string, ResourceRow> | undefined {
    return this.code === 4 || this.code === 5 ? resourceRows(this.body) : undefined;
  }

  /** A plain copy of everything, for tests and JSON. */
  toJSON(): Record<string, unknown> {
    const resources = this.resources();
    return {
      code: this.code,
      name: this.name,
      cluster: this.cluster,
      proc: this.proc,
      subproc: this.subproc,
      time: this.time,
      rawTime: this.rawTime,
      headline: this.headline,
      body: this.body,
      ...this.details,
      ...(resources ? { resources } : {}),
    };
  }
}

/** Text between events that is not an event (garbage, a truncated header...). Reported, not thrown. */
export interface JunkRecord {
  text: string;
}

export interface ParserOptions {
  /** Reference time (ms) for MM/DD dates, which have no year: the log's mtime or the submit time. */
  referenceTime?: number;
  onEvent: (event: LogEvent) => void;
  onJunk?: (junk: JunkRecord) => void;
  /**
   * Hand every event out on one reused LogEvent, valid only during onEvent (detach() keeps one):
   * a tracker of 100,000 procs then makes no object per event.
   */
  reuse?: boolean;
}

const DOT = 0x2e;
const NL = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const EMPTY = Buffer.alloc(0);

function isBlank(c: number | undefined): boolean {
  return c === SPACE || c === TAB;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

/**
 * An event is a few lines (a job ad event a few KiB): bytes this many with no `...` line are no
 * event, and are counted as one junk record and dropped up to the next event end, so a file that
 * is no log (or a log cut into garbage) costs bounded memory, not its size.
 */
const MAX_EVENT_BYTES = 16 << 20;
/** What a dropped run of bytes shows of itself in its junk record. */
const JUNK_SAMPLE_BYTES = 200;
/**
 * An unfinished line, as far as it may still be a `...` line (blanks, `...`, blanks or \r), is
 * one of five states: blanks only (0), one to three dots after them (1-3; blanks or \r after
 * the third keep 3), or never (4). Its carried form is the shortest bytes in that state: what
 * follows makes a `...` line of it exactly when it does of the whole line, so a dropping read
 * carries at most three bytes of a line however long.
 */
const NEVER = 4;
const CARRIED_FORMS = ['', '.', '..', '...', 'x'].map((form) => Buffer.from(form));

/** The state of a line in `state` once data[from, to) is appended to it. */
function lineStateAfter(state: number, data: Buffer, from: number, to: number): number {
  for (let i = from; i < to && state !== NEVER; i++) {
    const c = data[i];
    if (c === DOT) state = state < 3 ? state + 1 : NEVER;
    else if (isBlank(c)) state = state === 1 || state === 2 ? NEVER : state;
    else state = c === CR && state === 3 ? 3 : NEVER;
  }
  return state;
}

/** Bytes decoded per TextWindow step. */
const WINDOW = 1 << 16;

/** A Buffer's bytes as latin1 text, decoded a window at a time as a search moves forward. */
class TextWindow {
  private from = 0;
  private text = '';
  private readonly data: Buffer;
  constructor(data: Buffer) {
    this.data = data;
  }

  /** Where `needle` (ASCII) first occurs at or after `at`, or -1. */
  indexOf(needle: string, at: number): number {
    for (;;) {
      if (at < this.from || at >= this.from + this.text.length) this.move(at);
      const found = this.text.indexOf(needle, at - this.from);
      if (found >= 0) return found + this.from;
      const end = this.from + this.text.length;
      if (end >= this.data.length) return -1;
      // On into the next window, overlapping by the needle less a char (it may straddle).
      at = Math.max(at, end - needle.length + 1);
      this.move(at);
    }
  }

  private move(at: number): void {
    this.from = at;
    this.text = this.data.toString('latin1', at, Math.min(this.data.length, at + WINDOW));
  }
}

/**
 * Incremental parser: push bytes as they arrive; each complete event (its `...` line seen) is
 * handed to onEvent. A partial last event stays buffered until its terminator comes, so a
 * reader following a log being written never sees half an event. Chunks may be cut anywhere,
 * inside a UTF-8 character too: events are only ever cut at their ASCII terminator line.
 */
export class EventLogParser {
  /** The unfinished last event, in the pieces it came in (joined once its end comes: no copy per piece). */
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** Past MAX_EVENT_BYTES without an event end: dropping bytes up to the next one (parts: the carried line). */
  private dropping = false;
  /** While dropping: every byte since the last event end, the dropped ones included. */
  private droppedBytes = 0;
  private readonly years: YearInference;
  private readonly onEvent: (event: LogEvent) => void;
  private readonly onJunk: (junk: JunkRecord) => void;
  private readonly reused: LogEvent | null;
  /** Count of complete events handed out. */
  events = 0;
  junk = 0;

  constructor(options: ParserOptions) {
    this.years = new YearInference(options.referenceTime ?? Date.now());
    this.onEvent = options.onEvent;
    this.onJunk = options.onJunk ?? (() => {});
    this.reused = options.reuse ? new LogEvent() : null;
  }

  /** Did an MM/DD date (whose year follows from the dates before it) occur? */
  get sawLegacyDates(): boolean {
    return this.years.sawLegacy;
  }

  /**
   * Bytes since the last event end, not yet an event (held, or while dropping junk, dropped):
   * a split read's piece is consumed up to them (tape-worker.ts), so they are read again whole.
   */
  get pendingLength(): number {
    return this.dropping ? this.droppedBytes : this.partsLength;
  }

  /** Bytes kept in memory for the unfinished event (at most MAX_EVENT_BYTES; a few while dropping). */
  get heldBytes(): number {
    return this.partsLength;
  }

  /** The unconsumed bytes, decoded (for messages). */
  get pendingText(): string {
    return this.pending.toString('utf8');
  }

  /** The held pieces as one buffer (joined once, then kept so). */
  private get pending(): Buffer {
    if (this.parts.length === 0) return EMPTY;
    if (this.parts.length > 1) this.parts = [Buffer.concat(this.parts, this.partsLength)];
    return this.parts[0]!;
  }

  private set pending(bytes: Buffer) {
    this.parts = bytes.length > 0 ? [bytes] : [];
    this.partsLength = bytes.length;
  }

  /** Nothing held, nothing being dropped. */
  private clearHeld(): void {
    this.pending = EMPTY;
    this.dropping = false;
    this.droppedBytes = 0;
  }

  /** Hold a piece with no event end; past MAX_EVENT_BYTES, junk: one record, then drop up to the next end. */
  private hold(piece: Buffer): void {
    if (!this.dropping && this.partsLength + piece.length <= MAX_EVENT_BYTES) {
      // A copy: the caller may reuse its buffer, and a small piece must not pin a big one.
      this.parts.push(Buffer.from(piece));
      this.partsLength += piece.length;
      return;
    }
    // The held line's state, read before dropping starts (then what is held is a carried form).
    const last = piece.lastIndexOf(NL);
    const before = last >= 0 ? 0 : this.lastLineState();
    if (!this.dropping) {
      const head = this.partsLength > 0 ? this.parts[0]! : piece;
      this.junk++;
      this.onJunk({ text: `${head.toString('utf8', 0, Math.min(head.length, JUNK_SAMPLE_BYTES))}…` });
      this.dropping = true;
      this.droppedBytes = this.partsLength;
    }
    this.droppedBytes += piece.length;
    // Only the last line is carried, in its carried form: a `...` line cut by the piece's end
    // still ends the junk, however many blanks follow its dots.
    this.pending = CARRIED_FORMS[lineStateAfter(before, piece, last + 1, piece.length)]!;
  }

  /**
   * Feed bytes. Events keep references into `chunk`, so the caller must not reuse its memory
   * (the follower reads into a fresh buffer each time).
   */
  pushBytes(chunk: Buffer): void {
    let from = 0;
    if (this.partsLength > 0 || this.dropping) {
      // Only the event that straddles the two pieces is copied together, not the whole chunk.
      const through = this.firstTerminatorEnd(chunk);
      if (through < 0) {
        this.hold(chunk);
        return;
      }
      if (this.dropping) {
        // The junk's end: what follows is read as events again.
        this.clearHeld();
      } else {
        const joined = Buffer.concat([...this.parts, chunk.subarray(0, through)], this.partsLength + through);
        this.pending = EMPTY;
        const rest = this.scan(joined, 0, false);
        if (rest < joined.length) {
          this.hold(joined.subarray(rest));
          return;
        }
      }
      from = through;
    }
    const end = this.scan(chunk, from, false);
    // The tail is copied (hold): it is small, and the chunk it lives in can then be freed.
    if (end < chunk.length) this.hold(chunk.subarray(end));
  }

  pushText(text: string): void {
    this.pushBytes(Buffer.from(text, 'utf8'));
  }

  /** End of input (a one-shot read): a final `...` without its newline still ends the event. */
  end(): void {
    if (this.dropping) {
      // Counted already: nothing of the dropped bytes is an event.
      this.clearHeld();
      return;
    }
    if (this.partsLength === 0) return;
    const data = this.pending;
    const end = this.scan(data, 0, true);
    this.pending = end < data.length ? data.subarray(end) : EMPTY;
  }

  /** Forget everything (the log was truncated or replaced). */
  reset(): void {
    this.clearHeld();
    this.years.reset();
  }

  /** Where the first terminator line in `chunk` ends (the first line continues the held bytes' last). */
  private firstTerminatorEnd(chunk: Buffer): number {
    let lineStart = 0;
    // The held line's start, looked for only once the line ends (not again for each piece of it).
    const first = chunk.indexOf(NL);
    if (first < 0) return -1;
    const held = this.lastLineState();
    for (;;) {
      const nl = lineStart === 0 ? first : chunk.indexOf(NL, lineStart);
      if (nl < 0) return -1;
      // A `...` line ends there (the first line continues the held one).
      if (lineStateAfter(lineStart === 0 ? held : 0, chunk, lineStart, nl) === 3) return nl + 1;
      lineStart = nl + 1;
    }
  }

  /**
   * The state of the held bytes' unfinished last line (lineStateAfter), read from the piece
   * that holds its start on (the pieces are not joined). While dropping, what is held is the
   * carried form itself.
   */
  private lastLineState(): number {
    const parts = this.parts;
    let first = parts.length - 1;
    let start = 0;
    for (; first >= 0; first--) {
      const nl = parts[first]!.lastIndexOf(NL);
      if (nl >= 0) {
        start = nl + 1;
        break;
      }
    }
    if (first < 0) first = 0;
    let state = 0;
    for (let i = first; i < parts.length && state !== NEVER; i++) {
      const part = parts[i]!;
      state = lineStateAfter(state, part, i === first ? start : 0, part.length);
    }
    return state;
  }

  /**
   * Hand out every complete event in `data` from `start`; return where the unconsumed rest
   * begins. The search is for the terminator itself (indexOf('...'), then a look at the bytes
   * around it: a line that is `...`, blanks around it and \r allowed, as HTCondor writes it bare
   * and logs pasted from docs indent it), not line by line: an event costs two searches,
   * whatever its number of lines. At the very end of the input a final `...` needs no newline.
   */
  private scan(data: Buffer, start: number, atEnd: boolean): number {
    const length = data.length;
    // The searches run on the bytes decoded as latin1 (a char per byte, so offsets agree), a
    // window at a time: a string search is a builtin, a Buffer search a call into C++ with its
    // checks, per event; small windows stay short-lived strings (a 1 MiB one would not).
    const text = new TextWindow(data);
    let from = start;
    for (;;) {
      const dots = text.indexOf('...', from);
      if (dots < 0) return start;
      from = dots + 1;
      let lineStart = dots;
      while (lineStart > start && isBlank(data[lineStart - 1])) lineStart--;
      if (lineStart > start && data[lineStart - 1] !== NL) continue; // `...` inside a line of text
      let after = dots + 3;
      while (after < length && (isBlank(data[after]) || data[after] === CR)) after++;
      if (after < length && data[after] !== NL) continue; // `....`, or `...` before more text
      if (after === length && !atEnd) return start; // the line may go on in the next piece
      if (lineStart > start) this.record(data, start, lineStart - 1);
      start = Math.min(after + 1, length);
      from = start;
    }
  }

  private record(data: Buffer, from: number, to: number): void {
    while (from < to && (isBlank(data[from]) || data[from] === NL || data[from] === CR)) from++;
    if (from >= to) return;
    const event = this.header(data, from, to);
    if (event) {
      this.events++;
      this.onEvent(event);
    } else {
      this.junk++;
      this.onJunk({ text: data.toString('utf8', from, to) });
    }
  }

  /** `NNN (C.P.S) DATE TIME text`, read byte by byte; null when it is not a header. */
  private header(data: Buffer, from: number, to: number): LogEvent | null {
    let i = from;
    if (
      !isDigit(data[i]) ||
      !isDigit(data[i + 1]) ||
      !isDigit(data[i + 2]) ||
      data[i + 3] !== SPACE ||
      data[i + 4] !== 0x28 /* ( */
    )
      return null;
    const code = (data[i]! - 48) * 100 + (data[i + 1]! - 48) * 10 + (data[i + 2]! - 48);
    i += 5;
    let cluster = 0;
    let proc = 0;
    let subproc = 0;
    for (let k = 0; k < 3; k++) {
      const negative = data[i] === 0x2d; /* - */
      if (negative) i++;
      if (!isDigit(data[i])) return null;
      let value = 0;
      while (isDigit(data[i])) value = value * 10 + (data[i++]! - 48);
      if (negative) value = -value;
      if (k === 0) cluster = value;
      else if (k === 1) proc = value;
      else subproc = value;
      if (data[i++] !== (k < 2 ? DOT : 0x29) /* . or ) */) return null;
    }
    if (data[i++] !== SPACE) return null;
    const dateStart = i;
    const ms = eventTime(data, i, to, this.years);
    if (ms === null) return null;
    if (this.reused) {
      this.reused.set(code, cluster, proc, subproc, ms, data, dateStart, this.years.textStart, -1, to);
      return this.reused;
    }
    return new LogEvent().set(code, cluster, proc, subproc, ms, data, dateStart, this.years.textStart, -1, to);
  }
}

/** Parse a whole log held in memory (tests, one-shot reads). */
export function parseEventLog(
  text: string | Buffer,
  options: Omit<ParserOptions, 'onEvent'> = {},
): { events: LogEvent[]; junk: JunkRecord[]; incomplete: string } {
  const events: LogEvent[] = [];
  const junk: JunkRecord[] = [];
  const parser = new EventLogParser({ ...options, onEvent: (e) => events.push(e), onJunk: (j) => junk.push(j) });
  parser.pushBytes(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
  parser.end();
  return { events, junk, incomplete: parser.pendingText };
}
