// Every epoch of every run of a submission, from each proc's own output: the
// `PIXI_CONDOR_PROGRESS {json}` lines job/main.py prints once per epoch (docs/job.md). A restarted
// run may print an epoch twice (an eviction loses the epochs after its last checkpoint): the
// last line for an epoch wins. Bad lines, non-finite values and runs with no lines at all become
// notes, never an error: a sweep's diverged runs are what the curves are there to show.
import { statSync } from 'node:fs';
import type { JobRecord, ProcRecord } from '../jobs/job-store.ts';
import { PROGRESS_MARKER, readTail } from '../jobs/progress.ts';
import type { ResultRow } from '../jobs/results.ts';
import type { SecretMask } from '../secret-mask.ts';

/** At most this much of an output file is read (its end: the newest epochs). */
export const OUTPUT_MAX_BYTES = 16 * 1024 * 1024;
/** Fields of a progress line that are not curves. */
const NOT_CURVES: ReadonlySet<string> = new Set(['epoch', 'epochs']);

export interface RunCurve {
  proc: number;
  ranAs: string;
  /** `lr=0.01 seed=2`, or `proc 3` for a run without queue variables. */
  label: string;
  vars: Record<string, string>;
  outcome: string;
  /** Epoch numbers, ascending, one per point. */
  epochs: number[];
  /** Per field, one value per epoch; null where the line had none or not a finite number. */
  series: Record<string, (number | null)[]>;
  /** Why this run has fewer points than it should (no output, no progress lines, bad lines, …). */
  note: string | null;
}

export interface Curves {
  runs: RunCurve[];
  /** Every numeric field seen, `loss` and `accuracy` first. */
  fields: string[];
}

/** `lr=0.01 seed=2`, or `proc 3`. */
function runLabel(row: Pick<ResultRow, 'proc' | 'vars'>): string {
  const vars = Object.entries(row.vars);
  return vars.length > 0 ? vars.map(([k, v]) => `${k}=${v}`).join(' ') : `proc ${row.proc}`;
}

/** NaN and ±Infinity as Python's json.dumps writes them (not JSON): read as null. */
function parseLenient(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return JSON.parse(json.replace(/(?<=[:,[]\s*)-?(?:NaN|Infinity)(?=\s*[,}\]])/g, 'null'));
  }
}

/** Each epoch's progress object in `text` (last line per epoch wins), and how many lines were not JSON objects. */
export function progressLines(text: string): { points: Map<number, Record<string, unknown>>; bad: number } {
  const points = new Map<number, Record<string, unknown>>();
  let bad = 0;
  let sequence = 0;
  for (let at = text.indexOf(PROGRESS_MARKER); at >= 0; at = text.indexOf(PROGRESS_MARKER, at + 1)) {
    const end = text.indexOf('\n', at);
    const json = text.slice(at + PROGRESS_MARKER.length, end < 0 ? undefined : end).trim();
    let value: unknown;
    try {
      value = parseLenient(json);
    } catch {
      value = null;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      // A line still being written (the file's end) is not a bad line.
      if (end >= 0) bad++;
      continue;
    }
    const record = value as Record<string, unknown>;
    sequence++;
    const epoch = typeof record.epoch === 'number' && Number.isFinite(record.epoch) ? record.epoch : sequence;
    points.set(epoch, record);
  }
  return { points, bad };
}

/** The run's points as aligned series: numbers, or null where a value is missing or not finite. */
export function seriesOf(points: Map<number, Record<string, unknown>>): {
  epochs: number[];
  series: Record<string, (number | null)[]>;
  nonFinite: Map<string, number>;
} {
  const epochs = [...points.keys()].sort((a, b) => a - b);
  const series: Record<string, (number | null)[]> = {};
  const nonFinite = new Map<string, number>();
  for (const [i, epoch] of epochs.entries()) {
    for (const [key, value] of Object.entries(points.get(epoch)!)) {
      if (NOT_CURVES.has(key) || (typeof value !== 'number' && value !== null)) continue;
      if (!Object.hasOwn(series, key)) series[key] = new Array<number | null>(epochs.length).fill(null);
      const finite = typeof value === 'number' && Number.isFinite(value);
      series[key]![i] = finite ? value : null;
      if (!finite) nonFinite.set(key, nonFinite.get(key) ?? epoch);
    }
  }
  return { epochs, series, nonFinite };
}

/** One run's curve from its output file (null path: the submit file sets no `output`). */
function readRunCurve(
  row: ResultRow,
  output: string | null,
  show: (path: string) => string,
  keyText: (key: string) => string,
): RunCurve {
  const base = { proc: row.proc, ranAs: row.ranAs, label: runLabel(row), vars: row.vars, outcome: row.outcome };
  if (output === null)
    return { ...base, epochs: [], series: {}, note: 'the submit file sets no output, so no progress lines' };
  const text = readTail(output, OUTPUT_MAX_BYTES);
  if (text === null) {
    const why = row.outcome === 'idle' ? 'not started yet' : `no output at ${show(output)}`;
    return { ...base, epochs: [], series: {}, note: why };
  }
  const { points, bad } = progressLines(text);
  const read = seriesOf(points);
  const { epochs } = read;
  // The field names are the job's words: shown (in the chart, the report) through keyText.
  const series = Object.fromEntries(Object.entries(read.series).map(([key, values]) => [keyText(key), values]));
  const nonFinite = new Map([...read.nonFinite].map(([key, epoch]) => [keyText(key), epoch]));
  const notes: string[] = [];
  if (epochs.length === 0) notes.push(`no ${PROGRESS_MARKER.trim()} lines in ${show(output)} (${row.outcome})`);
  for (const [key, epoch] of nonFinite) notes.push(`${key} not a finite number from epoch ${epoch} (diverged?)`);
  if (bad > 0) notes.push(`${bad} progress line${bad === 1 ? ' is' : 's are'} not a JSON object`);
  if (sizeOf(output) > OUTPUT_MAX_BYTES)
    notes.push(`only the last ${OUTPUT_MAX_BYTES / 1024 / 1024} MiB of the output read`);
  return { ...base, epochs, series, note: notes.length > 0 ? notes.join('; ') : null };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Where each row's newest run wrote its stdout: the record (first or a resubmission) and proc it ran as. */
function outputOf(row: ResultRow, records: readonly JobRecord[]): ProcRecord | null {
  const [cluster, proc] = row.ranAs.split('.').map(Number);
  return records.find((r) => r.cluster === cluster)?.procs.find((p) => p.proc === proc) ?? null;
}

/** Every row's curve, and the fields to draw (loss and accuracy first). */
export function collectCurves(
  rows: readonly ResultRow[],
  records: readonly JobRecord[],
  show: (path: string) => string,
  /** The workspace's secrets (job-text.ts jobSecretMask): masked in the field names. */
  mask: SecretMask | null = null,
): Curves {
  const keyText = mask && mask.secrets.length > 0 ? (key: string) => mask.mask(key) : (key: string) => key;
  const runs = rows.map((row) => readRunCurve(row, outputOf(row, records)?.output ?? null, show, keyText));
  const seen = new Set<string>();
  for (const run of runs) for (const key of Object.keys(run.series)) seen.add(key);
  const first = ['loss', 'accuracy'].filter((k) => seen.has(k));
  return { runs, fields: [...first, ...[...seen].filter((k) => !first.includes(k)).sort()] };
}

/** Larger is better for this field? (`loss`, `error`, … are smaller-is-better.) */
export function higherIsBetter(field: string): boolean {
  return !/loss|err|perplex|mse|mae|rmse|time|_s$/i.test(field);
}

/** The last finite value of a run's field, or null. */
export function lastValue(run: RunCurve, field: string): { epoch: number; value: number } | null {
  const values = run.series[field];
  if (!values) return null;
  for (let i = values.length - 1; i >= 0; i--) {
    const value = values[i];
    if (value !== null && value !== undefined) return { epoch: run.epochs[i]!, value };
  }
  return null;
}

/**
 * The run to mark best: the row `results` named (`--best`, else the highest metrics.json
 * accuracy, as the sweep's closing table does), else the best last value of the first curve.
 */
export function pickBest(
  curves: Curves,
  named: { row: ResultRow; why: string } | null,
): { index: number; why: string } | null {
  if (named) {
    const index = curves.runs.findIndex((r) => r.proc === named.row.proc);
    if (index >= 0) return { index, why: named.why };
  }
  const field = curves.fields[0];
  if (!field) return null;
  const up = higherIsBetter(field);
  let index = -1;
  let bestValue = 0;
  for (const [i, run] of curves.runs.entries()) {
    const last = lastValue(run, field);
    if (last && (index < 0 || (up ? last.value > bestValue : last.value < bestValue))) {
      index = i;
      bestValue = last.value;
    }
  }
  return index >= 0 ? { index, why: `${up ? 'highest' : 'lowest'} last ${field}` } : null;
}
