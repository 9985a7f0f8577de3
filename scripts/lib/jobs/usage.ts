// What a job used against what it asked for, from each terminate event's usage lines and its
// `Partitionable Resources` table (htcondor.md §c.3): wall and GPU-hours, CPU time, peak memory
// and disk against request_memory / request_disk, and what to ask for next time. A held proc
// has no such table: its suggestion comes from the hold reason (HTCondor names the limit and the
// last measured usage) or, failing that, from doubling the request.
import type { EndUsage } from '../event-log/event-fields.ts';
import type { JobState, JobTable } from './job-state.ts';

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

export function procUsage(job: JobState): ProcUsage {
  const usage = job.usage;
  const ranMs = job.runMs + (job.runStart !== null && job.endedAt !== null ? job.endedAt - job.runStart : 0);
  return {
    id: job.id,
    wallMs: ranMs > 0 ? ranMs : null,
    gpus: usage?.gpus ?? null,
    cpuSeconds: usage?.cpuSeconds ?? null,
    memoryMb: usage?.memoryMb ?? null,
    memoryRequestMb: usage?.memoryRequestMb ?? null,
    diskKb: usage?.diskKb ?? null,
    diskRequestKb: usage?.diskRequestKb ?? null,
  };
}

function max(best: number | null, value: number | null): number | null {
  return value !== null && (best === null || value > best) ? value : best;
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

/** The usage of a job: from its table's columns (no object per proc), or from a list of procs. */
export function summarizeUsage(jobs: JobState[] | JobTable): UsageSummary | null {
  const total = new UsageTotals();
  if (Array.isArray(jobs)) {
    for (const job of jobs) {
      const usage = job.usage;
      if (usage) total.add(procUsage(job).wallMs ?? 0, usage);
    }
  } else jobs.eachUsage((wallMs, usage) => total.add(positive(wallMs), usage));
  return total.summary();
}

/** `ms` when above 0, else 0 (a NaN, from unreadable dates, too: Math.max would keep it). */
function positive(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** Sums and peaks over the procs whose terminate event carried usage lines or a resource table (old logs have neither). */
class UsageTotals {
  procs = 0;
  gpuHours = 0;
  wallHours = 0;
  cpuHours = 0;
  peakMemoryMb: number | null = null;
  memoryRequestMb: number | null = null;
  peakDiskKb: number | null = null;
  diskRequestKb: number | null = null;

  add(wallMs: number, u: EndUsage): void {
    if (u.cpuSeconds === null && u.memoryMb === null && u.diskKb === null && u.gpus === null) return;
    this.procs++;
    const hours = wallMs / 3_600_000;
    this.wallHours += hours;
    this.gpuHours += hours * (u.gpus ?? 0);
    this.cpuHours += (u.cpuSeconds ?? 0) / 3600;
    this.peakMemoryMb = max(this.peakMemoryMb, u.memoryMb);
    this.memoryRequestMb = max(this.memoryRequestMb, u.memoryRequestMb);
    this.peakDiskKb = max(this.peakDiskKb, u.diskKb);
    this.diskRequestKb = max(this.diskRequestKb, u.diskRequestKb);
  }

  summary(): UsageSummary | null {
    if (this.procs === 0) return null;
    const { procs, gpuHours, wallHours, cpuHours, peakMemoryMb, memoryRequestMb, peakDiskKb, diskRequestKb } = this;
    return {
      procs,
      gpuHours,
      wallHours,
      cpuHours,
      peakMemoryMb,
      memoryRequestMb,
      peakDiskKb,
      diskRequestKb,
      suggest: {
        requestMemory: peakMemoryMb !== null ? suggestFromPeak(peakMemoryMb) : null,
        requestDisk: peakDiskKb !== null ? suggestFromPeak(peakDiskKb / 1024) : null,
      },
    };
  }
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
