// Running condor_submit itself. Once it has queued a job, nothing may lose track of it: Ctrl-C,
// a closed terminal or `kill` while it runs (and while the job record is written) are held back
// (condor_submit gets the terminal's Ctrl-C itself and decides), so its output is always read
// and the cluster recorded before the signal is acted on.
import { UserError } from '../errors.ts';
import { lastLine, type Shell } from '../shell.ts';
import { parseSubmitOutput, submitFailureHint, type SubmittedCluster } from './submit-output.ts';

const DEFERRED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface DeferredSignals {
  /** The first signal that arrived, if any: act on it once the job is recorded. */
  readonly received: NodeJS.Signals | null;
  restore(): void;
}

/** Hold back SIGINT, SIGTERM and SIGHUP until restore(). */
export function deferSignals(): DeferredSignals {
  let received: NodeJS.Signals | null = null;
  const hold = (signal: NodeJS.Signals): void => void (received ??= signal);
  for (const signal of DEFERRED_SIGNALS) process.on(signal, hold);
  return {
    get received() {
      return received;
    },
    restore: () => {
      for (const signal of DEFERRED_SIGNALS) process.off(signal, hold);
    },
  };
}

/**
 * Run condor_submit; return the cluster it queued, or throw a UserError with its ERROR lines
 * and a hint. A run that may have queued a job without saying which says so.
 */
export async function runCondorSubmit(shell: Shell, argv: string[], cwd: string, signals: DeferredSignals, warn: (line: string) => void): Promise<SubmittedCluster> {
  const result = await shell.run(argv, { cwd, nothrow: true, timeoutMs: 300_000 });
  const output = parseSubmitOutput(result.stdout, result.stderr);
  for (const warning of output.warnings) warn(warning);
  const cluster = output.clusters[0];
  if (cluster) return cluster;
  const interrupted = signals.received;

  const stopped = interrupted !== null || result.exitCode >= 128;
  if (result.exitCode === 0 && !stopped) {
    if (output.noJobs) {
      throw new UserError(`condor_submit queued no jobs: ${output.noJobs}`, { hint: 'the queue statement expands to nothing: check `queue N` and its item list (`pixi run submit --dry-run` lists the procs)' });
    }
    // It says it succeeded but not where: the job may be queued, so point at it, never guess.
    throw new UserError(`condor_submit exited 0 but printed no cluster id (${lastLine(result.stdout) || 'no output'})`, {
      hint: 'a job may be queued without a record here: find it with `condor_q -nobatch`, follow it with `pixi run status --log LOG --follow`, remove it with `condor_rm CLUSTER`',
    });
  }
  const message = output.errors.length > 0 ? output.errors.join(' ') : lastLine(result.stderr) || `exit ${result.exitCode}`;
  if (stopped) {
    throw new UserError(`condor_submit was stopped before it finished (${interrupted ?? `exit ${result.exitCode}`}): ${message}`, {
      hint: 'it normally queues nothing then; `condor_q -nobatch` shows whether a job was queued',
      exitCode: interrupted === 'SIGINT' ? 130 : 1,
    });
  }
  throw new UserError(`condor_submit failed: ${message}`, { hint: submitFailureHint(output.errors) });
}

