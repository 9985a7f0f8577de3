// `pixi run results --plot` and `--html`: the runs' curves in the terminal, and the report page.
// Loaded only on those paths (scripts/results.ts passes `import()` of this module to
// runResults): no other task's bundle, and no plain `results`, evaluates it.
import { jobSecretMask } from '../job-text.ts';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';
import { UsageError } from '../errors.ts';
import { fit } from '../jobs/format.ts';
import { holdHint, holdText } from '../jobs/hold-hints.ts';
import type { JobState } from '../jobs/job-state.ts';
import type { JobRecord } from '../jobs/job-store.ts';
import { bestRow, type ResultRow } from '../jobs/results.ts';
import { readJobOnce } from '../jobs/tracker.ts';
import { procUsage } from '../jobs/usage.ts';
import { collectCurves, type Curves, pickBest } from './curves.ts';
import { type ReportData, type ReportProblem, reportHtml, reportRuns, TABLE_ROW_LIMIT } from './report-html.ts';
import { plotField } from './terminal-plot.ts';

export interface ViewInput {
  root: string;
  /** The submission the rows belong to, and its resubmissions (where a row's newest run is). */
  record: JobRecord;
  resubmissions: JobRecord[];
  rows: ResultRow[];
  /** The row `results` names best (`--best`), if any, and the spec it was named by. */
  best: ResultRow | null;
  bestSpec?: string | null;
  show: (path: string) => string;
}

/** The best run when `results` names none: the highest metrics.json accuracy, as the sweep's closing table. */
const DEFAULT_BEST = 'accuracy';
function namedBest(input: ViewInput): { row: ResultRow; why: string } | null {
  if (input.best) {
    const spec = input.bestSpec ?? 'METRIC';
    return { row: input.best, why: `--best ${spec}${tiedWith(input.rows, input.best, spec)}` };
  }
  const row = bestRow(input.rows, DEFAULT_BEST);
  return row ? { row, why: `highest ${DEFAULT_BEST}${tiedWith(input.rows, row, DEFAULT_BEST)}` } : null;
}

/** Ties named at most; the rest counted. */
const TIE_LIMIT = 5;

/**
 * `, tied with procs 3, 4`: the other rows with the same best value (bestRow keeps the first),
 * so a reader does not take the first of equals for a winner; '' when none ties.
 */
export function tiedWith(rows: readonly ResultRow[], best: ResultRow, spec: string): string {
  const key = spec.replace(/^[-+]/, '');
  const value = best.metrics?.[key];
  if (typeof value !== 'number') return '';
  const ties = rows.filter((r) => r !== best && r.metrics?.[key] === value).map((r) => r.proc);
  if (ties.length === 0) return '';
  const named = ties.slice(0, TIE_LIMIT).join(', ');
  const more = ties.length > TIE_LIMIT ? ` and ${ties.length - TIE_LIMIT} more` : '';
  return `, tied with proc${ties.length === 1 ? '' : 's'} ${named}${more}`;
}

/** Per-run notes shown at most, the rest counted. */
const NOTE_LIMIT = 20;

/** The fields to draw: the one asked for (a usage error when no run has it), else loss and accuracy. */
function fieldsToDraw(curves: Curves, metric: string | null): string[] {
  if (metric === null) {
    const main = curves.fields.filter((f) => f === 'loss' || f === 'accuracy');
    return main.length > 0 ? main : curves.fields.slice(0, 1);
  }
  if (!curves.fields.includes(metric))
    throw new UsageError(
      `no run has '${metric}' in its ${'PIXI_CONDOR_PROGRESS'} lines`,
      curves.fields.length > 0 ? `the fields are: ${curves.fields.join(', ')}` : 'no run has printed a progress line',
    );
  return [metric];
}

/** `proc 2 (4242.2): no PIXI_CONDOR_PROGRESS lines …`, at most NOTE_LIMIT, then a count. */
function curveNotes(curves: Curves): string[] {
  const noted = curves.runs.filter((r) => r.note !== null);
  const lines = noted.slice(0, NOTE_LIMIT).map((r) => `${r.label} (${r.ranAs}): ${r.note}`);
  if (noted.length > NOTE_LIMIT) lines.push(`… and ${noted.length - NOTE_LIMIT} more runs with a note`);
  return lines;
}

/** The terminal charts (loss and accuracy, or `metric`), and the notes on runs with fewer points. */
export function plotLines(
  input: ViewInput,
  options: { metric: string | null; width: number; fancy: boolean },
): string[] {
  const curves = collectCurves(
    input.rows,
    [input.record, ...input.resubmissions],
    input.show,
    jobSecretMask(input.root),
  );
  const fields = fieldsToDraw(curves, options.metric);
  const best = pickBest(curves, namedBest(input));
  const lines: string[] = [];
  if (fields.length === 0)
    lines.push(`job ${input.record.cluster}: no run printed a progress line yet: no curves to draw`);
  for (const field of fields) {
    if (lines.length > 0) lines.push('');
    lines.push(...plotField(curves, { field, width: options.width, height: 12, fancy: options.fancy, best }));
  }
  const notes = curveNotes(curves).map((note) => fit(note, options.width));
  if (notes.length > 0) lines.push('', ...notes);
  return lines;
}

/** Each run's JobState, by `C.P`, from the logs of the submission and its resubmissions. */
async function statesByRun(root: string, records: JobRecord[]): Promise<Map<string, JobState>> {
  const states = new Map<string, JobState>();
  for (const record of records) {
    if (!record.procs.some((p) => p.log)) continue;
    const { table } = await readJobOnce(record, root);
    for (const job of table.list()) states.set(job.id, job);
  }
  return states;
}

function problemOf(row: ResultRow, label: string, job: JobState | undefined): ReportProblem | null {
  if (row.outcome === 'held' && job) {
    const hint = holdHint(job.holdCode, job.holdSubcode, job.holdReason, job.id);
    const reason = holdText(job.holdReason, job.holdCode, job.holdSubcode);
    return { ranAs: row.ranAs, label, kind: `held (${hint.cause})`, reason, hint: hint.hint };
  }
  if (row.outcome === 'failed') {
    const how = row.signal !== null ? `killed by signal ${row.signal}` : `exit code ${row.exitCode ?? '?'}`;
    const reason = job?.lastMessage ? `${how}: ${job.lastMessage}` : how;
    return { ranAs: row.ranAs, label, kind: 'failed', reason, hint: null };
  }
  if (row.outcome === 'removed')
    return { ranAs: row.ranAs, label, kind: 'removed', reason: job?.lastMessage ?? 'removed', hint: null };
  if (row.missing && row.outcome === 'completed')
    return { ranAs: row.ranAs, label, kind: 'no metrics', reason: row.missing, hint: null };
  return null;
}

/** The table: the row's values, outcome, usage (wall, GPU-hours, memory against the request), metrics. */
function reportTable(rows: ResultRow[], states: Map<string, JobState>, requests: Map<string, number | null>) {
  const vars: string[] = [];
  const metrics: string[] = [];
  for (const row of rows) {
    for (const k of Object.keys(row.vars)) if (!vars.includes(k)) vars.push(k);
    for (const k of Object.keys(row.metrics ?? {})) if (!metrics.includes(k)) metrics.push(k);
  }
  const numericMetric = (m: string) => rows.some((r) => typeof r.metrics?.[m] === 'number');
  const columns = [
    { label: 'proc', numeric: true },
    { label: 'ran as', numeric: false },
    ...vars.map((v) => ({
      label: v,
      numeric: rows.every((r) => r.vars[v] === undefined || !Number.isNaN(Number(r.vars[v]))),
    })),
    { label: 'outcome', numeric: false },
    { label: 'exit', numeric: false },
    { label: 'wall s', numeric: true },
    { label: 'GPU-hours', numeric: true },
    { label: 'memory MB', numeric: true },
    { label: 'requested MB', numeric: true },
    ...metrics.map((m) => ({ label: m, numeric: numericMetric(m) })),
    { label: 'note', numeric: false },
  ];
  const tableRows = rows.map((row, run) => {
    const job = states.get(row.ranAs);
    const usage = job ? procUsage(job) : null;
    const gpuHours = usage?.wallMs != null && usage.gpus != null ? (usage.wallMs / 3_600_000) * usage.gpus : null;
    const cells: (string | number | null)[] = [
      row.proc,
      row.ranAs,
      // As the sweep wrote them (`1.0`, not 1); a numeric column still sorts by value.
      ...vars.map((v) => row.vars[v] ?? null),
      row.outcome,
      row.signal !== null ? `signal ${row.signal}` : row.exitCode === null ? '' : String(row.exitCode),
      row.wallSeconds,
      gpuHours,
      usage?.memoryMb ?? null,
      usage?.memoryRequestMb ?? requests.get(row.ranAs) ?? null,
      ...metrics.map((m) => {
        const value = row.metrics?.[m];
        return value === undefined || value === null ? null : typeof value === 'boolean' ? String(value) : value;
      }),
      row.missing ?? '',
    ];
    return { run, cells };
  });
  return { columns, rows: tableRows, limit: TABLE_ROW_LIMIT };
}

/** Writes results/<cluster>/report.html (atomically; again on every run) and says where. */
export async function writeReport(input: ViewInput, options: { dryRun: boolean; metric: string | null }) {
  const records = [input.record, ...input.resubmissions];
  const curves = collectCurves(input.rows, records, input.show, jobSecretMask(input.root));
  const fields = options.metric === null ? curves.fields : fieldsToDraw(curves, options.metric);
  const best = pickBest(curves, namedBest(input));
  const states = await statesByRun(input.root, records);
  const requests = new Map<string, number | null>();
  for (const r of records) for (const p of r.procs) requests.set(`${r.cluster}.${p.proc}`, p.requestMemoryMb ?? null);
  const problems = input.rows
    .map((row, i) => problemOf(row, curves.runs[i]!.label, states.get(row.ranAs)))
    .filter((p): p is ReportProblem => p !== null);
  const count = input.rows.length;
  const bestRun = best ? curves.runs[best.index] : undefined;
  const data: ReportData = {
    title: `job ${input.record.cluster}: ${count} run${count === 1 ? '' : 's'}`,
    subtitle: [
      `${input.record.submitFile}, submitted ${input.record.submittedAt}`,
      input.resubmissions.length > 0 ? `resubmitted as ${input.resubmissions.map((r) => r.cluster).join(', ')}` : '',
      bestRun && best ? `best: ${bestRun.label} (${bestRun.ranAs}, ${best.why})` : '',
      `written ${new Date().toISOString()}`,
    ]
      .filter(Boolean)
      .join(' · '),
    notes: curveNotes(curves),
    fields,
    best,
    runs: reportRuns(curves),
    table: reportTable(input.rows, states, requests),
    problems,
  };
  const path = join(input.root, 'results', String(input.record.cluster), 'report.html');
  if (!options.dryRun) await writeFileAtomic(path, reportHtml(data));
  return { path, runs: count, drawn: curves.runs.filter((r) => r.epochs.length > 0).length };
}
