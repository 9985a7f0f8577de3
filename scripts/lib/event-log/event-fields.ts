// The fields an event's body carries (htcondor.md §c.3), read from its decoded text on first
// use: return value or signal, hold reason/code/subcode, image size and memory, the execute
// host, transfer steps, the resource usage table, 028 attributes. Missing lines leave a field
// undefined; nothing here throws.

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

export interface EventDetails {
  /** 001 (and 040 input transfer start): the execute host (SlotName host, else the sinful string's alias, else its address). */
  host?: string;
  slot?: string;
  /** 005, and 004 when the job was requeued after exiting. */
  returnValue?: number;
  signal?: number;
  coreFile?: string;
  /** 005: `Total Bytes Sent/Received By Job` (Run for 004). */
  bytesSent?: number;
  bytesReceived?: number;
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

/** What the job table reads of an event's details (TrackedEvent.tableDetails). */
export type TableDetails = Pick<EventDetails, 'reason' | 'holdCode' | 'holdSubcode'>;

/** What readDetails needs of an out. */
interface EventText {
  code: number;
  headline: string;
  body: string[];
}

const INT = /-?\d+/;

function firstInt(text: string): number | undefined {
  const m = INT.exec(text);
  return m ? Number(m[0]) : undefined;
}

/** The fields an event type carries. */
export function readDetails(text: EventText): EventDetails {
  const out: EventDetails = {};
  switch (text.code) {
    case 1:
      readExecuteHost(text, out);
      break;
    case 4:
      readEviction(text, out);
      break;
    case 5:
      readTermination(text, out, text.body);
      break;
    case 6: {
      out.imageSizeKb = firstInt(text.headline);
      for (const line of text.body) {
        if (line.endsWith('MemoryUsage of job (MB)')) out.memoryUsageMb = firstInt(line);
        else if (line.endsWith('ResidentSetSize of job (KB)')) out.residentSetKb = firstInt(line);
      }
      break;
    }
    case 7:
    case 9:
    case 13:
    case 22:
    case 24:
      if (text.body.length > 0) out.reason = text.body[0];
      break;
    case 12:
      readHold(text, out);
      break;
    case 21:
      readRemoteError(text, out);
      break;
    case 28:
      out.attributes = {};
      for (const line of text.body) {
        const eq = line.indexOf(' = ');
        if (eq > 0) out.attributes[line.slice(0, eq)] = line.slice(eq + 3);
      }
      break;
    case 40:
      readTransfer(text, out);
      break;
    default:
      break;
  }
  return out;
}

function readExecuteHost(text: EventText, out: EventDetails): void {
  for (const line of text.body) {
    if (line.startsWith('SlotName:')) {
      out.slot = line.slice(9).trim();
      const at = out.slot.lastIndexOf('@');
      out.host = at >= 0 ? out.slot.slice(at + 1) : out.slot;
      return;
    }
  }
  out.host = hostOfSinful(text.headline);
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

/** How a job ended, from a termination's lines: `(1) Normal termination (return value N)`, or a signal and its core file. */
export function readExit(lines: string[], out: Pick<EventDetails, 'returnValue' | 'signal' | 'coreFile'>): void {
  for (const line of lines) {
    if (line.startsWith('(1) Normal termination (return value ')) out.returnValue = firstInt(line.slice(36));
    else if (line.startsWith('(0) Abnormal termination (signal ')) out.signal = firstInt(line.slice(32));
    else if (line.startsWith('(1) Corefile in: ')) out.coreFile = line.slice(17);
  }
}

function readTermination(text: EventText, out: EventDetails, lines: string[]): void {
  readExit(lines, out);
  for (const line of lines) {
    if (line.endsWith('Total Bytes Sent By Job') || (text.code === 4 && line.endsWith('Run Bytes Sent By Job'))) {
      out.bytesSent = firstInt(line);
    } else if (
      line.endsWith('Total Bytes Received By Job') ||
      (text.code === 4 && line.endsWith('Run Bytes Received By Job'))
    ) {
      out.bytesReceived = firstInt(line);
    }
  }
}

/** A 004's first line when the job exited and goes back in the queue (JobEvictedEvent's terminate_and_requeued). */
const REQUEUED = '(0) Job terminated and was requeued';

function readEviction(text: EventText, out: EventDetails): void {
  const code = /Code (-?\d+) Subcode (-?\d+)/.exec(text.headline);
  if (code) {
    out.holdCode = Number(code[1]);
    out.holdSubcode = Number(code[2]);
  }
  for (const line of text.body) {
    if (line.startsWith(REQUEUED)) out.requeued = true;
    else if (line.startsWith('Reason: ')) out.reason = line.slice(8);
  }
  readTermination(text, out, text.body);
}

function readHold(text: EventText, out: EventDetails): void {
  for (const line of text.body) {
    const code = /^Code (-?\d+) Subcode (-?\d+)/.exec(line);
    if (code) {
      out.holdCode = Number(code[1]);
      out.holdSubcode = Number(code[2]);
    } else if (out.reason === undefined) {
      out.reason = line;
    }
  }
}

function readRemoteError(text: EventText, out: EventDetails): void {
  const message: string[] = [];
  for (const line of text.body) {
    const code = /^Code (-?\d+) Subcode (-?\d+)/.exec(line);
    if (code) {
      out.holdCode = Number(code[1]);
      out.holdSubcode = Number(code[2]);
    } else message.push(line);
  }
  if (message.length > 0) out.reason = message.join(' ');
}

function readTransfer(text: EventText, out: EventDetails): void {
  const m = /^(Entered queue to transfer|Started transferring|Finished transferring) (input|output) files/.exec(
    text.headline,
  );
  if (!m) return;
  out.transfer = {
    direction: m[2] as 'input' | 'output',
    stage: m[1]!.startsWith('Entered') ? 'queued' : m[1]!.startsWith('Started') ? 'started' : 'finished',
  };
  // The execute point is known from here on, before its 001 arrives.
  if (out.transfer.direction === 'input' && out.transfer.stage === 'started') {
    const line = text.body.find((l) => l.startsWith('Transferring to host:'));
    if (line) out.host = hostOfSinful(line);
  }
}

/**
 * The `Partitionable Resources :    Usage  Request Allocated [Assigned]` table (or only the
 * rows named in `only`). Columns are right-aligned under their labels and a value may be
 * blank (`Gpus : <blank> 1 1 "CUDA1"`), so each value goes to the label whose end is nearest.
 */
export function resourceRows(lines: string[], only?: ReadonlySet<string>): Record<string, ResourceRow> | undefined {
  // The table closes the event: look for its header from the end.
  let i = lines.length - 1;
  while (i >= 0 && !lines[i]!.startsWith('Partitionable Resources')) i--;
  if (i < 0) return undefined;
  const header = lines[i]!;
  const labels = cells(header, header.indexOf(':') + 1);
  const rows: Record<string, ResourceRow> = {};
  for (i++; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon < 0 || line.startsWith('Job terminated')) break;
    const name = line.slice(0, colon).trim();
    if (only && !only.has(name)) continue;
    const row: ResourceRow = { usage: null, request: null, allocated: null, assigned: null };
    for (const cell of cells(line, colon + 1)) {
      // Assigned is left-aligned and free text: anything past Allocated belongs to it.
      let key: string | undefined;
      if (labels.length > 3 && cell.start > labels[2]!.end) key = 'assigned';
      else {
        let best = labels[0];
        for (const label of labels)
          if (Math.abs(label.end - cell.end) < Math.abs((best?.end ?? 0) - cell.end)) best = label;
        key = best?.text.toLowerCase();
      }
      if (key === 'usage' || key === 'request' || key === 'allocated' || key === 'assigned') row[key] = cell.text;
    }
    rows[name] = row;
  }
  return rows;
}

/** The words of `line` after `from`, with their start and end relative to `from`. */
function cells(line: string, from: number): { text: string; start: number; end: number }[] {
  const out: { text: string; start: number; end: number }[] = [];
  let i = from;
  while (i < line.length) {
    while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    const start = i;
    while (i < line.length && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9) i++;
    if (i > start) out.push({ text: line.slice(start, i), start: start - from, end: i - from });
  }
  return out;
}

/**
 * What a terminate event says the job used, as numbers (null when absent): kept per proc
 * instead of the event itself, so 100,000 finished procs cost a few numbers each.
 */
export interface EndUsage {
  /** User + system CPU seconds, `Total Remote Usage`. */
  cpuSeconds: number | null;
  /** The `Memory (MB)` row is there (its cells may still be blank). */
  memoryRow: boolean;
  memoryMb: number | null;
  memoryRequestMb: number | null;
  diskKb: number | null;
  diskRequestKb: number | null;
  /** GPUs allocated, else requested. */
  gpus: number | null;
}

/** Usage with every figure null (a terminate event that says nothing of it). */
export function noUsage(): EndUsage {
  return {
    cpuSeconds: null,
    memoryRow: false,
    memoryMb: null,
    memoryRequestMb: null,
    diskKb: null,
    diskRequestKb: null,
    gpus: null,
  };
}

/** `Usr 0 01:23:39, Sys 0 00:05:10` → seconds. */
export function usageSeconds(line: string): number | null {
  const m = /Usr (\d+) (\d+):(\d+):(\d+), Sys (\d+) (\d+):(\d+):(\d+)/.exec(line);
  if (!m) return null;
  const n = m.slice(1).map(Number);
  return n[0]! * 86400 + n[1]! * 3600 + n[2]! * 60 + n[3]! + n[4]! * 86400 + n[5]! * 3600 + n[6]! * 60 + n[7]!;
}

const TOTAL_REMOTE_TEXT = 'Total Remote Usage';
const RESOURCES_TEXT = 'Partitionable Resources';
const USR = Buffer.from('Usr ');
const SYS = Buffer.from(', Sys ');
const JOB_TERMINATED = Buffer.from('Job terminated');
/** The table rows the summary reads, by name. */
// `Gpus (Average)` where the startd monitors GPU usage (htcondor.md §f; what submit --local writes).
const USAGE_ROWS = ['Disk (KB)', 'Gpus', 'GPUs', 'Memory (MB)', 'Gpus (Average)'].map((name) => Buffer.from(name));
const [DISK_ROW, GPUS_ROW, GPUS_ROW_UPPER, MEMORY_ROW, GPUS_AVERAGE_ROW] = [0, 1, 2, 3, 4];
const NL = 0x0a;

function isBlank(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

/** The number data[from, to) spells, as Number() reads it (null when it is none). */
function numberAt(data: Buffer, from: number, to: number): number | null {
  let value = 0;
  let i = from;
  for (; i < to; i++) {
    const c = data[i]! - 48;
    if (c < 0 || c > 9) break;
    value = value * 10 + c;
  }
  if (i === to && to > from) return value;
  const number = Number(data.toString('latin1', from, to));
  return Number.isFinite(number) ? number : null;
}

/** What ends each of the eight numbers of `d hh:mm:ss, Sys d hh:mm:ss` (0: the end; the fourth, `, Sys `). */
const USAGE_ENDS = Uint8Array.from([0x20, 0x3a, 0x3a, 0x2c, 0x20, 0x3a, 0x3a, 0]);
/** Each number's seconds. */
const USAGE_SECONDS = Float64Array.from([86400, 3600, 60, 1, 86400, 3600, 60, 1]);

/** `Usr 0 01:23:39, Sys 0 00:05:10` in data[from, to) → seconds (the few bytes read in place, no array made). */
function usageSecondsAt(data: Buffer, from: number, to: number): number | null {
  let usr = from;
  while (usr + USR.length <= to && !isWord(data, usr, usr + USR.length, USR)) usr++;
  if (usr + USR.length > to) return null;
  let seconds = 0;
  let i = usr + 4;
  for (let k = 0; k < 8; k++) {
    const start = i;
    let value = 0;
    while (i < to && data[i]! >= 48 && data[i]! <= 57) value = value * 10 + data[i++]! - 48;
    if (i === start) return usageSeconds(data.toString('latin1', from, to));
    seconds += value * USAGE_SECONDS[k]!;
    if (k === 3) {
      if (!isWord(data, i, i + SYS.length, SYS)) return usageSeconds(data.toString('latin1', from, to));
      i += 6;
    } else if (k < 7) {
      if (data[i] !== USAGE_ENDS[k]) return usageSeconds(data.toString('latin1', from, to));
      i++;
    }
  }
  return seconds;
}

const LABELS = ['usage', 'request', 'allocated', 'assigned'].map((word) => Buffer.from(word));

/** Do data[from, to) spell `word` (lower case), in any case? A loop: Buffer.compare costs more for a few bytes. */
function spells(data: Buffer, from: number, to: number, word: Buffer): boolean {
  if (to - from !== word.length) return false;
  for (let k = 0; k < word.length; k++) if ((data[from + k]! | 0x20) !== word[k]) return false;
  return true;
}

/** Exactly `word`? */
function isWord(data: Buffer, from: number, to: number, word: Buffer): boolean {
  if (to - from !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (data[from + k] !== word[k]) return false;
  return true;
}

/** Scratch for usageRowsAt (no object per cell): each label's column and end, and each row's three values. */
const labelKey = new Int32Array(8);
const labelEnd = new Int32Array(8);
const rowSeen = new Uint8Array(USAGE_ROWS.length);
const rowValues = new Float64Array(USAGE_ROWS.length * 3);
/** A blank value in rowValues (a cell that is not a number reads as null too). */
const BLANK = Number.NEGATIVE_INFINITY;

/** Which column (0 usage, 1 request, 2 allocated, 3 assigned, -1 none) a cell ending at `end` is under, as resourceRows decides. */
function columnOf(start: number, end: number, labels: number): number {
  if (labels > 3 && start > labelEnd[2]!) return 3;
  let best = 0;
  for (let k = 1; k < labels; k++) if (Math.abs(labelEnd[k]! - end) < Math.abs(labelEnd[best]! - end)) best = k;
  return labels > 0 ? labelKey[best]! : -1;
}

/** The header's labels after its colon, into labelKey/labelEnd; returns how many. */
function readLabels(data: Buffer, from: number, to: number): number {
  let labels = 0;
  for (let i = from; i < to && labels < labelKey.length; ) {
    while (i < to && isBlank(data[i])) i++;
    const start = i;
    while (i < to && !isBlank(data[i])) i++;
    if (i === start) continue;
    let key = -1;
    for (let k = 0; k < LABELS.length && key < 0; k++) if (spells(data, start, i, LABELS[k]!)) key = k;
    labelKey[labels] = key;
    labelEnd[labels++] = i - from;
  }
  return labels;
}

/** One row's cells after its colon, from `from` to its line's end, into rowValues at `row` (-1: skip); returns the line's end. */
function readRow(data: Buffer, from: number, to: number, row: number, labels: number): number {
  if (row >= 0) {
    rowSeen[row] = 1;
    rowValues[row * 3] = rowValues[row * 3 + 1] = rowValues[row * 3 + 2] = BLANK;
  }
  let i = from;
  while (i < to && data[i] !== NL) {
    while (i < to && isBlank(data[i])) i++;
    const start = i;
    while (i < to && data[i] !== NL && !isBlank(data[i])) i++;
    if (i === start || row < 0) continue;
    const column = columnOf(start - from, i - from, labels);
    if (column >= 0 && column < 3) rowValues[row * 3 + column] = numberAt(data, start, i) ?? BLANK;
  }
  return i;
}

/**
 * The `Partitionable Resources` table from data[table, to), read in place in one pass over its
 * bytes: the same cells resourceRows finds (values under the nearest label end), only for the
 * rows usage needs, into rowSeen/rowValues.
 */
function usageRowsAt(data: Buffer, table: number, to: number): void {
  clearRows();
  let headerColon = table;
  while (headerColon < to && data[headerColon] !== 0x3a && data[headerColon] !== NL) headerColon++;
  if (headerColon >= to || data[headerColon] !== 0x3a) return;
  let headerEnd = headerColon;
  while (headerEnd < to && data[headerEnd] !== NL) headerEnd++;
  const labels = readLabels(data, headerColon + 1, headerEnd);
  for (let at = headerEnd + 1; at < to; ) {
    let start = at;
    while (start < to && isBlank(data[start])) start++;
    let colon = start;
    while (colon < to && data[colon] !== 0x3a && data[colon] !== NL) colon++;
    if (colon >= to || data[colon] === NL) {
      if (colon > start) break; // a line that is not `Name : values` ends the table
      at = colon + 1; // an empty line
      continue;
    }
    if (isWord(data, start, Math.min(start + JOB_TERMINATED.length, colon), JOB_TERMINATED)) break;
    let nameEnd = colon;
    while (nameEnd > start && isBlank(data[nameEnd - 1])) nameEnd--;
    let row = -1;
    for (let k = 0; k < USAGE_ROWS.length && row < 0; k++) if (isWord(data, start, nameEnd, USAGE_ROWS[k]!)) row = k;
    at = readRow(data, colon + 1, to, row, labels) + 1;
  }
}

/** No row seen (a loop: fill() is a builtin call, dearer for four bytes). */
function clearRows(): void {
  for (let k = 0; k < rowSeen.length; k++) rowSeen[k] = 0;
}

/** Row `row`'s value in column `column` (0 usage, 1 request, 2 allocated), null when blank or absent. */
function cell(row: number, column: number): number | null {
  if (rowSeen[row] === 0) return null;
  const value = rowValues[row * 3 + column]!;
  return value === BLANK ? null : value;
}

/**
 * The usage of a terminate event's body, data[from, to), read in place: the `Total Remote
 * Usage` line and the `Partitionable Resources` table (the same figures resourceRows gives).
 */
export function readEndUsage(data: Buffer, from: number, to: number): EndUsage {
  // Two native searches within the body (a view of it: a search must not run past the event):
  // the `Total Remote Usage` line and the last `Partitionable Resources` line.
  // The two lines are found in the body decoded once as latin1 (a byte per char, so offsets are
  // the bytes'; string searches cost less than a Buffer view and two Buffer searches), then read
  // from the bytes.
  const body = data.toString('latin1', from, to);
  let cpuSeconds: number | null = null;
  const total = body.indexOf(TOTAL_REMOTE_TEXT);
  if (total >= 0) {
    let end = total + TOTAL_REMOTE_TEXT.length;
    while (end < body.length && isBlank(body.charCodeAt(end))) end++;
    // The line must end there (`…  -  Total Remote Usage`): its start is after the last newline.
    if (end >= body.length || body.charCodeAt(end) === NL)
      cpuSeconds = usageSecondsAt(data, from + body.lastIndexOf('\n', total) + 1, from + total);
  }
  // The last table (lastIndexOf on a string is V8's slow path: forward searches instead; a body
  // has one table, so the second search ends it).
  let table = body.indexOf(RESOURCES_TEXT);
  for (let next = table; next >= 0; next = body.indexOf(RESOURCES_TEXT, next + 1)) table = next;
  if (table >= 0) {
    let start = table;
    while (start > 0 && isBlank(body.charCodeAt(start - 1))) start--;
    table = start === 0 || body.charCodeAt(start - 1) === NL ? from + table : -1;
  }
  if (table >= 0) usageRowsAt(data, table, to);
  else clearRows();
  const gpuRow = rowSeen[GPUS_ROW] === 1 ? GPUS_ROW : rowSeen[GPUS_ROW_UPPER] === 1 ? GPUS_ROW_UPPER : GPUS_AVERAGE_ROW;
  return {
    cpuSeconds,
    memoryRow: rowSeen[MEMORY_ROW] === 1,
    memoryMb: cell(MEMORY_ROW, 0),
    memoryRequestMb: cell(MEMORY_ROW, 1),
    diskKb: cell(DISK_ROW, 0),
    diskRequestKb: cell(DISK_ROW, 1),
    gpus: cell(gpuRow, 2) ?? cell(gpuRow, 1),
  };
}

// The few fields the tracker reads from every proc's events, read in place from the bytes (the
// same answers as readDetails, which decodes the whole event): a 040's step, the execute host,
// a 005's exit. 100,000 procs bring ten events each; decoding each body costs more than the rest.

/** Every step, made once: [stage][0 input, 1 output]. */
export const TRANSFER_STEPS = (['queued', 'started', 'finished'] as const).map((stage) =>
  (['input', 'output'] as const).map((direction) => Object.freeze<TransferStep>({ direction, stage })),
);
const STEP_WORDS = ['Entered queue to transfer ', 'Started transferring ', 'Finished transferring '].map((words) =>
  Buffer.from(words),
);
const INPUT_FILES = Buffer.from('input files');
const OUTPUT_FILES = Buffer.from('output files');
const TRANSFERRING_TO = Buffer.from('Transferring to host:');
const MATERIALIZED = Buffer.from('Materialized ');
const SLOT_NAME = Buffer.from('SlotName:');
const NORMAL = Buffer.from('(1) Normal termination (return value ');
const ABNORMAL = Buffer.from('(0) Abnormal termination (signal ');

function startsWithAt(data: Buffer, at: number, to: number, word: Buffer): boolean {
  return to - at >= word.length && isWord(data, at, at + word.length, word);
}

/** A 040's step from its headline, data[from, to) (readTransfer's regex, on bytes); shared frozen objects. */
export function transferStepAt(data: Buffer, from: number, to: number): TransferStep | undefined {
  for (let stage = 0; stage < STEP_WORDS.length; stage++) {
    const words = STEP_WORDS[stage]!;
    if (!startsWithAt(data, from, to, words)) continue;
    const at = from + words.length;
    if (startsWithAt(data, at, to, INPUT_FILES)) return TRANSFER_STEPS[stage]![0];
    if (startsWithAt(data, at, to, OUTPUT_FILES)) return TRANSFER_STEPS[stage]![1];
    return undefined;
  }
  return undefined;
}

/**
 * Each line of data[from, to) that is not blank, as its bounds past its leading ASCII blanks
 * (start, lineEnd), to `visit` (true: stop).
 */
function eachLine(data: Buffer, from: number, to: number, visit: (start: number, lineEnd: number) => boolean): void {
  for (let at = from; at < to; ) {
    let lineEnd = data.indexOf(NL, at);
    if (lineEnd < 0 || lineEnd > to) lineEnd = to;
    let start = at;
    at = lineEnd + 1;
    while (start < lineEnd && isBlank(data[start])) start++;
    if (start < lineEnd && visit(start, lineEnd)) return;
  }
}

/** The first trimmed body line of data[from, to) that starts with `word`: its text, or null. */
function lineStartingWith(data: Buffer, from: number, to: number, word: Buffer): string | null {
  let found: string | null = null;
  eachLine(data, from, to, (start, lineEnd) => {
    if (!startsWithAt(data, start, lineEnd, word)) return false;
    found = data.toString('utf8', start, lineEnd).trim();
    return true;
  });
  return found;
}

/** A 040 input transfer's execute point: its `Transferring to host:` line (readTransfer's host). */
export function transferHostAt(data: Buffer, from: number, to: number): string | undefined {
  const line = lineStartingWith(data, from, to, TRANSFERRING_TO);
  return line === null ? undefined : hostOfSinful(line);
}

/** A 001's execute host: its SlotName's host, else the headline's sinful string (readExecuteHost). */
export function executeHostAt(
  data: Buffer,
  headline: { from: number; to: number },
  from: number,
  to: number,
): string | undefined {
  const line = lineStartingWith(data, from, to, SLOT_NAME);
  if (line === null) return sinfulHostAt(data, headline.from, headline.to);
  const slot = line.slice(9).trim();
  const at = slot.lastIndexOf('@');
  return at >= 0 ? slot.slice(at + 1) : slot;
}

/**
 * hostOfSinful on the headline data[from, to), decoding only its `<…>` (the headline, as
 * LogEvent.headline gives it, ends before one trailing \r).
 */
function sinfulHostAt(data: Buffer, from: number, to: number): string | undefined {
  const end = to > from && data[to - 1] === 0x0d ? to - 1 : to;
  let open = from;
  while (open < end && data[open] !== 0x3c) open++;
  if (open >= end) return undefined;
  let close = open + 1;
  while (close < end && data[close] !== 0x3e) close++;
  return hostOfSinful(data.toString('utf8', open, close < end ? close + 1 : end));
}

/**
 * Each non-empty body line of data[from, to), trimmed as LogEvent.body trims it, to `visit`
 * (true: stop). A line is decoded only when `wanted` says its first byte may matter (a byte past
 * ASCII may be Unicode white space, which trim() removes: such a line is always decoded).
 */
function eachBodyLine(
  data: Buffer,
  from: number,
  to: number,
  wanted: (firstByte: number) => boolean,
  visit: (line: string) => boolean | undefined,
): void {
  eachLine(data, from, to, (start, lineEnd) => {
    const first = data[start]!;
    if (first < 0x80 && first !== 0x0b && first !== 0x0c && !wanted(first)) return false;
    const line = data.toString('utf8', start, lineEnd).trim();
    return line !== '' && visit(line) === true;
  });
}

const HOLD_CODES = /^Code (-?\d+) Subcode (-?\d+)/;
const R = 0x52;
const C = 0x43;

/** A 004's reason: its last `Reason:` line (readEviction's). */
export function evictionReasonAt(data: Buffer, from: number, to: number): string | undefined {
  let reason: string | undefined;
  eachBodyLine(
    data,
    from,
    to,
    (c) => c === R,
    (line) => {
      if (line.startsWith('Reason: ')) reason = line.slice(8);
      return false;
    },
  );
  return reason;
}

/** A 004 written for a job that exited and goes back in the queue (max_retries, on_exit_remove false). */
export interface Requeue {
  returnValue?: number;
  signal?: number;
  /** The line after the exit (HTCondor writes it without `Reason: ` for a requeue). */
  reason?: string;
}

const CORE_LINE = /^\([01]\) (?:No core file|Corefile in:)/;

/**
 * A 004's requeue, as JobEvictedEvent::readEvent reads it (condor_event.cpp): its first line
 * `(0) Job terminated and was requeued`, then after the usage the exit (a signal with its core
 * line) and an optional reason; null for an eviction.
 */
export function requeueAt(data: Buffer, from: number, to: number): Requeue | null {
  let first = true;
  let requeued = false;
  let exitSeen = false;
  const out: Requeue = {};
  eachBodyLine(
    data,
    from,
    to,
    () => true,
    (line) => {
      if (first) {
        first = false;
        requeued = line.startsWith(REQUEUED);
        return !requeued;
      }
      // The exit line as a 005 writes it (readExit).
      if (line.startsWith('(1) Normal termination') || line.startsWith('(0) Abnormal termination')) {
        readExit([line], out);
        exitSeen = true;
        return false;
      }
      if (!exitSeen || CORE_LINE.test(line)) return false;
      if (!line.startsWith('Partitionable')) out.reason = line.replace(/^Reason: /, '');
      return true;
    },
  );
  return requeued ? out : null;
}

/** A 036's `Materialized N jobs from M items.`: N, the procs its factory made (ClusterRemoveEvent). */
export function materializedAt(data: Buffer, from: number, to: number): number | undefined {
  const line = lineStartingWith(data, from, to, MATERIALIZED);
  const match = line === null ? null : /^Materialized (\d+) jobs/.exec(line);
  return match ? Number(match[1]) : undefined;
}

/** A 012's reason and codes (readHold's): the first line that is not `Code N Subcode M`, and the last that is. */
export function holdAt(data: Buffer, from: number, to: number): TableDetails {
  const out: TableDetails = {};
  eachBodyLine(
    data,
    from,
    to,
    (c) => c === C || out.reason === undefined,
    (line) => {
      const code = line.charCodeAt(0) === C ? HOLD_CODES.exec(line) : null;
      if (code) {
        out.holdCode = Number(code[1]);
        out.holdSubcode = Number(code[2]);
      } else if (out.reason === undefined) out.reason = line;
      return false;
    },
  );
  return out;
}

/** The first integer (-?\d+) in data[from, to), as firstInt reads it. */
function firstIntAt(data: Buffer, from: number, to: number): number | undefined {
  for (let i = from; i < to; i++) {
    const c = data[i]!;
    if (c >= 48 && c <= 57) {
      const negative = i > from && data[i - 1] === 0x2d;
      let value = 0;
      while (i < to && data[i]! >= 48 && data[i]! <= 57) value = value * 10 + data[i++]! - 48;
      return negative ? -value : value;
    }
  }
  return undefined;
}

/** A 005's return value or signal from its first two body lines (readExit on leadingBody(2)). */
export function exitAt(data: Buffer, from: number, to: number): { returnValue?: number; signal?: number } {
  const out: { returnValue?: number; signal?: number } = {};
  for (let at = from, seen = 0; at < to && seen < 2; ) {
    let lineEnd = data.indexOf(NL, at);
    if (lineEnd < 0 || lineEnd > to) lineEnd = to;
    let start = at;
    let end = lineEnd;
    at = lineEnd + 1;
    while (start < end && isBlank(data[start])) start++;
    while (end > start && isBlank(data[end - 1])) end--;
    if (start === end) continue;
    seen++;
    if (startsWithAt(data, start, end, NORMAL)) out.returnValue = firstIntAt(data, start + NORMAL.length - 1, end);
    else if (startsWithAt(data, start, end, ABNORMAL)) out.signal = firstIntAt(data, start + ABNORMAL.length - 1, end);
  }
  return out;
}
