// One row per proc of a submission: its queue variables, how it ended, its wall time and every
// key of its metrics.json, found where the submit file sent that proc's outputs (the record's
// per-proc data from the planner: transfer_output_remaps, output_destination, initialdir).
// Procs submitted again by `resubmit` show their newest outcome, from the newest record.
import { basename, isAbsolute, join, resolve } from 'node:path';
import { recordLogs, type JobRecord, type ProcRecord } from './job-store.ts';
import { resubmissionsOf } from './record-heads.ts';
import type { JobState, JobTable } from './job-state.ts';
import { holdHint } from './hold-hints.ts';
import { readJobAhead } from './tracker.ts';
import { MetricsReads, UNUSABLE } from './metrics-reads.ts';

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

/**
 * Where the file a proc's sandbox names `name` (a transfer_output_files entry) lands on the
 * access point, as HTCondor places outputs: its transfer_output_remaps target if it has one,
 * relative to output_destination (a local path or file:// URL) or else the proc's initialdir;
 * null when output_destination is a URL of another scheme (not on this machine).
 */
export function outputPlace(proc: ProcRecord, name: string): string | null {
  const dir = outputDir(proc);
  return dir === null ? null : placeIn(dir, landedName(proc, name.replace(/\/+$/, '')), false);
}

/** What the sandbox's `clean` (no trailing `/`) is called where it lands: its remap target, else its base name. */
function landedName(proc: ProcRecord, clean: string): string {
  return proc.outputRemaps?.[clean] ?? basename(clean);
}

/** An absolute path already in path.join's normal form (no `//`, `.` or `..` part, no trailing `/`, not `/` itself). */
const NORMAL_DIR = /^(?:\/(?!\.\.?(?:\/|$))[^/]+)+$/;
/** One plain name (a `join` onto a normal folder is then `dir/name`). */
const PLAIN_NAME = /^(?!\.\.?$)[^/]+$/;

/** `target` (absolute, or relative to the output folder `dir`) as a path; `normalDir`: NORMAL_DIR.test(dir). */
function placeIn(dir: string, target: string, normalDir: boolean): string {
  if (isAbsolute(target)) return target;
  // The common case (a normal folder, a plain name) by concatenation; path.join is the same, slower.
  return normalDir && PLAIN_NAME.test(target) ? `${dir}/${target}` : join(dir, target);
}

function outputDir(proc: ProcRecord): string | null {
  const base = proc.outputDestination ?? null;
  if (!base) return proc.iwd;
  if (/^file:\/\//i.test(base)) return base.replace(/^file:\/\//i, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(base)) return null;
  return resolve(proc.iwd, base);
}

/** A metrics.json place relative to the proc's output folder (or absolute), maybe inside a folder brought back. */
interface MetricsPlace {
  target: string;
  inFolder: boolean;
}

/** Where a proc's metrics.json may be, whatever its folder: the same for every proc of a sweep. */
function metricsPlan(proc: ProcRecord): MetricsPlace[] {
  const place = (clean: string, inFolder: boolean): MetricsPlace => ({ target: landedName(proc, clean), inFolder });
  const plan: MetricsPlace[] = [];
  // A remap of metrics.json itself wins, whatever the list says.
  if (proc.outputRemaps?.[METRICS_FILE]) plan.push(place(METRICS_FILE, false));
  for (const name of proc.transferOutputFiles ?? [METRICS_FILE]) {
    const clean = name.replace(/\/+$/, '');
    // `outputs/` brings its contents back flat: its metrics.json lands as metrics.json does.
    if (clean !== name && clean !== '') plan.push(place(METRICS_FILE, false));
    else if (basename(clean) === METRICS_FILE) plan.push(place(clean, false));
    // A folder brought back whole (e.g. `outputs`): its metrics.json inside it, unless the
    // file itself is remapped by the name HTCondor sends it, `outputs/metrics.json`.
    else if (!/\.[A-Za-z0-9]+$/.test(clean)) {
      // (A folder travels by its base name: `sub/outputs` sends `outputs/metrics.json`.)
      const sent = `${basename(clean)}/${METRICS_FILE}`;
      if (proc.outputRemaps?.[sent]) plan.push(place(sent, false));
      plan.push(place(clean, true));
    }
  }
  // Nothing listed (every new file comes back): the sandbox's metrics.json.
  if (plan.length === 0 && proc.transferOutputFiles === null) plan.push(place(METRICS_FILE, false));
  return plan;
}

/** `proc`'s candidates by `plan`, appended to `paths` (each once); a problem when they are not on this machine. */
function placeCandidates(proc: ProcRecord, plan: MetricsPlace[], paths: string[]): string | null {
  const dir = outputDir(proc);
  if (dir === null) return `output_destination ${proc.outputDestination} is not on this machine`;
  const first = paths.length;
  const normalDir = NORMAL_DIR.test(dir);
  for (const { target, inFolder } of plan) {
    const file = placeIn(dir, target, normalDir);
    const path = inFolder ? join(file, METRICS_FILE) : file;
    if (paths.indexOf(path, first) < 0) paths.push(path);
  }
  return null;
}

/** Where a proc's metrics.json may be: as a file brought back itself, or inside a folder brought back. */
export function metricsCandidates(proc: ProcRecord): { paths: string[]; unreachable: string | null } {
  const paths: string[] = [];
  const unreachable = placeCandidates(proc, metricsPlan(proc), paths);
  return { paths, unreachable };
}

function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  let keys = 0;
  for (const key in a) {
    if (!Object.hasOwn(a, key)) continue;
    keys++;
    if (!Object.hasOwn(b, key) || a[key] !== b[key]) return false;
  }
  for (const key in b) if (Object.hasOwn(b, key)) keys--;
  return keys === 0;
}

/** Every proc's metricsCandidates in one list: proc i's are paths[starts[i]] up to paths[starts[i + 1]]. */
export interface AllCandidates {
  paths: string[];
  starts: Int32Array;
  unreachable: (string | null)[];
}

/**
 * metricsCandidates of many procs: the plan (which names, remapped where) is worked out again
 * only when a proc's outputs or remaps differ from the proc before it, so a sweep's is made once.
 */
export function candidatesOfAll(procs: readonly ProcRecord[]): AllCandidates {
  const paths: string[] = [];
  const starts = new Int32Array(procs.length + 1);
  const unreachable = new Array<string | null>(procs.length);
  let last: ProcRecord | null = null;
  let plan: MetricsPlace[] = [];
  for (let i = 0; i < procs.length; i++) {
    const proc = procs[i]!;
    if (
      !last ||
      !sameList(last.transferOutputFiles, proc.transferOutputFiles) ||
      !sameMap(last.outputRemaps, proc.outputRemaps)
    )
      plan = metricsPlan(proc);
    last = proc;
    starts[i] = paths.length;
    unreachable[i] = placeCandidates(proc, plan, paths);
  }
  starts[procs.length] = paths.length;
  return { paths, starts, unreachable };
}

type Metrics = Record<string, string | number | boolean | null>;

/** metrics.json's text as a row's metrics: its values, an object or list as its JSON; 'bad' when it is no JSON object. */
function parseMetrics(text: string): Metrics | 'bad' {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'bad';
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'bad';
  const object = value as Record<string, unknown>;
  // Mostly numbers: the parsed object is the row's as it is (no copy per proc).
  let flat = true;
  for (const key in object) {
    const v = object[key];
    if (key === '__proto__' || (v !== null && typeof v === 'object')) {
      flat = false;
      break;
    }
  }
  if (flat) return object as Metrics;
  const copy: Metrics = {};
  for (const [key, v] of Object.entries(object)) {
    copy[key] =
      v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : JSON.stringify(v);
  }
  return copy;
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

/** A proc's metrics.json, the first of its candidates that has one (and why none did). */
interface FoundMetrics {
  metrics: ResultRow['metrics'];
  problem: string | null;
}

function metricsFor(
  candidates: AllCandidates,
  index: number,
  reads: MetricsReads,
  displayPath: (path: string) => string,
): FoundMetrics {
  let metrics: ResultRow['metrics'] = null;
  let problem: string | null = null;
  const { paths } = candidates;
  // Every candidate's read is taken (the reads are in step with the paths); the first with metrics counts.
  for (let k = candidates.starts[index]!; k < candidates.starts[index + 1]!; k++) {
    const path = paths[k]!;
    const read = reads.next();
    if (metrics || read === null) continue;
    const parsed = read === UNUSABLE ? 'bad' : parseMetrics(read);
    if (parsed === 'bad') problem = `${displayPath(path)} is not a JSON object of values`;
    else metrics = parsed;
  }
  return { metrics, problem };
}

function rowFor(
  original: ProcRecord,
  ranAs: { record: JobRecord; proc: ProcRecord },
  job: JobState | undefined,
  candidates: AllCandidates,
  index: number,
  { metrics, problem }: FoundMetrics,
  displayPath: (path: string) => string,
): ResultRow {
  const outcome = outcomeOf(job);
  const { paths } = candidates;
  const first = candidates.starts[index]!;
  const end = candidates.starts[index + 1]!;
  const wall =
    job && job.startedAt !== null && job.endedAt !== null
      ? (job.runMs + (job.runStart !== null ? job.endedAt - job.runStart : 0)) / 1000
      : null;
  return {
    proc: original.proc,
    ranAs: `${ranAs.record.cluster}.${ranAs.proc.proc}`,
    // The values its newest run ran with (`resubmit --edited-values` may have corrected them).
    vars: ranAs.proc.vars ?? original.vars ?? {},
    outcome,
    exitCode: job?.exitCode ?? null,
    signal: job?.signal ?? null,
    wallSeconds: wall !== null && Number.isFinite(wall) ? Math.round(wall) : null,
    metrics,
    metricsPath: first < end ? paths[first]! : null,
    missing: metrics
      ? null
      : (candidates.unreachable[index] ??
        problem ??
        whyMissing(outcome, job, first < end ? displayPath(paths[first]!) : null)),
  };
}

/** The rows of `record`, each with its newest outcome (a resubmission's, when there is one). */
export async function collectResults(
  root: string,
  record: JobRecord,
  displayPath: (path: string) => string,
  options: {
    /** Keep each finished job's table beside its record (recorded-outcomes.ts): not on --dry-run. */
    keepOutcomes?: boolean;
    /** resubmissionsOf(root, record.cluster) (record-heads.ts), when the caller has them already. */
    resubmissions?: JobRecord[];
  } = {},
): Promise<{ rows: ResultRow[]; resubmissions: JobRecord[] }> {
  const keepOutcomes = options.keepOutcomes ?? false;
  const resubmissions = options.resubmissions ?? (await resubmissionsOf(root, record.cluster));
  const newest = new Map<number, { record: JobRecord; proc: ProcRecord }>();
  for (const proc of record.procs) newest.set(proc.proc, { record, proc });
  for (const again of resubmissions) {
    const origins = again.resubmitOf?.procs ?? [];
    for (const [i, proc] of again.procs.entries()) {
      const origin = origins[i];
      if (origin !== undefined && newest.has(origin)) newest.set(origin, { record: again, proc });
    }
  }
  // Each log read once into its table; each proc's files read once, in proc order, in batches
  // (metrics-reads.ts). (Synchronous: on this 2-core machine 16 reads at a time through
  // fs/promises cost 5-8x the CPU and wall time of reading 10,000 small files one after another.)
  // A big log of the job (128 MiB on) is read by a worker thread meanwhile, from its end (readJobAhead).
  const reading = [record, ...resubmissions].map((r, i) => ({
    cluster: r.cluster,
    read:
      recordLogs(r).length === 0
        ? null
        : readJobAhead(r, root, { usage: false, hostsAndMessages: false, ahead: i === 0, record: keepOutcomes }),
  }));
  const ranAs = record.procs.map((proc) => newest.get(proc.proc)!);
  const candidates = candidatesOfAll(ranAs.map((r) => r.proc));
  const reads = new MetricsReads(candidates.paths, METRICS_MAX_BYTES);
  const found: FoundMetrics[] = new Array(record.procs.length);
  for (let i = 0; i < found.length; i++) {
    const count = candidates.starts[i + 1]! - candidates.starts[i]!;
    if (reads.buffered < count) reads.fill(count);
    found[i] = metricsFor(candidates, i, reads, displayPath);
  }
  const tables = new Map<number, JobTable | null>();
  for (const { cluster, read } of reading) tables.set(cluster, read ? (await read.finish()).table : null);
  const rows: ResultRow[] = new Array(record.procs.length);
  for (const [i, proc] of record.procs.entries()) {
    const ran = ranAs[i]!;
    const job = tables.get(ran.record.cluster)?.get(ran.record.cluster, ran.proc.proc);
    rows[i] = rowFor(proc, ran, job, candidates, i, found[i]!, displayPath);
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
  // Sets in first-seen order; a sweep's rows share few key lists, so each row's keys are a few lookups.
  const varSet = new Set<string>();
  const metricSet = new Set<string>();
  for (const row of rows) {
    for (const key in row.vars) if (Object.hasOwn(row.vars, key)) varSet.add(key);
    const metrics = row.metrics;
    if (metrics) for (const key in metrics) if (Object.hasOwn(metrics, key)) metricSet.add(key);
  }
  const vars = [...varSet];
  // A metrics.json that echoes a queue variable (`"lr": 0.01`) adds no column: the variable is
  // there already. Kept only where some row's value differs from what was asked.
  const echoes = (key: string): boolean =>
    varSet.has(key) &&
    rows.every((row) => {
      const metric = row.metrics?.[key];
      const asked = row.vars[key];
      return (
        metric === undefined || (asked !== undefined && (String(metric) === asked || Number(metric) === Number(asked)))
      );
    });
  return { vars, metrics: [...metricSet].filter((key) => !echoes(key)) };
}

const CSV_QUOTE = /[",\r\n]|^\s|\s$/;

function csvField(value: unknown): string {
  if (typeof value === 'number') return String(value); // digits, '.', '-', 'e': nothing to quote
  const text = value === null || value === undefined ? '' : String(value);
  return text !== '' && CSV_QUOTE.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Lines of results.csv per chunk. */
const CSV_CHUNK_ROWS = 1000;

/** A row's line of results.csv, its fields appended one by one (no array of fields per row). */
function csvLine(row: ResultRow, vars: readonly string[], metrics: readonly string[]): string {
  // proc, ran_as (`C.P`), outcome (one word), exit and wall: nothing to quote.
  let line = `${row.proc},${row.ranAs}`;
  for (const v of vars) line += `,${csvField(row.vars[v] ?? '')}`;
  line += `,${row.outcome},${row.signal !== null ? `signal ${row.signal}` : (row.exitCode ?? '')},${row.wallSeconds ?? ''}`;
  const values = row.metrics;
  for (const m of metrics) line += `,${csvField(values?.[m] ?? '')}`;
  return `${line},${csvField(row.missing ?? '')}\r\n`;
}

/**
 * results.csv (RFC 4180: one header line, one line per proc) a thousand rows at a time, for
 * writeChunksAtomic: the file is never one string.
 */
export function* resultsCsvChunks(rows: ResultRow[], columns = columnsOf(rows)): Generator<string> {
  const { vars, metrics } = columns;
  const header = ['proc', 'ran_as', ...vars, 'outcome', 'exit_code', 'wall_s', ...metrics, 'note'];
  let chunk = `${header.map(csvField).join(',')}\r\n`;
  for (let i = 0; i < rows.length; i++) {
    chunk += csvLine(rows[i]!, vars, metrics);
    if ((i + 1) % CSV_CHUNK_ROWS === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
