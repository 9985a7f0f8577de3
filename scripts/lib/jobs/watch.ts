// Watching a job to its end, shared by `submit` (after submitting) and `status` (re-attaching):
// the tracker, Ctrl-C that stops the watching and never the job, the held-timeout message,
// the summary or the JSON document, and the exit code.
import { palette, colourEnabled, type Palette } from '../term.ts';
import { EXIT_INTERRUPTED, exitCodeFor, summaryLines } from './summary.ts';
import { jobJson, type JobState } from './job-state.ts';
import { holdHint } from './hold-hints.ts';
import { track, type TrackOptions, type TrackResult } from './tracker.ts';
import { viewMode } from './track-view.ts';
import { recordLogs, type JobRecord, type ProcRecord } from './job-store.ts';
import { clock, formatDuration } from './format.ts';
import { summarizeUsage } from './usage.ts';
import { type OutcomesKey, recordedOutcomes, recordOutcomes } from './recorded-outcomes.ts';
import { displayPath } from '../workspace.ts';

export interface WatchOptions {
  root: string;
  logs: string[];
  cluster: number | null;
  procs: ProcRecord[] | null;
  once: boolean;
  json: boolean;
  heldTimeoutMs: number;
  intervalMs: number;
  title: string;
  referenceTime?: number;
  probe?: TrackOptions['probe'];
  runnerGone?: TrackOptions['runnerGone'];
  local?: TrackOptions['local'];
  /** Where output goes (stdout); its isTTY decides the live view. */
  out?: NodeJS.WriteStream;
  /** The job's record (recordWatch), for the sweep's closing table. */
  record?: JobRecord;
}

/** Signals that stop the watching (never the job), and the exit code each gives (128 + its number). */
const STOP_SIGNALS: Record<'SIGINT' | 'SIGTERM' | 'SIGHUP', number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export async function watchJob(options: WatchOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const write = (text: string): void => void out.write(text);
  const paint: Palette = palette(colourEnabled(out));
  const abort = new AbortController();
  // Ctrl-C, a closed terminal or `kill`: each stops the watching the same way, with the re-attach hint.
  let stoppedBy: keyof typeof STOP_SIGNALS | null = null;
  const handlers = (Object.keys(STOP_SIGNALS) as (keyof typeof STOP_SIGNALS)[]).map((name) => {
    const handler = (): void => {
      stoppedBy ??= name;
      abort.abort();
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  const procInfo = new Map((options.procs ?? []).map((p) => [p.proc, { output: p.output, vars: p.vars ?? null }]));
  const view = options.json
    ? null
    : { write, tty: Boolean(out.isTTY), width: out.columns || 100, height: out.rows || 40, paint };
  // A recorded job that has ended and was kept (by the status or submit that followed it to its
  // end): shown from the kept table, its logs not read again; the line-per-change output tells
  // the log's story, so it reads the log.
  const job = recordedJob(options);
  const kept = job && viewMode(view, options.once) !== 'lines' ? recordedOutcomes(options.root, job) : null;
  let result: TrackResult;
  try {
    result = await track({
      logs: options.logs,
      cluster: options.cluster,
      procs: options.procs?.map((p) => p.proc),
      procInfo,
      once: options.once,
      heldTimeoutMs: options.heldTimeoutMs,
      intervalMs: options.intervalMs,
      view,
      ...(kept ? { kept } : {}),
      title: options.title,
      root: options.root,
      referenceTime: options.referenceTime,
      probe: options.probe,
      runnerGone: options.runnerGone,
      local: options.local,
      signal: abort.signal,
    });
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
  }
  // A recorded job followed to its end: its table is kept, so the results that follow (the
  // sweep's table below, `pixi run results`) do not read its logs again.
  if (job && !kept) recordOutcomes(options.root, job, result);

  const reattach =
    options.cluster !== null
      ? `pixi run status ${options.cluster}`
      : `pixi run status ${options.logs.map((l) => `--log ${displayPath(options.root, l)}`).join(' ')} --follow`;
  const writeJson = (): void =>
    writeJobsJson(write, {
      ...(options.cluster !== null ? { cluster: options.cluster } : {}),
      jobs: result.table.list(),
      vars: (job) => procInfo.get(job.proc)?.vars ?? null,
      usage: summarizeUsage(result.table),
      unreadableEvents: result.junk,
    });
  if (result.outcome === 'interrupted') {
    // Ctrl-C (or SIGTERM/SIGHUP): the job keeps going; say how to come back (--json: with the state so far).
    if (options.json) writeJson();
    const how = stoppedBy && stoppedBy !== 'SIGINT' ? ` (${stoppedBy})` : '';
    process.stderr.write(`\n${stillQueued(`stopped watching${how}`, options.cluster, reattach)}`);
    return stoppedBy ? STOP_SIGNALS[stoppedBy] : EXIT_INTERRUPTED;
  }
  if (options.json) {
    writeJson();
    return exitCodeFor(result);
  }
  if (result.outcome === 'vanished' && result.goneReason) {
    process.stderr.write(`${paint.red('error:')} ${result.goneReason}\n`);
    return exitCodeFor(result);
  }
  if (result.outcome === 'vanished') {
    process.stderr.write(
      `${paint.red('error:')} the job is no longer in the queue and its log never appeared: ${result.missing.join(', ')}\n`,
    );
    return exitCodeFor(result);
  }
  if (!options.once || result.table.allDone()) {
    write('\n' + (await summaryLines(result, options.procs, options.root, paint)).join('\n') + '\n');
  }
  // A sweep that has ended: its results table, results.csv and the best run, as `pixi run results`.
  const procs = options.procs ?? [];
  const sweep = procs.some((p) => p.vars && Object.keys(p.vars).length > 0);
  if (sweep && options.cluster !== null && result.table.allDone()) {
    const { sweepResultLines } = await import('./results-command.ts');
    const width = Math.max(out.columns || 160, 60);
    const lines = await sweepResultLines(options.root, options.cluster, paint, width, options.record);
    if (lines.length > 0) write(`${lines.join('\n')}\n`);
  }
  if (result.outcome === 'held-timeout' && result.held) {
    // The summary above gave the reason; this says what it means and what to do.
    const job = result.held;
    const hint = holdHint(job.holdCode, job.holdSubcode, job.holdReason, job.id);
    process.stderr.write(
      `${paint.red('error:')} job ${job.id} has been held for ${formatDuration(Date.now() - job.since)} (${hint.cause}); stopped watching, the job stays in the queue, held\n` +
        `${paint.dim('hint:')} ${hint.hint}; re-attach with \`${reattach}\`\n`,
    );
  }
  return exitCodeFor(result);
}

/** A recorded job's key to its kept table, for what a follow reads (everything); null for `--log` alone. */
function recordedJob({ procs, cluster, logs }: WatchOptions): OutcomesKey | null {
  if (!procs || cluster === null) return null;
  return { cluster, procs: procs.map((p) => p.proc), logs, usage: true, hostsAndMessages: true };
}

/** What to say when we stop following a job that is still queued: how to come back, how to remove it. */
export function stillQueued(what: string, cluster: number | null, reattach = `pixi run status ${cluster}`): string {
  return `${what}; the job is still in the queue.\n  re-attach: ${reattach}\n${cluster !== null ? `  remove it: pixi run cancel ${cluster}\n` : ''}`;
}

/**
 * What a recorded job brings to watchJob: its logs, cluster, procs and title, and the record
 * itself (the sweep's closing table reads it); the rest is the caller's.
 */
export function recordWatch(
  root: string,
  record: JobRecord,
): Pick<WatchOptions, 'root' | 'logs' | 'cluster' | 'procs' | 'title' | 'record'> {
  const { cluster, procs } = record;
  return { root, logs: recordLogs(record), cluster, procs, title: jobTitle(record), record };
}

/** `job 4242 · mnist_gpu_docker-0f1e2d3c4b5a · 3 procs · submitted 14:02:11`: the live view's first line. */
export function jobTitle(
  record: Pick<JobRecord, 'cluster' | 'batchName' | 'procs' | 'submittedAt'>,
  now = Date.now(),
): string {
  const at = Date.parse(record.submittedAt);
  const sameDay = new Date(at).toDateString() === new Date(now).toDateString();
  const when = Number.isNaN(at)
    ? record.submittedAt
    : sameDay
      ? clock(at)
      : `${new Date(at).toDateString().slice(4, 10)} ${clock(at)}`;
  const procs = record.procs.length;
  return `job ${record.cluster} · ${record.batchName} · ${procs} proc${procs === 1 ? '' : 's'} · submitted ${when}`;
}

/** How many procs' JSON goes out in one write. */
const JSON_BATCH = 1000;

/**
 * `status --json`'s document, exactly as JSON.stringify(doc, null, 2) writes it, written a
 * batch of procs at a time: 100,000 procs never become one string (stdout to a file or a pipe
 * is written synchronously on Linux, so each batch is gone before the next is made).
 */
function writeJobsJson(
  write: (text: string) => void,
  doc: {
    cluster?: number;
    jobs: JobState[];
    vars: (job: JobState) => Record<string, string> | null;
    usage: unknown;
    unreadableEvents: number;
  },
): void {
  const indent = (text: string, by: string): string => text.replace(/\n/g, `\n${by}`);
  let text = `{\n${doc.cluster !== undefined ? `  "cluster": ${JSON.stringify(doc.cluster)},\n` : ''}  "jobs": [`;
  for (let i = 0; i < doc.jobs.length; i++) {
    const job = doc.jobs[i]!;
    const json = JSON.stringify({ ...jobJson(job), vars: doc.vars(job) }, null, 2);
    text += `${i === 0 ? '' : ','}\n    ${indent(json, '    ')}`;
    if ((i + 1) % JSON_BATCH === 0) {
      write(text);
      text = '';
    }
  }
  text += doc.jobs.length > 0 ? '\n  ],\n' : '],\n';
  // JSON.stringify leaves out a key whose value is undefined; usage is an object or null.
  text += `  "usage": ${indent(JSON.stringify(doc.usage ?? null, null, 2), '  ')},\n`;
  text += `  "unreadableEvents": ${JSON.stringify(doc.unreadableEvents)}\n}\n`;
  write(text);
}
