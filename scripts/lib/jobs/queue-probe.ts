// Asking the schedd, only while an event log is missing (htcondor.md §g.5): one
// `condor_q <C> -af:j JobStatus` (read-only); empty output means the job is not in the queue.
import type { Shell } from '../shell.ts';

const STATUS_NAMES: Record<string, string> = {
  '1': 'idle',
  '2': 'running',
  '3': 'removed',
  '4': 'completed',
  '5': 'held',
  '6': 'transferring output',
  '7': 'suspended',
};

export interface QueueAnswer {
  line: string;
  /** No proc of the cluster is in the queue. */
  gone: boolean;
}

/** Parse `condor_q -af:j JobStatus` output: `C.P STATUS` per line. */
export function parseQueueStatus(stdout: string): Map<string, string> {
  const states = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^(\d+\.\d+)\s+(\d+)/.exec(line.trim());
    if (m) states.set(m[1]!, STATUS_NAMES[m[2]!] ?? `status ${m[2]}`);
  }
  return states;
}

export function queueProbe(shell: Shell, cluster: number, cwd: string): () => Promise<QueueAnswer | null> {
  return async () => {
    const result = await shell.run(['condor_q', String(cluster), '-af:j', 'JobStatus'], {
      readOnly: true,
      nothrow: true,
      cwd,
      timeoutMs: 30_000,
    });
    if (result.exitCode !== 0)
      return { line: `condor_q could not be asked (exit ${result.exitCode}); still waiting`, gone: false };
    const states = parseQueueStatus(result.stdout);
    if (states.size === 0) return { line: `condor_q: cluster ${cluster} is not in the queue`, gone: true };
    const counts = new Map<string, number>();
    for (const state of states.values()) counts.set(state, (counts.get(state) ?? 0) + 1);
    return { line: `condor_q: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`, gone: false };
  };
}
