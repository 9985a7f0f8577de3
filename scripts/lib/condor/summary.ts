// How it went: the exit code of `submit`/`status`, and the closing summary (each proc's exit,
// wall time, its transfer_output_files with sizes, the end of `error` for failed procs).
import { open, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Palette } from '../term.ts';
import { displayPath } from '../workspace.ts';
import { formatBytes, formatDuration } from './format.ts';
import { holdHint } from './hold-hints.ts';
import type { JobState } from './job-state.ts';
import type { TrackResult } from './tracker.ts';
import type { ProcRecord } from './job-store.ts';

/** Exit codes, documented in docs/submit.md. */
export const EXIT_HELD_OR_REMOVED = 2;
export const EXIT_INTERRUPTED = 130;

function failed(job: JobState): boolean {
  return job.state === 'completed' && (job.exitCode !== 0 || job.signal !== null);
}

/**
 * 0 when every proc completed with return value 0; 2 when a proc was held (past the timeout)
 * or removed; otherwise the single proc's return value (128 + signal when killed), or 1.
 */
export function exitCodeFor(result: TrackResult): number {
  if (result.outcome === 'interrupted') return EXIT_INTERRUPTED;
  if (result.outcome === 'held-timeout' || result.outcome === 'vanished') return EXIT_HELD_OR_REMOVED;
  const jobs = result.table.list();
  if (jobs.length === 0) return 1;
  if (jobs.some((j) => j.state === 'removed' || j.state === 'held')) return EXIT_HELD_OR_REMOVED;
  if (!jobs.every((j) => j.state === 'completed')) return 1; // --once on unfinished jobs: not a success yet
  const failures = jobs.filter(failed);
  if (failures.length === 0) return 0;
  if (jobs.length === 1) {
    const job = jobs[0]!;
    return job.signal !== null ? 128 + job.signal : job.exitCode || 1;
  }
  return 1;
}

async function lastLines(path: string, count: number): Promise<string[] | null> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 64 * 1024);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8').split('\n').filter((l) => l.trim() !== '').slice(-count);
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? null : s.size;
  } catch {
    return null;
  }
}

export async function summaryLines(result: TrackResult, procs: ProcRecord[] | null, root: string, paint: Palette): Promise<string[]> {
  const lines: string[] = [];
  const byProc = new Map((procs ?? []).map((p) => [p.proc, p]));
  const jobs = result.table.list();
  if (jobs.length === 0) return ['no jobs in the log yet'];
  lines.push(paint.bold('summary'));
  for (const job of jobs) {
    const wall = job.startedAt !== null && job.endedAt !== null ? formatDuration(job.endedAt - job.startedAt) : '-';
    let verdict: string;
    if (job.state === 'completed') verdict = job.signal !== null ? `killed by signal ${job.signal}` : `exit ${job.exitCode ?? '?'}`;
    else if (job.state === 'removed') verdict = `removed${job.lastMessage ? ` (${job.lastMessage})` : ''}`;
    else if (job.state === 'held') verdict = `held: ${job.holdReason ?? 'Reason unspecified'}`;
    else verdict = job.state;
    const colour = failed(job) || job.state === 'removed' || job.state === 'held' ? paint.red : job.state === 'completed' ? paint.green : (s: string) => s;
    lines.push(colour(`  ${job.id.padEnd(12)} ${verdict}  wall ${wall}${job.host ? `  on ${job.host}` : ''}`));
    if (job.state === 'held') {
      const hint = holdHint(job.holdCode, job.holdSubcode, job.holdReason);
      lines.push(`    code ${job.holdCode ?? '?'} subcode ${job.holdSubcode ?? '?'}; hint (${hint.cause}): ${hint.hint}`);
    }
    if (job.memoryUsageMb !== null && job.memoryRequestMb !== null) {
      lines.push(paint.dim(`    memory ${job.memoryUsageMb} of ${job.memoryRequestMb} MB requested`));
    }
    const proc = byProc.get(job.proc);
    if (!proc) continue;
    if (job.state === 'completed') {
      for (const file of proc.transferOutputFiles ?? []) {
        const path = isAbsolute(file) ? file : join(proc.iwd, file);
        const size = await sizeOf(path);
        lines.push(`    ${displayPath(root, path)}  ${size === null ? paint.yellow('not found') : formatBytes(size)}`);
      }
    }
    if ((failed(job) || job.state === 'held') && proc.error) {
      const tail = await lastLines(proc.error, 10);
      if (tail && tail.length > 0) {
        lines.push(paint.dim(`    last lines of ${displayPath(root, proc.error)}:`));
        for (const line of tail) lines.push(`      ${line}`);
      }
    }
  }
  return lines;
}
