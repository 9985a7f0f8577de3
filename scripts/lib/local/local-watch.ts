// Following a local job, from `submit --local` (after it handed the job to its runner) or
// `status` (re-attaching): the same tracker, live view, summary and exit codes as a pool job,
// and the same promise: Ctrl-C (or a closed terminal) stops the watching, never the job. Two
// things differ because the runner is the schedd. Its end (end.json) is final: a held proc is
// not waited on for --held-timeout, since nothing is left to release it. And a runner found dead
// is recovered on the spot (runner-recovery.ts), so no watch waits forever on a lost job.
import { type FSWatcher, watch } from 'node:fs';
import { jobJson } from '../jobs/job-state.ts';
import type { JobRecord } from '../jobs/job-store.ts';
import { recordLogs } from '../jobs/job-store.ts';
import { recordOutcomes } from '../jobs/recorded-outcomes.ts';
import { holdHint } from '../jobs/hold-hints.ts';
import { outputPlace } from '../jobs/results.ts';
import { exitCodeFor, summaryLines } from '../jobs/summary.ts';
import { track, Wake, type TrackResult } from '../jobs/tracker.ts';
import { jobTitle, stillQueued } from '../jobs/watch.ts';
import { colourEnabled, palette, type Palette } from '../term.ts';
import { displayPath } from '../workspace.ts';
import { readRunEnd, readRunNotes, runDir, type RunEnd } from './run-files.ts';
import { shown } from './sandbox-wall.ts';
import { recoverIfRunnerLost, runnerState } from './runner-recovery.ts';

export interface LocalWatchOptions {
  root: string;
  record: JobRecord;
  json: boolean;
  intervalMs: number;
  out?: NodeJS.WriteStream;
}

const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof STOP_SIGNALS;

/** Resolves with the runner's end: when it writes end.json, or (found dead) once it is recovered. */
async function runEnd(options: LocalWatchOptions, signal: AbortSignal, wake: Wake): Promise<RunEnd | null> {
  const { root, record } = options;
  for (;;) {
    // runnerState reads end.json first: one read per poll, and the end itself once it is there.
    const state = runnerState(root, record);
    const end = state === 'ended' ? readRunEnd(root, record.cluster) : null;
    if (end) return end;
    if (state === 'elsewhere') return null;
    if (state === 'lost') {
      await recoverIfRunnerLost(root, record);
      const recovered = readRunEnd(root, record.cluster);
      if (recovered) return recovered;
    }
    if (signal.aborted) return null;
    await wake.sleep(options.intervalMs, signal);
  }
}

export async function watchLocal(options: LocalWatchOptions): Promise<number> {
  const { root, record } = options;
  const out = options.out ?? process.stdout;
  const write = (text: string): void => void out.write(text);
  const paint = palette(colourEnabled(out));
  const stop = new AbortController();
  let stoppedBy: StopSignal | null = null;
  const onSignal = (name: StopSignal): void => {
    stoppedBy ??= name;
    stop.abort();
  };
  const handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((name) => [name, () => onSignal(name)] as const);
  for (const [name, handler] of handlers) process.on(name, handler);
  const base = {
    logs: [...new Set(recordLogs(record))],
    cluster: record.cluster,
    procs: record.procs.map((p) => p.proc),
    procInfo: new Map(record.procs.map((p) => [p.proc, { output: p.output, vars: p.vars ?? null }])),
    heldTimeoutMs: Number.POSITIVE_INFINITY,
    intervalMs: options.intervalMs,
    title: `${jobTitle(record)} · local`,
    root,
    referenceTime: Date.parse(record.submittedAt),
    local: { cluster: record.resubmitOf?.cluster ?? record.cluster },
  };
  let end: RunEnd | null = null;
  // The runner touches a file in its folder after each event and writes end.json there: both
  // wake the tracker and the end check at once instead of at the next interval.
  const trackWake = new Wake();
  const endWake = new Wake();
  let folder: FSWatcher | null = null;
  try {
    folder = watch(runDir(root, record.cluster), () => {
      trackWake.wake();
      endWake.wake();
    });
    folder.on('error', () => {});
  } catch {
    // no inotify (or the folder is gone): the interval still reads
  }
  try {
    // Once the runner is done every event is in the logs: one more read shows the last of them.
    const ended = runEnd(options, stop.signal, endWake).then((e) => {
      end = e;
      if (e) {
        trackWake.wake();
        setTimeout(() => stop.abort(), Math.min(options.intervalMs, 100) + 50).unref();
      }
    });
    await track({
      ...base,
      once: false,
      view: options.json
        ? null
        : { write, tty: Boolean(out.isTTY), width: out.columns || 100, height: out.rows || 40, paint },
      signal: stop.signal,
      wake: trackWake,
    });
    if (!stoppedBy) await ended;
  } finally {
    folder?.close();
    for (const [name, handler] of handlers) process.off(name, handler);
  }
  if (stoppedBy) {
    process.stderr.write(`\n${stillQueued('stopped watching; the local runner goes on with the job', record.cluster)}`);
    return STOP_SIGNALS[stoppedBy];
  }
  return finish(options, end, paint, write);
}

/** The final state, read whole from the logs the runner has finished writing: summary, notes, hints, exit code. */
async function finish(
  options: LocalWatchOptions,
  end: RunEnd | null,
  paint: Palette,
  write: (text: string) => void,
): Promise<number> {
  const { root, record } = options;
  const procNumbers = record.procs.map((p) => p.proc);
  const final = await track({
    logs: [...new Set(recordLogs(record))],
    cluster: record.cluster,
    procs: procNumbers,
    heldTimeoutMs: Number.POSITIVE_INFINITY,
    intervalMs: options.intervalMs,
    title: '',
    root,
    once: true,
    view: null,
  });
  // Kept (the runner has ended every proc): the sweep's closing table below does not read the logs again.
  recordOutcomes(root, { cluster: record.cluster, procs: procNumbers, logs: recordLogs(record) }, final);
  const held = final.table.list().find((j) => j.state === 'held') ?? null;
  const result: TrackResult = { ...final, outcome: held ? 'held-timeout' : 'done', held };
  if (options.json) {
    write(`${JSON.stringify({ cluster: record.cluster, jobs: result.table.list().map(jobJson) }, null, 2)}\n`);
    return exitCodeFor(result);
  }
  const procs = withKeptOutputs(record, root);
  write(`\n${(await summaryLines(result, procs, root, paint)).join('\n')}\n`);
  if (end?.error) process.stderr.write(`${paint.red('error:')} the local runner failed: ${end.error.split('\n')[0]}\n`);
  if (result.table.allDone() && procs.some((p) => p.vars && Object.keys(p.vars).length > 0)) {
    const { sweepResultLines } = await import('../jobs/results-command.ts');
    const cols = Math.max(process.stdout.columns || 160, 60);
    const lines = await sweepResultLines(root, record.cluster, paint, cols, record);
    if (lines.length > 0) write(`${lines.join('\n')}\n`);
  }
  if (held) {
    const hint = holdHint(held.holdCode, held.holdSubcode, held.holdReason, held.id, {
      cluster: record.resubmitOf?.cluster ?? record.cluster,
    });
    process.stderr.write(
      `${paint.red('error:')} job ${held.id} was held (${hint.cause}); a local run ends there\n${paint.dim('hint:')} ${hint.hint}\n`,
    );
  }
  return exitCodeFor(result);
}

/**
 * The record's procs with each kept output's new name: when a destination existed, the runner
 * wrote the new file beside it, and that is the one the summary names (a note says so too).
 */
function withKeptOutputs(record: JobRecord, root: string): JobRecord['procs'] {
  const notes = readRunNotes(root, record.cluster);
  if (notes.length === 0) return record.procs;
  for (const note of notes)
    if (note.kind === 'failed-before-output')
      process.stderr.write(
        `${record.cluster}.${note.proc} exited with ${note.exit} and did not write ${shown(displayPath(root, note.path))}: HTCondor holds such a job (code 12), on a pool as here. With \`success_exit_code = 0\` in the submit file a failed exit ends the proc as failed (005 with its return value) and \`resubmit --failed\` picks it up\n`,
      );
  return record.procs.map((proc) => {
    const mine = notes.filter((n) => n.kind === 'kept' && n.proc === proc.proc);
    if (mine.length === 0) return proc;
    const remaps = { ...proc.outputRemaps };
    for (const note of mine) {
      if (note.kind !== 'kept') continue;
      process.stderr.write(
        `${record.cluster}.${proc.proc}: ${displayPath(root, note.existing)} already existed and was kept; the new one is ${displayPath(root, note.newPath)}\n`,
      );
      for (const file of proc.transferOutputFiles ?? [])
        if (outputPlace(proc, file) === note.existing) remaps[file.replace(/\/+$/, '')] = note.newPath;
    }
    return { ...proc, outputRemaps: remaps };
  });
}
