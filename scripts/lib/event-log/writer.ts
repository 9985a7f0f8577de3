// Writes the job event log (`log =`) as an HTCondor 25.x schedd/shadow does, for jobs run by
// `submit --local`; event-log.ts reads it back. Formats follow condor_event.cpp at
// htcondor/htcondor 7491a145f6 (V25_X): formatHeader (`%03d (%03d.%03d.%03d) ` + ISO_DATE
// `%04d-%02d-%02d %02d:%02d:%02d` local time, the 25.x default), SubmitEvent, ExecuteEvent,
// FileTransferEvent, JobImageSizeEvent, TerminatedEvent (+ formatRusage, formatUsageAd),
// JobEvictedEvent, JobHeldEvent, JobReleasedEvent, JobAbortedEvent; each event ends with the
// `...\n` sync line (read_user_log.cpp SynchDelimiter) and is appended in one write.
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface JobId {
  cluster: number;
  proc: number;
  subproc?: number;
}

/** How a run ended: a return value, or a signal. */
export type Exit = { returnValue: number } | { signal: number; coreFile?: string };

/** CPU seconds, as the 4 usage lines of 004/005 carry them. */
export interface CpuTimes {
  userSeconds: number;
  systemSeconds: number;
}

/** One row of the Partitionable Resources table; a value null prints blank. */
export interface ResourceUse {
  usage: number | string | null;
  request: number | string | null;
  allocated: number | string | null;
  assigned?: string | null;
}

export type WritableEvent =
  | { code: 0; submitHost: string }
  | { code: 1; executeHost: string; slotName?: string; props?: Record<string, string | number> }
  | {
      code: 40;
      what: 'input' | 'output';
      stage: 'queued' | 'started' | 'finished';
      host?: string;
      secondsInQueue?: number;
    }
  | { code: 6; imageSizeKb: number; memoryUsageMb?: number; residentSetKb?: number }
  | {
      code: 5;
      exit: Exit;
      runRemote?: CpuTimes;
      totalRemote?: CpuTimes;
      bytesSent?: number;
      bytesReceived?: number;
      totalBytesSent?: number;
      totalBytesReceived?: number;
      /** Keyed by resource name as the usage ad has it: Cpus, Disk, Gpus, Memory, TimeExecute... */
      resources?: Record<string, ResourceUse>;
    }
  | {
      code: 4;
      /** The job exited and its own policy (max_retries, on_exit_remove) put it back in the queue. */
      requeued?: Exit;
      /** 24.3+: `Job was evicted. Code C Subcode S` (a vacate code such as 1025 SuccessfulCheckpoint). */
      reasonCode?: number;
      reasonSubcode?: number;
      reason?: string;
      runRemote?: CpuTimes;
      bytesSent?: number;
      bytesReceived?: number;
    }
  | { code: 12; reason: string; holdCode: number; holdSubcode: number }
  | { code: 13; reason?: string }
  | { code: 9; reason?: string }
  /** JobDisconnectedEvent / JobReconnectFailedEvent (condor_event.cpp:4275, 4555). */
  | { code: 22; reason: string; startdName: string; startdAddr: string }
  | { code: 24; reason: string; startdName: string };

const TRANSFER_LINES: Record<'queued' | 'started' | 'finished', string> = {
  queued: 'Entered queue to transfer',
  started: 'Started transferring',
  finished: 'Finished transferring',
};

const pad = (n: number, width = 2): string => String(Math.trunc(n)).padStart(width, '0');

/** `%03d`: at least 3 digits, wider when needed, a minus sign counted in the width as printf does. */
function pad3(n: number): string {
  return n < 0 ? `-${String(-n).padStart(2, '0')}` : String(n).padStart(3, '0');
}

/** ISO_DATE, local time, no sub-seconds: `2026-11-30 14:02:11`. */
export function formatEventTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `Usr D HH:MM:SS, Sys D HH:MM:SS` (formatRusage). */
function rusage(times: CpuTimes | undefined): string {
  const part = (secondsIn: number): string => {
    let s = Math.max(0, Math.floor(secondsIn));
    const days = Math.floor(s / 86400);
    s %= 86400;
    return `${days} ${pad(s / 3600)}:${pad((s % 3600) / 60)}:${pad(s % 60)}`;
  };
  // Two tabs: the line before ends in `\n\t` and formatRusage starts with its own `\t`.
  return `\t\tUsr ${part(times?.userSeconds ?? 0)}, Sys ${part(times?.systemSeconds ?? 0)}`;
}

function exitLines(exit: Exit): string {
  if ('returnValue' in exit) return `\t(1) Normal termination (return value ${exit.returnValue})\n`;
  return `\t(0) Abnormal termination (signal ${exit.signal})\n${exit.coreFile ? `\t(1) Corefile in: ${exit.coreFile}\n` : '\t(0) No core file\n'}`;
}

function cell(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  // Fractions with %.2f, whole numbers bare (formatUsageAd).
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

const RESOURCE_LABELS: Record<string, string> = {
  Memory: 'Memory (MB)',
  Disk: 'Disk (KB)',
  Gpus: 'Gpus (Average)',
  GpusMemory: 'GpusMemory (MB)',
  TimeExecute: 'TimeExecute (s)',
  TimeSlotBusy: 'TimeSlotBusy (s)',
};

/** The Partitionable Resources table (formatUsageAd): rows in case-insensitive name order. */
export function formatResourceTable(resources: Record<string, ResourceUse>): string {
  const rows = Object.entries(resources)
    .sort(([a], [b]) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0))
    .map(([name, r]) => ({
      label: RESOURCE_LABELS[name] ?? name,
      use: cell(r.usage),
      req: cell(r.request),
      alloc: cell(r.allocated),
      assigned: r.assigned ?? '',
    }));
  if (rows.length === 0) return '';
  // A column of fractions pads its whole numbers to line up with the dots.
  const fractional = (key: 'use' | 'req' | 'alloc'): boolean => rows.some((r) => r[key].includes('.'));
  for (const key of ['use', 'req', 'alloc'] as const)
    if (fractional(key)) for (const r of rows) if (/^-?\d+$/.test(r[key])) r[key] += '   ';
  let cchRes = 'Memory (MB)'.length + 1; // sizeof("Memory (MB)") counts the NUL
  let cchUse = 8;
  let cchReq = 8;
  let cchAlloc = 0;
  let cchAssigned = 0;
  for (const [name] of Object.entries(resources)) cchRes = Math.max(cchRes, name.length);
  for (const r of rows) {
    cchUse = Math.max(cchUse, r.use.length);
    cchReq = Math.max(cchReq, r.req.length);
    cchAlloc = Math.max(cchAlloc, r.alloc.length);
    cchAssigned = Math.max(cchAssigned, r.assigned.length);
  }
  const allocWidth = Math.max(cchAlloc, 9);
  let out = `\tPartitionable Resources : ${'Usage'.padStart(cchUse)} ${'Request'.padStart(cchReq)} ${(cchAlloc ? 'Allocated' : '').padStart(allocWidth)} ${cchAssigned ? 'Assigned' : ''}\n`;
  for (const r of rows)
    out += `\t   ${r.label.padEnd(cchRes + 8)} : ${r.use.padStart(cchUse)} ${r.req.padStart(cchReq)} ${r.alloc.padStart(allocWidth)} ${r.assigned}\n`;
  return out;
}

/** The event's text from its first line on (what follows the header's date and space). */
function formatBody(event: WritableEvent): string {
  switch (event.code) {
    case 0:
      return `Job submitted from host: ${event.submitHost}\n`;
    case 1: {
      let out = `Job executing on host: ${event.executeHost}\n`;
      if (event.slotName) out += `\tSlotName: ${event.slotName}\n`;
      // Sorted `Key = value` lines of the slot (sPrintAdAttrs); strings in ClassAd quotes.
      for (const key of Object.keys(event.props ?? {}).sort(byAttributeName)) {
        const value = event.props![key]!;
        out += `\t${key} = ${typeof value === 'number' ? value : classAdString(value)}\n`;
      }
      return out;
    }
    case 40: {
      let out = `${TRANSFER_LINES[event.stage]} ${event.what} files\n`;
      if (event.secondsInQueue !== undefined) out += `\tSeconds spent in queue: ${event.secondsInQueue}\n`;
      if (event.host) out += `\tTransferring to host: ${event.host}\n`;
      return out;
    }
    case 6: {
      let out = `Image size of job updated: ${event.imageSizeKb}\n`;
      if (event.memoryUsageMb !== undefined) out += `\t${event.memoryUsageMb}  -  MemoryUsage of job (MB)\n`;
      if (event.residentSetKb !== undefined) out += `\t${event.residentSetKb}  -  ResidentSetSize of job (KB)\n`;
      return out;
    }
    case 5: {
      const run = event.runRemote;
      const total = event.totalRemote ?? run;
      let out = `Job terminated.\n${exitLines(event.exit)}`;
      out += `${rusage(run)}  -  Run Remote Usage\n${rusage(undefined)}  -  Run Local Usage\n`;
      out += `${rusage(total)}  -  Total Remote Usage\n${rusage(undefined)}  -  Total Local Usage\n`;
      out += `\t${event.bytesSent ?? 0}  -  Run Bytes Sent By Job\n`;
      out += `\t${event.bytesReceived ?? 0}  -  Run Bytes Received By Job\n`;
      out += `\t${event.totalBytesSent ?? event.bytesSent ?? 0}  -  Total Bytes Sent By Job\n`;
      out += `\t${event.totalBytesReceived ?? event.bytesReceived ?? 0}  -  Total Bytes Received By Job\n`;
      if (event.resources) out += formatResourceTable(event.resources);
      return out;
    }
    case 4: {
      let out =
        event.reasonCode !== undefined && event.reasonCode !== 0
          ? `Job was evicted. Code ${event.reasonCode} Subcode ${event.reasonSubcode ?? 0}\n`
          : 'Job was evicted.\n';
      out += event.requeued ? '\t(0) Job terminated and was requeued\n' : '\t(0) CPU times\n';
      out += `${rusage(event.runRemote)}  -  Run Remote Usage\n${rusage(undefined)}  -  Run Local Usage\n`;
      out += `\t${event.bytesSent ?? 0}  -  Run Bytes Sent By Job\n`;
      out += `\t${event.bytesReceived ?? 0}  -  Run Bytes Received By Job\n`;
      if (event.requeued) {
        const exit = event.requeued;
        out +=
          'returnValue' in exit
            ? `\t(1) Normal termination (return value ${exit.returnValue})\n`
            : `\t(0) Abnormal termination (signal ${exit.signal})\n\t(0) No core file\n`;
      }
      if (event.reason) out += event.requeued ? `\t${event.reason}\n` : `\tReason: ${event.reason}\n`;
      return out;
    }
    case 12:
      return `Job was held.\n\t${oneLine(event.reason) || 'Reason unspecified'}\n\tCode ${event.holdCode} Subcode ${event.holdSubcode}\n`;
    case 13:
      return `Job was released.\n${event.reason ? `\t${oneLine(event.reason)}\n` : ''}`;
    case 9:
      return `Job was aborted.\n${event.reason ? `\t${oneLine(event.reason)}\n` : ''}`;
    case 22:
      return `Job disconnected, attempting to reconnect\n    ${oneLine(event.reason)}\n    Trying to reconnect to ${event.startdName} ${event.startdAddr}\n`;
    case 24:
      return `Job reconnection failed\n    ${oneLine(event.reason)}\n    Can not reconnect to ${event.startdName}, rescheduling job\n`;
  }
}

/** A reason is one line in the log: a newline in it would end the event's text early. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function classAdString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * ClassAd attribute names in the order HTCondor prints a set of them (classad::CaseIgnLTStr,
 * strcasecmp): by their lowercased characters' codes. Not localeCompare, whose first call loads
 * ICU's collator (~10 ms of a local runner that writes an execute event before starting its job).
 */
export function byAttributeName(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** One whole event, header to `...` line. */
export function formatEvent(event: WritableEvent, id: JobId, timeMs: number): string {
  const header = `${String(event.code).padStart(3, '0')} (${pad3(id.cluster)}.${pad3(id.proc)}.${pad3(id.subproc ?? 0)}) ${formatEventTime(timeMs)} `;
  return `${header}${formatBody(event)}...\n`;
}

/** `<127.0.0.1:0?addrs=127.0.0.1-0&alias=HOST&noUDP&sock=NAME>`: a sinful string naming this machine. */
export function sinful(host: string, sock: string): string {
  return `<127.0.0.1:0?addrs=127.0.0.1-0&alias=${host}&noUDP&sock=${sock}>`;
}

/** ELOOP, ENXIO or a file that is not regular: the log's name is no log file, said so (fs's code kept). */
function notALogFile(path: string, error: NodeJS.ErrnoException | null): NodeJS.ErrnoException {
  const what = error?.code === 'ELOOP' ? 'a symbolic link' : 'not a regular file (a FIFO, socket or device)';
  return Object.assign(
    new Error(
      `the event log ${path} is ${what} (a job run in initialdir may have made it): a local run does not write through it; remove it and submit again`,
    ),
    { code: error?.code ?? 'EINVAL', errno: error?.errno ?? -22, path },
  );
}

/**
 * An append that creates the log but never opens it through a link at its name, nor waits on a
 * FIFO there (O_NONBLOCK: one with no reader fails at once, ENXIO; one with a reader is refused).
 */
const APPEND_FLAGS =
  constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** One event, in one append, to a regular file. */
async function appendEvent(path: string, text: string): Promise<void> {
  const handle = await open(path, APPEND_FLAGS, 0o666).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ELOOP' || error.code === 'ENXIO' ? notALogFile(path, error) : error;
  });
  try {
    if (!(await handle.stat()).isFile()) throw notALogFile(path, null);
    await handle.appendFile(text, 'utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Appends events to event logs. Each event goes out in one append (O_APPEND), and events for
 * one file are written in the order they were handed in, so a reader following the log never
 * sees half an event or events out of order, even when several procs share one log.
 */
export class EventLogWriter {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly now: () => number;
  private readonly onWritten: (() => void) | undefined;
  private readonly guard: ((path: string) => Promise<void>) | undefined;

  /**
   * `onWritten`: called after each event is on disk (submit --local wakes its watcher with it);
   * `guard`: checks the log's place before each append (the local runner: no folder on the way
   * is a link a job made out of initialdir), failing the write when it throws.
   */
  constructor(now: () => number = Date.now, onWritten?: () => void, guard?: (path: string) => Promise<void>) {
    this.now = now;
    this.onWritten = onWritten;
    this.guard = guard;
  }

  write(path: string, id: JobId, event: WritableEvent): Promise<void> {
    const text = formatEvent(event, id, this.now());
    const previous = this.queues.get(path) ?? Promise.resolve();
    const next = previous.then(async () => {
      // The folder is made when the first append finds it missing: one call per event, not two.
      // Never through a link at the log's name: a job run in initialdir (should_transfer_files =
      // NO) could leave one to any file of the user's (ELOOP), or a FIFO (ENXIO, or refused).
      await this.guard?.(path);
      try {
        await appendEvent(path, text);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        await mkdir(dirname(path), { recursive: true });
        await appendEvent(path, text);
      }
      this.onWritten?.();
    });
    // A failed write must not block the events after it; the caller sees the failure.
    this.queues.set(
      path,
      next.catch(() => {}),
    );
    return next;
  }

  /** Wait until everything handed in so far is on disk. */
  async flush(): Promise<void> {
    await Promise.all(this.queues.values());
  }
}
