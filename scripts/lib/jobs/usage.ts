// What a job used against what it asked for, from each terminate event's usage lines and its
// `Partitionable Resources` table (htcondor.md §c.3): wall and GPU-hours, CPU time, peak memory
// and disk against request_memory / request_disk, and what to ask for next time. A held proc
// has no such table: its suggestion comes from the hold reason (HTCondor names the limit and the
// last measured usage) or, failing that, from doubling the request.
import { resourceRows } from '../event-log/event-fields.ts';
import type { JobState } from './job-state.ts';

export interface ProcUsage {
  id: string;
  /** Execute time over every run (ms). */
  wallMs: number | null;
  gpus: number | null;
  /** User + system CPU seconds, `Total Remote Usage`. */
  cpuSeconds: number | null;
  memoryMb: number | null;
  memoryRequestMb: number | null;
  diskKb: number | null;
  diskRequestKb: number | null;
}

export interface UsageSummary {
  procs: number;
  /** Σ wall × GPUs, hours. */
  gpuHours: number;
  wallHours: number;
  cpuHours: number;
  peakMemoryMb: number | null;
  memoryRequestMb: number | null;
  peakDiskKb: number | null;
  diskRequestKb: number | null;
  /** request_memory / request_disk to use next time (submit-file syntax, e.g. `3GB`), null when unknown. */
  suggest: { requestMemory: string | null; requestDisk: string | null };
}

// `Gpus (Average)` where the startd monitors GPU usage (htcondor.md §f; what submit --local writes).
const ROWS: ReadonlySet<string> = new Set(['Cpus', 'Disk (KB)', 'Gpus', 'GPUs', 'Gpus (Average)', 'Memory (MB)']);

function numberOf(text: string | null | undefined): number | null {
  if (text === null || text === undefined || text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** `Usr 0 01:23:39, Sys 0 00:05:10` → seconds. */
export function usageSeconds(line: string): number | null {
  const m = /Usr (\d+) (\d+):(\d+):(\d+), Sys (\d+) (\d+):(\d+):(\d+)/.exec(line);
  if (!m) return null;
  const n = m.slice(1).map(Number);
  return n[0]! * 86400 + n[1]! * 3600 + n[2]! * 60 + n[3]! + n[4]! * 86400 + n[5]! * 3600 + n[6]! * 60 + n[7]!;
}

export function procUsage(job: JobState): ProcUsage {
  const body = job.ending?.body ?? [];
  const rows = job.ending ? resourceRows(body, ROWS) : undefined;
  const gpuRow = rows?.Gpus ?? rows?.GPUs ?? rows?.['Gpus (Average)'];
  const totalLine = body.find((l) => l.endsWith('Total Remote Usage'));
  const ranMs = job.runMs + (job.runStart !== null && job.endedAt !== null ? job.endedAt - job.runStart : 0);
  return {
    id: job.id,
    wallMs: ranMs > 0 ? ranMs : null,
    gpus: numberOf(gpuRow?.allocated) ?? numberOf(gpuRow?.request),
    cpuSeconds: totalLine ? usageSeconds(totalLine) : null,
    memoryMb: numberOf(rows?.['Memory (MB)']?.usage),
    memoryRequestMb: numberOf(rows?.['Memory (MB)']?.request),
    diskKb: numberOf(rows?.['Disk (KB)']?.usage),
    diskRequestKb: numberOf(rows?.['Disk (KB)']?.request),
  };
}

function max(values: (number | null)[]): number | null {
  let best: number | null = null;
  for (const v of values) if (v !== null && (best === null || v > best)) best = v;
  return best;
}

/** A size in the submit language, rounded up to a tidy step: `1536MB`, `3GB`. */
export function sizeText(mb: number): string {
  if (mb >= 1024) return `${Math.ceil(mb / 512) / 2}GB`;
  return `${Math.max(128, Math.ceil(mb / 128) * 128)}MB`;
}

/** Next time's request: the peak plus a quarter of headroom. */
export function suggestFromPeak(peakMb: number): string {
  return sizeText(peakMb * 1.25);
}

export function summarizeUsage(jobs: JobState[]): UsageSummary | null {
  // Only terminate events that carry usage lines or a resource table count (old logs have neither).
  const usages = jobs
    .filter((j) => j.ending)
    .map(procUsage)
    .filter((u) => u.cpuSeconds !== null || u.memoryMb !== null || u.diskKb !== null || u.gpus !== null);
  if (usages.length === 0) return null;
  let gpuHours = 0;
  let wallHours = 0;
  let cpuHours = 0;
  for (const u of usages) {
    const hours = (u.wallMs ?? 0) / 3_600_000;
    wallHours += hours;
    gpuHours += hours * (u.gpus ?? 0);
    cpuHours += (u.cpuSeconds ?? 0) / 3600;
  }
  const peakMemoryMb = max(usages.map((u) => u.memoryMb));
  const peakDiskKb = max(usages.map((u) => u.diskKb));
  return {
    procs: usages.length,
    gpuHours,
    wallHours,
    cpuHours,
    peakMemoryMb,
    memoryRequestMb: max(usages.map((u) => u.memoryRequestMb)),
    peakDiskKb,
    diskRequestKb: max(usages.map((u) => u.diskRequestKb)),
    suggest: {
      requestMemory: peakMemoryMb !== null ? suggestFromPeak(peakMemoryMb) : null,
      requestDisk: peakDiskKb !== null ? suggestFromPeak(peakDiskKb / 1024) : null,
    },
  };
}

export type HeldResource = 'memory' | 'disk';

/** Which request a hold is about: code 34 subcode 102/104, or the reason's words. */
export function heldFor(job: Pick<JobState, 'holdCode' | 'holdSubcode' | 'holdReason'>): HeldResource | null {
  if (job.holdCode === 34 && job.holdSubcode === 104) return 'disk';
  if (job.holdCode === 34 && job.holdSubcode === 102) return 'memory';
  const reason = job.holdReason ?? '';
  if (/out-of-memory|memory limit|request_memory|MemoryUsage/i.test(reason)) return 'memory';
  if (/disk (?:limit|usage|quota)|request_disk|DiskUsage/i.test(reason)) return 'disk';
  return job.holdCode === 34 ? 'memory' : null;
}

/**
 * What to ask for after a memory or disk hold: the larger of the limit and the last measured
 * usage the reason names, plus half again; else twice the current request (MB); else null.
 */
export function suggestAfterHold(reason: string | null, requestMb: number | null): string | null {
  const numbers = [...(reason ?? '').matchAll(/(\d+(?:\.\d+)?)\s*(?:megabytes|MB|Mb)\b/g)].map((m) => Number(m[1]));
  const seen = numbers.length > 0 ? Math.max(...numbers) : null;
  if (seen !== null && seen > 0) return sizeText(Math.max(seen, requestMb ?? 0) * 1.5);
  if (requestMb !== null && requestMb > 0) return sizeText(requestMb * 2);
  return null;
}

function hours(value: number): string {
  return value >= 10 ? value.toFixed(0) : value >= 1 ? value.toFixed(1) : value.toFixed(2);
}

/** The summary's usage lines. */
export function usageLines(summary: UsageSummary): string[] {
  const lines = [
    `  used: ${hours(summary.gpuHours)} GPU-hours (wall × GPUs over ${summary.procs} proc${summary.procs === 1 ? '' : 's'}), ${hours(summary.cpuHours)} CPU-hours`,
  ];
  const parts: string[] = [];
  if (summary.peakMemoryMb !== null)
    parts.push(
      `peak memory ${summary.peakMemoryMb} MB${summary.memoryRequestMb !== null ? ` of ${summary.memoryRequestMb} requested${summary.peakMemoryMb > summary.memoryRequestMb ? ' (over)' : ''}` : ''}`,
    );
  if (summary.peakDiskKb !== null)
    parts.push(
      `peak disk ${Math.ceil(summary.peakDiskKb / 1024)} MB${summary.diskRequestKb !== null ? ` of ${Math.ceil(summary.diskRequestKb / 1024)} requested` : ''}`,
    );
  if (parts.length > 0) lines.push(`  ${parts.join(', ')}`);
  const { requestMemory, requestDisk } = summary.suggest;
  if (requestMemory || requestDisk)
    lines.push(
      `  next time: ${[requestMemory ? `request_memory = ${requestMemory}` : null, requestDisk ? `request_disk = ${requestDisk}` : null].filter(Boolean).join(', ')}`,
    );
  return lines;
}
