// One row per proc of a submission: its queue variables, how it ended, its wall time and every
// key of its metrics.json, found where the submit file sent that proc's outputs (the record's
// per-proc data from the planner: transfer_output_remaps, output_destination, initialdir).
// Procs submitted again by `resubmit` show their newest outcome, from the newest record.
import { readdirSync } from 'node:fs';
import { BoundedReadError, readBoundedText } from '../bounded-read.ts';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { JOBS_DIR, readJobRecord, recordLogs, type JobRecord, type ProcRecord } from './job-store.ts';
import type { JobState, JobTable } from './job-state.ts';
import { holdHint } from './hold-hints.ts';
import { readJobOnce } from './tracker.ts';

export const METRICS_FILE = 'metrics.json';
/** A metrics.json larger than this is not a flat table of numbers: it is not read. */
const METRICS_MAX_BYTES = 1 << 20;

export type Outcome = 'completed' | 'failed' | 'held' | 'removed' | 'running' | 'idle' | 'suspended' | 'unknown';

export interface ResultRow {
  /** The proc number in the first submission. */
  proc: number;
  /** Where its newest outcome ran: `C.P` (another cluster after a resubmit). */
  ranAs: string;
  vars: Record<string, string>;
  outcome: Outcome;
  exitCode: number | null;
  signal: number | null;
  wallSeconds: number | null;
  metrics: Record<string, string | number | boolean | null> | null;
  /** Where metrics.json was looked for (the first candidate). */
  metricsPath: string | null;
  /** Why there are no metrics (null when there are). */
  missing: string | null;
}

/** Every record in this workspace that resubmitted procs of `cluster` (oldest first). */
export async function resubmissionsOf(root: string, cluster: number): Promise<JobRecord[]> {
  let names: string[];
  try {
    names = readdirSync(join(root, JOBS_DIR));
  } catch {
    return [];
  }
  const found: JobRecord[] = [];
  for (const name of names) {
    const m = /^(\d+)\.json$/.exec(name);
    if (!m || Number(m[1]) === cluster) continue;
    try {
      const record = await readJobRecord(root, Number(m[1]));
      if (record.resubmitOf?.cluster === cluster) found.push(record);
    } catch {
      // an unreadable record does not hide the others
    }
  }
  return found.sort((a, b) => a.submittedAt.localeCompare(b.submittedAt) || a.cluster - b.cluster);
}

/**
 * Where the file a proc's sandbox names `name` (a transfer_output_files entry) lands on the
 * access point, as HTCondor places outputs: its transfer_output_remaps target if it has one,
 * relative to output_destination (a local path or file:// URL) or else the proc's initialdir;
 * null when output_destination is a URL of another scheme (not on this machine).
 */
export function outputPlace(proc: ProcRecord, name: string): string | null {
  const dir = outputDir(proc);
  if (dir === null) return null;
  const clean = name.replace(/\/+$/, '');
  const target = proc.outputRemaps?.[clean] ?? basename(clean);
  return isAbsolute(target) ? target : join(dir, target);
}

function outputDir(proc: ProcRecord): string | null {
  const base = proc.outputDestination ?? null;
  if (!base) return proc.iwd;
  if (/^file:\/\//i.test(base)) return base.replace(/^file:\/\//i, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(base)) return null;
  return resolve(proc.iwd, base);
}

/** Where a proc's metrics.json may be: as a file brought back itself, or inside a folder brought back. */
export function metricsCandidates(proc: ProcRecord): { paths: string[]; unreachable: string | null } {
  if (outputDir(proc) === null)
    return { paths: [], unreachable: `output_destination ${proc.outputDestination} is not on this machine` };
  const names = proc.transferOutputFiles ?? [METRICS_FILE];
  const paths: string[] = [];
  const add = (path: string | null): void => {
    if (path && !paths.includes(path)) paths.push(path);
  };
  // A remap of metrics.json itself wins, whatever the list says.
  if (proc.outputRemaps?.[METRICS_FILE]) add(outputPlace(proc, METRICS_FILE));
  for (const name of names) {
    const clean = name.replace(/\/+$/, '');
    if (basename(clean) === METRICS_FILE) add(outputPlace(proc, clean));
    else if (!/\.[A-Za-z0-9]+$/.test(clean)) {
      // A folder brought back whole (e.g. `outputs`): its metrics.json inside it.
      const place = outputPlace(proc, clean);
      if (place) add(join(place, METRICS_FILE));
    }
  }
  // Nothing listed (every new file comes back): the sandbox's metrics.json.
  if (paths.length === 0 && proc.transferOutputFiles === null) add(outputPlace(proc, METRICS_FILE));
  return { paths, unreachable: null };
}

function readMetrics(path: string): Record<string, string | number | boolean | null> | 'bad' | null {
  try {
    const value: unknown = JSON.parse(readBoundedText(path, METRICS_MAX_BYTES));
    if (!value || typeof value !== 'object' || Array.isArray(value)) return 'bad';
    const flat: Record<string, string | number | boolean | null> = {};
    for (const [key, v] of Object.entries(value)) {
      flat[key] =
        v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : JSON.stringify(v);
    }
    return flat;
  } catch (error) {
    return error instanceof BoundedReadError && error.problem === 'missing' ? null : 'bad';
  }
}

function outcomeOf(job: JobState | undefined): Outcome {
  if (!job) return 'unknown';
  if (job.state === 'completed') return job.exitCode === 0 && job.signal === null ? 'completed' : 'failed';
  return job.state;
}

function whyMissing(outcome: Outcome, job: JobState | undefined, where: string | null): string {
  switch (outcome) {
    case 'held':
      return `held (${holdHint(job?.holdCode ?? null, job?.holdSubcode ?? null, job?.holdReason ?? null).cause})`;
    case 'failed':
      return job?.signal != null ? `failed (killed by signal ${job.signal})` : `failed (exit ${job?.exitCode ?? '?'})`;
    case 'removed':
      return 'removed';
    case 'running':
    case 'suspended':
      return 'still running';
    case 'idle':
      return 'not started yet';
    case 'unknown':
      return 'no event in its log yet';
    default:
      return where
        ? `completed, but no ${METRICS_FILE} at ${where}`
        : `completed, but its ${METRICS_FILE} is not brought back`;
  }
}

/** The job's state table, from its logs, read once (null: it has no log). */
async function stateTable(record: JobRecord, root: string): Promise<JobTable | null> {
  if (recordLogs(record).length === 0) return null;
  return (await readJobOnce(record, root, { usage: false })).table;
}

function rowFor(
  original: ProcRecord,
  ranAs: { record: JobRecord; proc: ProcRecord },
  job: JobState | undefined,
  displayPath: (path: string) => string,
): ResultRow {
  const outcome = outcomeOf(job);
  const { paths, unreachable } = metricsCandidates(ranAs.proc);
  let metrics: ResultRow['metrics'] = null;
  let problem: string | null = null;
  for (const path of paths) {
    const read = readMetrics(path);
    if (read === 'bad') problem = `${displayPath(path)} is not a JSON object of values`;
    else if (read) {
      metrics = read;
      break;
    }
  }
  const wall =
    job && job.startedAt !== null && job.endedAt !== null
      ? (job.runMs + (job.runStart !== null ? job.endedAt - job.runStart : 0)) / 1000
      : null;
  return {
    proc: original.proc,
    ranAs: `${ranAs.record.cluster}.${ranAs.proc.proc}`,
    vars: original.vars ?? ranAs.proc.vars ?? {},
    outcome,
    exitCode: job?.exitCode ?? null,
    signal: job?.signal ?? null,
    wallSeconds: wall !== null && Number.isFinite(wall) ? Math.round(wall) : null,
    metrics,
    metricsPath: paths[0] ?? null,
    missing: metrics
      ? null
      : (unreachable ?? problem ?? whyMissing(outcome, job, paths[0] ? displayPath(paths[0]) : null)),
  };
}

/** The rows of `record`, each with its newest outcome (a resubmission's, when there is one). */
export async function collectResults(
  root: string,
  record: JobRecord,
  displayPath: (path: string) => string,
): Promise<{ rows: ResultRow[]; resubmissions: JobRecord[] }> {
  const resubmissions = await resubmissionsOf(root, record.cluster);
  const newest = new Map<number, { record: JobRecord; proc: ProcRecord }>();
  for (const proc of record.procs) newest.set(proc.proc, { record, proc });
  for (const again of resubmissions) {
    const origins = again.resubmitOf?.procs ?? [];
    for (const [i, proc] of again.procs.entries()) {
      const origin = origins[i];
      if (origin !== undefined && newest.has(origin)) newest.set(origin, { record: again, proc });
    }
  }
  // Each log read once into its table; each proc's files read once, in proc order. (Reads are
  // synchronous: on this 2-core machine 16 reads at a time through fs/promises cost 5-8x the
  // CPU and wall time of reading 10,000 small files one after another.)
  const tables = new Map<number, JobTable | null>();
  for (const r of [record, ...resubmissions]) tables.set(r.cluster, await stateTable(r, root));
  const rows: ResultRow[] = new Array(record.procs.length);
  for (const [i, proc] of record.procs.entries()) {
    const ranAs = newest.get(proc.proc)!;
    const job = tables.get(ranAs.record.cluster)?.get(ranAs.record.cluster, ranAs.proc.proc);
    rows[i] = rowFor(proc, ranAs, job, displayPath);
  }
  return { rows, resubmissions };
}

/** `accuracy` → the row with the largest; `-loss` → the smallest. Null when no row has it as a number. */
export function bestRow(rows: ResultRow[], spec: string): ResultRow | null {
  const lowest = spec.startsWith('-');
  const key = spec.replace(/^[-+]/, '');
  let best: ResultRow | null = null;
  for (const row of rows) {
    const value = row.metrics?.[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const current = best?.metrics?.[key] as number | undefined;
    if (current === undefined || (lowest ? value < current : value > current)) best = row;
  }
  return best;
}

/** The table's columns: proc, ran as, the queue variables, outcome, exit, wall, then every metric key seen. */
export function columnsOf(rows: ResultRow[]): { vars: string[]; metrics: string[] } {
  const vars: string[] = [];
  const metrics: string[] = [];
  for (const row of rows) {
    for (const key of Object.keys(row.vars)) if (!vars.includes(key)) vars.push(key);
    for (const key of Object.keys(row.metrics ?? {})) if (!metrics.includes(key)) metrics.push(key);
  }
  // A metrics.json that echoes a queue variable (`"lr": 0.01`) adds no column: the variable is
  // there already. Kept only where some row's value differs from what was asked.
  const echoes = (key: string): boolean =>
    vars.includes(key) &&
    rows.every((row) => {
      const metric = row.metrics?.[key];
      const asked = row.vars[key];
      return (
        metric === undefined || (asked !== undefined && (String(metric) === asked || Number(metric) === Number(asked)))
      );
    });
  return { vars, metrics: metrics.filter((key) => !echoes(key)) };
}

function csvField(value: unknown): string {
  if (typeof value === 'number') return String(value); // digits, '.', '-', 'e': nothing to quote
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Lines of results.csv per chunk. */
const CSV_CHUNK_ROWS = 1000;

/**
 * results.csv (RFC 4180: one header line, one line per proc) a thousand rows at a time, for
 * writeChunksAtomic: the file is never one string.
 */
export function* resultsCsvChunks(rows: ResultRow[]): Generator<string> {
  const { vars, metrics } = columnsOf(rows);
  const header = ['proc', 'ran_as', ...vars, 'outcome', 'exit_code', 'wall_s', ...metrics, 'note'];
  let chunk = `${header.map(csvField).join(',')}\r\n`;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    chunk += `${[
      row.proc,
      row.ranAs,
      ...vars.map((v) => row.vars[v] ?? ''),
      row.outcome,
      row.signal !== null ? `signal ${row.signal}` : row.exitCode,
      row.wallSeconds,
      ...metrics.map((m) => row.metrics?.[m] ?? ''),
      row.missing ?? '',
    ]
      .map(csvField)
      .join(',')}\r\n`;
    if ((i + 1) % CSV_CHUNK_ROWS === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
