// Following a local run: the same tracker, live view, summary and exit codes as a pool job
// (jobs/tracker.ts, jobs/summary.ts), with two differences that come from this process being
// the schedd too. Ctrl-C removes the job (the runner logs 009 and the view shows it) instead of
// only stopping the watching; and a held proc is final once the runner is done, since nothing
// is left to release it, so the watch ends then instead of after --held-timeout.
import { jobJson } from '../jobs/job-state.ts';
import type { ProcRecord } from '../jobs/job-store.ts';
import { holdHint } from '../jobs/hold-hints.ts';
import { EXIT_INTERRUPTED, exitCodeFor, summaryLines } from '../jobs/summary.ts';
import { track, type TrackResult, type Wake } from '../jobs/tracker.ts';
import { colourEnabled, palette } from '../term.ts';

export interface LocalWatchOptions {
  root: string;
  cluster: number;
  procs: ProcRecord[];
  logs: string[];
  json: boolean;
  intervalMs: number;
  title: string;
  referenceTime: number;
  /** Resolves when the runner is done; true when it was interrupted (Ctrl-C, cancel). */
  runnerDone: Promise<boolean>;
  /** Woken by the runner after each event it writes: the view reads it at once, not at the next interval. */
  wake?: Wake;
  out?: NodeJS.WriteStream;
}

export async function watchLocal(options: LocalWatchOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const write = (text: string): void => void out.write(text);
  const paint = palette(colourEnabled(out));
  const stop = new AbortController();
  let interrupted = false;
  let failure: unknown = null;
  // Once the runner is done every event is in the logs: give the view a few reads to show the
  // last of them, then stop (held procs would otherwise be waited on forever).
  // unref: a watch that ended by itself ('done') must not keep the process alive for it.
  const settle = (): void => {
    options.wake?.wake();
    setTimeout(() => stop.abort(), options.intervalMs + 50).unref();
  };
  const runnerDone = options.runnerDone.then(
    (wasInterrupted) => {
      interrupted = wasInterrupted;
      settle();
    },
    (error: unknown) => {
      failure = error;
      settle();
    },
  );
  const base = {
    logs: options.logs,
    cluster: options.cluster,
    procs: options.procs.map((p) => p.proc),
    heldTimeoutMs: Number.POSITIVE_INFINITY,
    intervalMs: options.intervalMs,
    title: options.title,
    root: options.root,
    referenceTime: options.referenceTime,
  };
  await track({
    ...base,
    once: false,
    view: options.json
      ? null
      : { write, tty: Boolean(out.isTTY), width: out.columns || 100, height: out.rows || 40, paint },
    signal: stop.signal,
    ...(options.wake ? { wake: options.wake } : {}),
  });
  await runnerDone;
  if (failure) throw failure;
  // The final state, read whole from the logs the runner has finished writing.
  const final = await track({ ...base, once: true, view: null });
  const held = final.table.list().find((j) => j.state === 'held') ?? null;
  const result: TrackResult = { ...final, outcome: held ? 'held-timeout' : 'done', held };
  if (options.json) {
    write(`${JSON.stringify({ cluster: options.cluster, jobs: result.table.list().map(jobJson) }, null, 2)}\n`);
  } else {
    write(`\n${(await summaryLines(result, options.procs, options.root, paint)).join('\n')}\n`);
    if (!interrupted && isSweep(options.procs)) {
      const { sweepResultLines } = await import('../jobs/results-command.ts');
      const lines = await sweepResultLines(options.root, options.cluster, paint, Math.max(out.columns || 160, 60));
      if (lines.length > 0) write(`${lines.join('\n')}\n`);
    }
    if (held) {
      const hint = holdHint(held.holdCode, held.holdSubcode, held.holdReason, held.id);
      process.stderr.write(
        `${paint.red('error:')} job ${held.id} was held (${hint.cause}); a local run ends there\n` +
          `${paint.dim('hint:')} ${hint.hint} (locally: fix it, then run \`pixi run submit --local\` again)\n`,
      );
    }
  }
  if (interrupted) return EXIT_INTERRUPTED;
  return exitCodeFor(result);
}

/** Procs with queue variables: maybe a sweep (or a resubmission of its rows), which ends with its results table. */
function isSweep(procs: readonly { vars?: Record<string, string> | null }[]): boolean {
  return procs.some((p) => p.vars && Object.keys(p.vars).length > 0);
}
