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

function readEviction(text: EventText, out: EventDetails): void {
  const code = /Code (-?\d+) Subcode (-?\d+)/.exec(text.headline);
  if (code) {
    out.holdCode = Number(code[1]);
    out.holdSubcode = Number(code[2]);
  }
  for (const line of text.body) {
    if (line.startsWith('(0) Job terminated and was requeued')) out.requeued = true;
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
