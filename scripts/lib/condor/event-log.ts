// The HTCondor job event log (`log =` file), read by our own parser: events are framed by a
// line that is exactly `...`; each starts with `NNN (C.P.S) DATE TIME text`. Formats are in
// htcondor.md §c. Nothing here is fatal: an unknown event number is kept as an opaque event,
// and text that is not an event at all is reported as a `junk` record, never thrown.
import { StringDecoder } from 'node:string_decoder';
import { parseEventTime, YearInference } from './event-time.ts';

/** Names of the event numbers in htcondor.md §c.3 (ULOG_* without the prefix, lower case). */
export const EVENT_NAMES: Readonly<Record<number, string>> = {
  0: 'submit', 1: 'execute', 2: 'executable_error', 3: 'checkpointed', 4: 'job_evicted',
  5: 'job_terminated', 6: 'image_size', 7: 'shadow_exception', 8: 'generic', 9: 'job_aborted',
  10: 'job_suspended', 11: 'job_unsuspended', 12: 'job_held', 13: 'job_released',
  14: 'node_execute', 15: 'node_terminated', 16: 'post_script_terminated', 17: 'globus_submit',
  18: 'globus_submit_failed', 19: 'globus_resource_up', 20: 'globus_resource_down',
  21: 'remote_error', 22: 'job_disconnected', 23: 'job_reconnected', 24: 'job_reconnect_failed',
  25: 'grid_resource_up', 26: 'grid_resource_down', 27: 'grid_submit', 28: 'job_ad_information',
  29: 'job_status_unknown', 30: 'job_status_known', 31: 'job_stage_in', 32: 'job_stage_out',
  33: 'attribute_update', 34: 'presskip', 35: 'cluster_submit', 36: 'cluster_remove',
  37: 'factory_paused', 38: 'factory_resumed', 39: 'none', 40: 'file_transfer',
  41: 'reserve_space', 42: 'release_space', 43: 'file_complete', 44: 'file_used',
  45: 'file_removed', 46: 'dataflow_job_skipped', 47: 'common_files',
};

export interface ResourceRow {
  usage: string | null;
  request: string | null;
  allocated: string | null;
  assigned: string | null;
}

export interface TransferStep {
  direction: 'input' | 'output';
  stage: 'queued' | 'started' | 'finished';
}

export interface LogEvent {
  /** Event number (000–999). */
  code: number;
  /** From EVENT_NAMES, or `unknown` (kept, never fatal). */
  name: string;
  cluster: number;
  proc: number;
  subproc: number;
  /** Epoch milliseconds; NaN when the date cannot be read. */
  time: number;
  /** The date and time exactly as written. */
  rawTime: string;
  /** The text after the date on the header line. */
  headline: string;
  /** Body lines, leading whitespace removed, empty lines dropped. */
  body: string[];

  // Fields that matter for tracking, filled in for the events that carry them.
  /** 001: the execute host (SlotName host, else the sinful string's alias, else its address). */
  host?: string;
  slot?: string;
  /** 005, and 004 when the job was requeued after exiting. */
  returnValue?: number;
  signal?: number;
  coreFile?: string;
  /** 005/004: `Total Bytes Sent/Received By Job` (Run for 004). */
  bytesSent?: number;
  bytesReceived?: number;
  /** 005/004 `Partitionable Resources` table, keyed by the row name (`Cpus`, `Disk (KB)`, ...). */
  resources?: Record<string, ResourceRow>;
  /** 012 hold reason; 009/013/022/024 reason; 007/021 message; 004 `Reason:`. */
  reason?: string;
  /** 012 HoldReasonCode/SubCode; 004 (24.3+) and 021 code/subcode. */
  holdCode?: number;
  holdSubcode?: number;
  /** 006 */
  imageSizeKb?: number;
  memoryUsageMb?: number;
  residentSetKb?: number;
  /** 040 */
  transfer?: TransferStep;
  /** 004: the job exited and was put back in the queue by its own policy. */
  requeued?: boolean;
  /** 028: the Attr = value lines. */
  attributes?: Record<string, string>;
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
}

// `NNN (C.P.S) ` then the date: read by hand (a regex per event costs more than the rest together).
const HEADER = /^(\d{3}) \((-?\d+)\.(-?\d+)\.(-?\d+)\) (\S+)[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?) ?(.*)$/;

/**
 * Incremental parser: push bytes (or text) as they arrive; each complete event (its `...` line
 * seen) is handed to onEvent. A partial last event stays buffered until its terminator comes,
 * so a reader following a log being written never sees half an event.
 */
export class EventLogParser {
  private pending = '';
  private readonly decoder = new StringDecoder('utf8');
  private readonly years: YearInference;
  private readonly onEvent: (event: LogEvent) => void;
  private readonly onJunk: (junk: JunkRecord) => void;
  /** Count of complete events handed out. */
  events = 0;
  junk = 0;

  constructor(options: ParserOptions) {
    this.years = new YearInference(options.referenceTime ?? Date.now());
    this.onEvent = options.onEvent;
    this.onJunk = options.onJunk ?? (() => {});
  }

  /** Bytes of a partial event waiting for its terminator. */
  get pendingLength(): number {
    return this.pending.length;
  }

  pushBytes(chunk: Buffer): void {
    this.pushText(this.decoder.write(chunk));
  }

  pushText(chunk: string): void {
    const text = this.pending.length > 0 ? this.pending + chunk : chunk;
    const end = this.scan(text, false);
    this.pending = end < text.length ? text.slice(end) : '';
  }

  /** End of input (a one-shot read): a final `...` without its newline still ends the event. */
  end(): void {
    const text = this.pending + this.decoder.end();
    const end = this.scan(text, true);
    this.pending = end < text.length ? text.slice(end) : '';
  }

  /** Forget everything (the log was truncated or replaced). */
  reset(): void {
    this.pending = '';
    this.decoder.end();
    this.years.reset();
  }

  /** Hand out every complete event in `text`; return where the unconsumed rest begins. */
  private scan(text: string, atEnd: boolean): number {
    let start = 0;
    let search = 0;
    const length = text.length;
    for (;;) {
      const dots = text.indexOf('...', search);
      if (dots < 0) return start;
      // A terminator is a whole line, `...` (HTCondor writes it bare; logs pasted from docs may
      // indent it), ended by \n, \r\n or, at the very end of the input, by nothing.
      let lineStart = dots;
      while (lineStart > start && isBlank(text.charCodeAt(lineStart - 1))) lineStart--;
      if (lineStart > 0 && text.charCodeAt(lineStart - 1) !== 10) {
        search = dots + 1;
        continue;
      }
      let after = dots + 3;
      while (after < length && (isBlank(text.charCodeAt(after)) || text.charCodeAt(after) === 13)) after++;
      const next = after < length ? text.charCodeAt(after) : -1;
      if (next === 10) after++;
      else if (next !== -1) {
        search = dots + 1;
        continue;
      } else if (!atEnd) {
        return start; // `...` at the end of what we have: its newline is still coming
      }
      const eventEnd = lineStart > 0 ? lineStart - 1 : 0;
      if (eventEnd > start) this.record(text, start, eventEnd);
      start = after;
      search = after;
    }
  }

  private record(text: string, from: number, to: number): void {
    // Blank lines between events are harmless; skip them.
    while (from < to && isSpace(text.charCodeAt(from))) from++;
    if (from >= to) return;
    let lineEnd = text.indexOf('\n', from);
    if (lineEnd < 0 || lineEnd > to) lineEnd = to;
    let header = text.slice(from, lineEnd);
    if (header.charCodeAt(header.length - 1) === 13) header = header.slice(0, -1);
    const match = HEADER.exec(header);
    if (!match) {
      this.junk++;
      this.onJunk({ text: text.slice(from, to) });
      return;
    }
    const code = Number(match[1]);
    const rawTime = `${match[5]} ${match[6]}`;
    const event: LogEvent = {
      code,
      name: EVENT_NAMES[code] ?? 'unknown',
      cluster: Number(match[2]),
      proc: Number(match[3]),
      subproc: Number(match[4]),
      time: parseEventTime(match[5]!, match[6]!, this.years),
      rawTime,
      headline: match[7]!,
      body: lineEnd < to ? bodyLines(text.slice(lineEnd + 1, to)) : [],
    };
    readFields(event);
    this.events++;
    this.onEvent(event);
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function bodyLines(text: string): string[] {
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line) lines.push(line);
  }
  return lines;
}

/** Parse a whole log held in memory (tests, `status --log`). */
export function parseEventLog(text: string, options: Omit<ParserOptions, 'onEvent'> = {}): { events: LogEvent[]; junk: JunkRecord[]; incomplete: string } {
  const events: LogEvent[] = [];
  const junk: JunkRecord[] = [];
  const parser = new EventLogParser({ ...options, onEvent: (e) => events.push(e), onJunk: (j) => junk.push(j) });
  parser.pushText(text);
  parser.end();
  return { events, junk, incomplete: parser.pendingLength > 0 ? text.slice(text.length - parser.pendingLength) : '' };
}

// ---- body fields ---------------------------------------------------------------------------

const INT = /-?\d+/;

function firstInt(text: string): number | undefined {
  const m = INT.exec(text);
  return m ? Number(m[0]) : undefined;
}

/** Fill in the fields an event type carries. Missing lines leave fields undefined. */
export function readFields(event: LogEvent): void {
  switch (event.code) {
    case 1:
      readExecuteHost(event);
      break;
    case 4:
      readEviction(event);
      break;
    case 5:
      readTermination(event, event.body);
      readUsage(event);
      break;
    case 6: {
      event.imageSizeKb = firstInt(event.headline);
      for (const line of event.body) {
        if (line.endsWith('MemoryUsage of job (MB)')) event.memoryUsageMb = firstInt(line);
        else if (line.endsWith('ResidentSetSize of job (KB)')) event.residentSetKb = firstInt(line);
      }
      break;
    }
    case 7:
    case 9:
    case 13:
    case 22:
    case 24:
      if (event.body.length > 0) event.reason = event.body[0];
      break;
    case 12:
      readHold(event);
      break;
    case 21:
      readRemoteError(event);
      break;
    case 28:
      event.attributes = {};
      for (const line of event.body) {
        const eq = line.indexOf(' = ');
        if (eq > 0) event.attributes[line.slice(0, eq)] = line.slice(eq + 3);
      }
      break;
    case 40:
      readTransfer(event);
      break;
    default:
      break;
  }
}

function readExecuteHost(event: LogEvent): void {
  for (const line of event.body) {
    if (line.startsWith('SlotName:')) {
      event.slot = line.slice(9).trim();
      const at = event.slot.lastIndexOf('@');
      event.host = at >= 0 ? event.slot.slice(at + 1) : event.slot;
      return;
    }
  }
  event.host = hostOfSinful(event.headline);
}

/** `<1.2.3.4:9618?addrs=...&alias=gpu2000.chtc.wisc.edu&noUDP>` → the alias, else the address. */
export function hostOfSinful(text: string): string | undefined {
  const open = text.indexOf('<');
  if (open < 0) return undefined;
  const sinful = text.slice(open + 1, text.indexOf('>', open) > 0 ? text.indexOf('>', open) : undefined);
  const alias = /[?&]alias=([^&>]+)/.exec(sinful);
  if (alias) return alias[1];
  const address = /^\[?([^\]:?]+)/.exec(sinful);
  return address?.[1];
}

function readTermination(event: LogEvent, lines: string[]): void {
  for (const line of lines) {
    if (line.startsWith('(1) Normal termination (return value ')) {
      event.returnValue = firstInt(line.slice(36));
    } else if (line.startsWith('(0) Abnormal termination (signal ')) {
      event.signal = firstInt(line.slice(32));
    } else if (line.startsWith('(1) Corefile in: ')) {
      event.coreFile = line.slice(17);
    } else if (line.endsWith('Total Bytes Sent By Job') || (event.code === 4 && line.endsWith('Run Bytes Sent By Job'))) {
      event.bytesSent = firstInt(line);
    } else if (line.endsWith('Total Bytes Received By Job') || (event.code === 4 && line.endsWith('Run Bytes Received By Job'))) {
      event.bytesReceived = firstInt(line);
    }
  }
}

function readEviction(event: LogEvent): void {
  const code = /Code (-?\d+) Subcode (-?\d+)/.exec(event.headline);
  if (code) {
    event.holdCode = Number(code[1]);
    event.holdSubcode = Number(code[2]);
  }
  for (const line of event.body) {
    if (line.startsWith('(0) Job terminated and was requeued')) event.requeued = true;
    else if (line.startsWith('Reason: ')) event.reason = line.slice(8);
  }
  readTermination(event, event.body);
  readUsage(event);
}

function readHold(event: LogEvent): void {
  for (const line of event.body) {
    const code = /^Code (-?\d+) Subcode (-?\d+)/.exec(line);
    if (code) {
      event.holdCode = Number(code[1]);
      event.holdSubcode = Number(code[2]);
    } else if (event.reason === undefined) {
      event.reason = line;
    }
  }
}

function readRemoteError(event: LogEvent): void {
  const message: string[] = [];
  for (const line of event.body) {
    const code = /^Code (-?\d+) Subcode (-?\d+)/.exec(line);
    if (code) {
      event.holdCode = Number(code[1]);
      event.holdSubcode = Number(code[2]);
    } else message.push(line);
  }
  if (message.length > 0) event.reason = message.join(' ');
}

function readTransfer(event: LogEvent): void {
  const m = /^(Entered queue to transfer|Started transferring|Finished transferring) (input|output) files/.exec(event.headline);
  if (!m) return;
  event.transfer = {
    direction: m[2] as 'input' | 'output',
    stage: m[1]!.startsWith('Entered') ? 'queued' : m[1]!.startsWith('Started') ? 'started' : 'finished',
  };
}

/**
 * The `Partitionable Resources :    Usage  Request Allocated [Assigned]` table. Columns are
 * right-aligned under their labels and a value may be blank (`Gpus : <blank> 1 1 "CUDA1"`),
 * so each value goes to the label whose end is nearest to its own end.
 */
function readUsage(event: LogEvent): void {
  const lines = event.body;
  let i = lines.findIndex((line) => line.startsWith('Partitionable Resources'));
  if (i < 0) return;
  const header = lines[i]!;
  const labels = columnEnds(header.slice(header.indexOf(':') + 1));
  const rows: Record<string, ResourceRow> = {};
  for (i++; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon < 0 || line.startsWith('Job terminated')) break;
    const row: ResourceRow = { usage: null, request: null, allocated: null, assigned: null };
    for (const cell of columnEnds(line.slice(colon + 1))) {
      let best = labels[0];
      for (const label of labels) if (Math.abs(label.end - cell.end) < Math.abs((best?.end ?? 0) - cell.end)) best = label;
      // Assigned is left-aligned and free text: anything past Allocated belongs to it.
      const key = labels.length > 3 && cell.start > (labels[2]?.end ?? Infinity) ? 'assigned' : best?.text.toLowerCase();
      if (key === 'usage' || key === 'request' || key === 'allocated' || key === 'assigned') row[key] = cell.text;
    }
    rows[line.slice(0, colon).trim()] = row;
  }
  event.resources = rows;
}

function columnEnds(text: string): { text: string; start: number; end: number }[] {
  const cells: { text: string; start: number; end: number }[] = [];
  const re = /\S+/g;
  let m;
  while ((m = re.exec(text))) cells.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  return cells;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}
