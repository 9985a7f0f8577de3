// `pixi run results [CLUSTER]`: the results table of a submission (the latest by default): one
// row per proc with its queue variables, outcome, exit code, wall time and metrics.json; printed,
// written to results/<cluster>/results.csv (atomically), or as JSON; the best run by a metric;
// the procs without metrics and why.
import { join } from 'node:path';
import { jobSecretMask, visibleControls } from '../job-text.ts';
import { writeChunksAtomicIfChanged } from '../atomic-file.ts';
import { booleanOption, stringOption, type CommandSpec, type ParsedCommand } from '../cli.ts';
import { UsageError, UserError } from '../errors.ts';
import { palette, colourEnabled, type Palette } from '../term.ts';
import { displayPath, findWorkspaceRoot } from '../workspace.ts';
import { fit } from './format.ts';
import { lostRunnerNote, parseClusterArg, readJobRecord, type JobRecord } from './job-store.ts';
import { latestJob, recordAmong, resubmissionsOf, sayOnce } from './record-heads.ts';
import { bestRow, collectResults, columnsOf, resultsCsvChunks, type ResultRow } from './results.ts';

type Columns = ReturnType<typeof columnsOf>;

export const RESULTS_SPEC: CommandSpec = {
  usage: 'pixi run results [CLUSTER] [options]',
  summary:
    'One row per proc of a submission (the latest by default): its queue variables, outcome, exit code, wall time and every key of its metrics.json; written to results/<cluster>/results.csv.',
  positionals: { names: 'CLUSTER', max: 1 },
  options: {
    best: {
      type: 'string',
      value: 'METRIC',
      dashValue: true,
      description: 'name the best run by this metrics.json key: largest, or smallest with a leading - (e.g. -loss)',
    },
    json: { type: 'boolean', description: 'print the rows as JSON instead of the table (the CSV is still written)' },
    'dry-run': { type: 'boolean', description: 'print the table; do not write results/<cluster>/results.csv' },
    plot: {
      type: 'boolean',
      description: "draw each run's loss and accuracy per epoch in the terminal (from its PIXI_CONDOR_PROGRESS lines)",
    },
    html: {
      type: 'boolean',
      description: 'write results/<cluster>/report.html: the curves, the table, usage, holds and failures, in one file',
    },
    metric: { type: 'string', value: 'NAME', description: 'with --plot: draw this progress field instead' },
  },
  epilog: ['A proc that was submitted again with `pixi run resubmit` shows its newest outcome.'].join('\n'),
  exitCodes: [
    ['0', 'every proc has metrics'],
    ['1', 'some procs have none (the table says why)'],
    ['2', 'usage error, unknown job, or --best names no metric any proc has'],
  ],
  docs: 'docs/results.md',
};

function formatValue(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : fiveDigits(value);
  return value === null || value === undefined ? '' : String(value);
}

/**
 * `value` rounded to five significant digits, as String(Number(value.toPrecision(5))) shows it
 * (0.91620 → 0.9162, 1.2346e+8 → 123460000), without the second number-to-text conversion: the
 * trailing zeros of a plain toPrecision are cut (half the cost, 10,000 rows; the same text for
 * four million random values, bench-checked).
 */
function fiveDigits(value: number): string {
  const text = value.toPrecision(5);
  if (text.includes('e')) return String(Number(text));
  if (!text.includes('.')) return text; // NaN, Infinity
  let end = text.length;
  while (text.charCodeAt(end - 1) === 0x30 /* 0 */) end--;
  if (text.charCodeAt(end - 1) === 0x2e /* . */) end--;
  return end === text.length ? text : text.slice(0, end);
}

/**
 * A row as a terminal may show it: every string the job (or sweep.csv) wrote passed through
 * `text`; `plainKeys`: its keys are known to show as they are (checked once, as columns).
 */
function shownRow(row: ResultRow, text: (s: string) => string, plainKeys = false): ResultRow {
  const vars = shownStrings(row.vars, text, plainKeys) as Record<string, string>;
  const metrics = row.metrics ? (shownStrings(row.metrics, text, plainKeys) as ResultRow['metrics']) : null;
  const missing = row.missing === null ? null : text(row.missing);
  // Most rows show as they are: the row itself, not a copy (10,000 rows, three objects each).
  if (vars === row.vars && metrics === row.metrics && missing === row.missing) return row;
  return { ...row, vars, metrics, missing };
}

/** `record` with its keys and text values passed through `text`; itself when that changes none. */
function shownStrings<T>(
  record: Record<string, T>,
  text: (s: string) => string,
  plainKeys: boolean,
): Record<string, T | string> {
  let same = true;
  for (const k in record) {
    if (!Object.hasOwn(record, k)) continue;
    const v = record[k];
    if ((!plainKeys && text(k) !== k) || (typeof v === 'string' && text(v) !== v)) {
      same = false;
      break;
    }
  }
  if (same) return record;
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [text(k), typeof v === 'string' ? text(v) : v]));
}

/**
 * `text` remembering what it made of each string: a sweep's table repeats its keys and most of
 * its values on every row (the filter is pure: the same text always shows the same).
 */
function remembered(text: (s: string) => string): (s: string) => string {
  const seen = new Map<string, string>();
  return (s) => {
    let shown = seen.get(s);
    if (shown === undefined) {
      shown = text(s);
      seen.set(s, shown);
    }
    return shown;
  };
}

/** The table's cells, row by row (header first) in one flat list, and each column's width. */
function tableCells(
  rows: ResultRow[],
  cluster: number,
  { vars, metrics }: Columns,
): { cells: string[]; columns: number; widths: number[] } {
  const header = ['PROC', ...vars, 'OUTCOME', 'EXIT', 'WALL', ...metrics];
  const columns = header.length;
  const cells = new Array<string>(columns * (rows.length + 1));
  const widths = header.map((h) => h.length);
  for (let c = 0; c < columns; c++) cells[c] = header[c]!;
  let at = columns;
  const prefix = `${cluster}.`;
  for (const row of rows) {
    const proc = String(row.proc);
    cells[at++] = row.ranAs === prefix + proc ? proc : `${proc} (as ${row.ranAs})`;
    for (const v of vars) cells[at++] = row.vars[v] ?? '';
    cells[at++] = row.outcome;
    cells[at++] = row.signal !== null ? `sig ${row.signal}` : formatValue(row.exitCode);
    cells[at++] = row.wallSeconds !== null ? `${row.wallSeconds}s` : '';
    for (const m of metrics) cells[at++] = formatValue(row.metrics?.[m]);
  }
  // Each column's width: its widest cell.
  for (let i = columns; i < cells.length; i++) {
    const c = i % columns;
    if (cells[i]!.length > widths[c]!) widths[c] = cells[i]!.length;
  }
  return { cells, columns, widths };
}

function tableLines(
  rows: ResultRow[],
  best: ResultRow | null,
  width: number,
  cluster: number,
  shownColumns: Columns,
): string[] {
  const { cells, columns, widths } = tableCells(rows, cluster, shownColumns);
  const lines = new Array<string>(rows.length + 1);
  for (let r = 0, at = 0; r <= rows.length; r++) {
    // (A table has at least PROC, OUTCOME, EXIT and WALL; the last cell is not padded: the
    // trimEnd would take its padding off again.)
    let line = cells[at++]!.padEnd(widths[0]!);
    for (let c = 1; c < columns - 1; c++) line += `  ${cells[at++]!.padEnd(widths[c]!)}`;
    line = `${line}  ${cells[at++]!}`.trimEnd();
    lines[r] = fit(r > 0 && rows[r - 1] === best ? `${line}  ← best` : line, width);
  }
  return lines;
}

/**
 * A local run whose runner died (kill -9, a reboot) is recovered first, as status, cancel and
 * resubmit do (runner-recovery.ts): its log then says how it ended, and no row reads 'running'
 * forever. The recovery code loads only when some record is local.
 */
async function recoverLocalRuns(root: string, records: JobRecord[]): Promise<void> {
  const local = [...new Map(records.filter((r) => r.local).map((r) => [r.cluster, r])).values()];
  if (local.length === 0) return;
  const { recoverIfRunnerLost } = await import('../local/runner-recovery.ts');
  for (const record of local) if (await recoverIfRunnerLost(root, record)) process.stderr.write(lostRunnerNote(record));
}

/** The --plot/--html module, passed in by scripts/results.ts so no other task's bundle holds it. */
export type LoadViews = () => Promise<typeof import('../results-view/results-view.ts')>;

export async function runResults(parsed: ParsedCommand, loadViews?: LoadViews): Promise<number> {
  const plot = booleanOption(parsed, 'plot');
  const html = booleanOption(parsed, 'html');
  const metric = stringOption(parsed, 'metric') ?? null;
  if ((plot || html) && booleanOption(parsed, 'json'))
    throw new UsageError('--json prints rows: leave out --plot/--html');
  if (metric !== null && !plot && !html) throw new UsageError('--metric goes with --plot or --html');
  const root = findWorkspaceRoot();
  const arg = parsed.positionals[0];
  const dryRun = booleanOption(parsed, 'dry-run');
  // Without a CLUSTER: the latest job, and the heads it was found among for its resubmissions
  // (each unreadable record said once, as the latest job is looked for).
  const skipped = sayOnce();
  const latest = arg === undefined ? await latestJob(root, { keep: !dryRun, skipped }) : null;
  const record = latest ? latest.record : await readJobRecord(root, parseClusterArg(arg!));
  if (!record)
    throw new UserError('no job has been submitted from this workspace yet', {
      hint: 'run `pixi run submit` (or `submit --local`) first',
    });
  // The latest job, when it is a resubmission: its first submission's rows (a CLUSTER named is that job's).
  const origin = latest ? record.resubmitOf?.cluster : undefined;
  const first = origin === undefined ? record : await recordAmong(root, origin, latest?.heads);
  const resubmissions = await resubmissionsOf(
    root,
    first.cluster,
    latest ? { keep: !dryRun, heads: latest.heads, skipped } : { keep: !dryRun },
  );
  await recoverLocalRuns(root, [record, first, ...resubmissions]);
  const show = (path: string): string => displayPath(root, path);
  const collected = await collectResults(root, first, show, { keepOutcomes: !dryRun, resubmissions });
  // metrics.json and the error files are the job's words: a token in them is masked in every
  // output (results.csv, --json, the report), as the table masks it.
  const tokens = jobSecretMask(root);
  const masked = remembered((text) => tokens.mask(text));
  const rows = tokens.secrets.length > 0 ? collected.rows.map((row) => shownRow(row, masked)) : collected.rows;
  const bestSpec = stringOption(parsed, 'best');
  const best = bestSpec ? bestRow(rows, bestSpec) : null;
  if (bestSpec && !best) {
    const { metrics } = columnsOf(rows);
    throw new UsageError(
      `no proc has a number for '${bestSpec.replace(/^[-+]/, '')}' in its metrics.json`,
      metrics.length > 0 ? `the metrics are: ${metrics.join(', ')}` : 'no proc has a metrics.json yet',
    );
  }
  const csvPath = join(root, 'results', String(first.cluster), 'results.csv');
  // The columns once, for the CSV, --json and the table (unless the job's text filter changed a row).
  const columns = columnsOf(rows);
  if (!dryRun) writeChunksAtomicIfChanged(csvPath, () => resultsCsvChunks(rows, columns));
  const missing = rows.filter((r) => r.missing);
  if ((plot || html) && loadViews) {
    const views = await loadViews();
    const input = { root, record: first, resubmissions, rows, best, bestSpec, show };
    const out = process.stdout;
    if (plot) {
      const fancy = colourEnabled(out);
      for (const line of views.plotLines(input, { metric, width: Math.max(out.columns || 80, 40), fancy }))
        out.write(`${line}\n`);
    }
    if (html) {
      const report = await views.writeReport(input, { dryRun, metric });
      if (plot) out.write('\n');
      else
        for (const line of resultLines({
          rows,
          resubmissions: resubmissions.map((r) => r.cluster),
          cluster: first.cluster,
          best,
          bestSpec,
          written: dryRun ? null : show(csvPath),
          paint: palette(colourEnabled(out)),
          width: Math.max(out.columns || 160, 60),
        }))
          out.write(`${line}\n`);
      out.write(
        `${dryRun ? 'dry run: not written' : 'report'}: ${show(report.path)} (${report.drawn} of ${report.runs} runs with curves)\n`,
      );
    } else out.write(`${dryRun ? 'dry run: results.csv not written' : `written: ${show(csvPath)}`}\n`);
    return missing.length > 0 ? 1 : 0;
  }

  if (booleanOption(parsed, 'json')) {
    const doc = {
      cluster: first.cluster,
      resubmissions: resubmissions.map((r) => r.cluster),
      csv: dryRun ? null : show(csvPath),
      columns,
      rows,
      best: best && bestSpec ? { metric: bestSpec, proc: best.proc, ranAs: best.ranAs } : null,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return missing.length > 0 ? 1 : 0;
  }
  const out = process.stdout;
  // metrics.json and the error files are the job's words: the rows' tokens are masked already;
  // on a terminal their control characters show as escapes too.
  const jobText = remembered(visibleControls);
  // The keys are the columns (a metric echoing a variable is a variable's column): each checked
  // once here, so a row's check reads its values only.
  const plainKeys = [...columns.vars, ...columns.metrics].every((key) => jobText(key) === key);
  const shown = rows.map((row) => shownRow(row, jobText, plainKeys));
  writeLines(
    out,
    resultLines({
      rows: shown,
      resubmissions: resubmissions.map((r) => r.cluster),
      cluster: first.cluster,
      local: Boolean(first.local),
      best: best ? (shown[rows.indexOf(best)] ?? null) : null,
      bestSpec,
      written: dryRun ? null : show(csvPath),
      paint: palette(colourEnabled(out)),
      width: Math.max(out.columns || 160, 60),
      columns: shown.every((row, i) => row === rows[i]) ? columns : columnsOf(shown),
    }),
  );
  return missing.length > 0 ? 1 : 0;
}

/** Lines written a thousand at a time: one write per row of a 10,000-row table cost more than making the row. */
function writeLines(out: NodeJS.WriteStream, lines: string[]): void {
  for (let i = 0; i < lines.length; i += 1000) out.write(`${lines.slice(i, i + 1000).join('\n')}\n`);
}

interface ResultView {
  rows: ResultRow[];
  resubmissions: number[];
  cluster: number;
  /** The first run was `submit --local`: the command to run rows again is the local one. */
  local?: boolean;
  best: ResultRow | null;
  bestSpec: string | null | undefined;
  /** Where results.csv was written (null: a dry run). */
  written: string | null;
  /** columnsOf(rows), when the caller has it already. */
  columns?: Columns;
  paint: Palette;
  width: number;
}

/** The table, the best run, the procs without metrics and why, and where the CSV went. */
function resultLines(view: ResultView): string[] {
  const { rows, best, bestSpec, paint } = view;
  const lines: string[] = [];
  const say = (line = ''): void => void lines.push(line);
  const missing = rows.filter((r) => r.missing);
  const again =
    view.resubmissions.length > 0
      ? ` (newest outcome of each row; resubmitted as ${view.resubmissions.join(', ')})`
      : '';
  say(paint.bold(`results of job ${view.cluster}: ${rows.length} proc${rows.length === 1 ? '' : 's'}${again}`));
  for (const line of tableLines(rows, best, view.width, view.cluster, view.columns ?? columnsOf(rows))) say(line);
  if (best && bestSpec) {
    const key = bestSpec.replace(/^[-+]/, '');
    const values = Object.entries(best.vars)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    say();
    say(
      paint.green(
        `best by ${bestSpec.startsWith('-') ? 'lowest' : 'highest'} ${key}: proc ${best.proc}${values ? ` (${values})` : ''}, ${key} ${formatValue(best.metrics?.[key])}${best.ranAs !== `${view.cluster}.${best.proc}` ? `, ran as ${best.ranAs}` : ''}`,
      ),
    );
  }
  if (missing.length > 0) {
    say();
    say(paint.yellow(`${missing.length} proc${missing.length === 1 ? ' has' : 's have'} no metrics:`));
    for (const row of missing) say(`  ${row.proc} (${row.ranAs}): ${row.missing}`);
    const failed = missing.filter((r) => r.outcome === 'failed' || r.outcome === 'held' || r.outcome === 'removed');
    if (failed.length > 0)
      say(
        paint.dim(
          `  run them again: pixi run resubmit ${view.cluster} --failed${failed.some((r) => r.outcome === 'held') ? ' --held' : ''}${view.local ? ' --local' : ''}`,
        ),
      );
  }
  say(view.written === null ? paint.dim('dry run: results.csv not written') : `written: ${view.written}`);
  return lines;
}

/** The metric a sweep's closing table names the best run by, when its metrics.json has it
 *  (the template's job writes it); `pixi run results --best KEY` picks any other. */
export const SWEEP_BEST_METRIC = 'accuracy';

/**
 * The closing results table of a sweep, printed by `submit` (and `status`, `resubmit`) when the
 * job has ended, so one command gives the table, results.csv and the best run. Nothing for a
 * job of one proc (not a resubmission) or without queue variables; a problem reading the results only costs the
 * table (the job's own summary and exit code stand), so it becomes one line.
 */
export async function sweepResultLines(
  root: string,
  cluster: number,
  paint: Palette,
  width: number,
  /** The job's record, when the caller holds it (not read again). */
  known?: JobRecord,
): Promise<string[]> {
  try {
    const record = known?.cluster === cluster ? known : await readJobRecord(root, cluster);
    if (!record.procs.some((p) => p.vars && Object.keys(p.vars).length > 0)) return [];
    // One proc of its own is no sweep, unless it is a resubmission of some of a sweep's rows.
    if (record.procs.length < 2 && !record.resubmitOf) return [];
    const first = record.resubmitOf ? await readJobRecord(root, record.resubmitOf.cluster) : record;
    const show = (path: string): string => displayPath(root, path);
    const { rows, resubmissions } = await collectResults(root, first, show);
    const best = bestRow(rows, SWEEP_BEST_METRIC);
    const csvPath = join(root, 'results', String(first.cluster), 'results.csv');
    // The columns once, for the CSV and the table; the same results.csv as `results` writes, left as it is when unchanged.
    const columns = columnsOf(rows);
    writeChunksAtomicIfChanged(csvPath, () => resultsCsvChunks(rows, columns));
    return [
      '',
      ...resultLines({
        rows,
        resubmissions: resubmissions.map((r) => r.cluster),
        cluster: first.cluster,
        local: Boolean(first.local),
        best,
        bestSpec: best ? SWEEP_BEST_METRIC : null,
        written: show(csvPath),
        columns,
        paint,
        width,
      }),
    ];
  } catch (error) {
    return [
      '',
      `results table not made: ${error instanceof Error ? error.message : String(error)} (try \`pixi run results ${cluster}\`)`,
    ];
  }
}
