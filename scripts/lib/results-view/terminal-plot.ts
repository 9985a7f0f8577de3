// A field's curves (loss, accuracy, …) per epoch in the terminal, one line per run, fitted to a
// width. At a colour terminal: braille dots (2×4 per character) with a colour per run; else (a
// pipe, a CI log, NO_COLOR) plain ASCII: a letter per run, so the legend still says which is
// which. The best run is drawn last (on top), in bold green or as `*`, and named in the legend.
// Our own ~200 lines, not asciichart: that draws one character per point (no fitting to a width,
// no resampling), one glyph set (box drawing), and no legend; see the commit for the comparison.
import { fit } from '../jobs/format.ts';
import { type Curves, higherIsBetter, lastValue, type RunCurve } from './curves.ts';

export interface PlotOptions {
  field: string;
  /** Columns for the whole block (axis labels included). */
  width: number;
  /** Rows of the plot area. */
  height: number;
  /** Braille dots and ANSI colours (a colour terminal); false: plain ASCII, no escape codes. */
  fancy: boolean;
  /** Index into curves.runs of the run to mark best, and why it is best. */
  best: { index: number; why: string } | null;
  /** Legend lines for the other runs, at most. */
  legendLimit?: number;
}

const RUN_COLOURS = [36, 35, 33, 34, 31, 37];
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** Braille dot bits by [dx][dy] in a 2×4 cell (Unicode's numbering: 1-2-3-7 left, 4-5-6-8 right). */
const BRAILLE_BITS = [
  [0x01, 0x02, 0x04, 0x40],
  [0x08, 0x10, 0x20, 0x80],
];

/** `0.0312`, `1.2e-5`, `12345`: short axis and legend numbers. */
export function shortNumber(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(1).replace('e+', 'e');
  return String(Number(value.toPrecision(3)));
}

interface Scale {
  lo: number;
  hi: number;
  log: boolean;
}

/** The value range of a field over every run; log when a loss spans two decades or more. */
function scaleOf(runs: readonly RunCurve[], field: string): Scale | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const run of runs)
    for (const v of run.series[field] ?? []) {
      if (v === null) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  if (lo > hi) return null;
  const log = !higherIsBetter(field) && lo > 0 && hi / lo >= 100;
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return { lo: lo - pad, hi: hi + pad, log: false };
  }
  return { lo, hi, log };
}

/** A grid of dots, each cell remembering the run that drew on it last (its colour/letter). */
class DotGrid {
  readonly cols: number;
  readonly rows: number;
  readonly bits: Uint8Array;
  readonly owner: Int32Array;
  readonly cells: number;
  readonly lines: number;
  readonly fancy: boolean;
  constructor(cells: number, lines: number, fancy: boolean) {
    this.cells = cells;
    this.lines = lines;
    this.fancy = fancy;
    this.cols = cells * (fancy ? 2 : 1);
    this.rows = lines * (fancy ? 4 : 1);
    this.bits = new Uint8Array(cells * lines);
    this.owner = new Int32Array(cells * lines).fill(-1);
  }

  dot(x: number, y: number, run: number): void {
    if (x < 0 || y < 0 || x >= this.cols || y >= this.rows) return;
    const dx = this.fancy ? x % 2 : 0;
    const dy = this.fancy ? y % 4 : 0;
    const cell = Math.floor(y / (this.fancy ? 4 : 1)) * this.cells + Math.floor(x / (this.fancy ? 2 : 1));
    this.bits[cell]! |= this.fancy ? BRAILLE_BITS[dx]![dy]! : 1;
    this.owner[cell] = run;
  }

  line(x0: number, y0: number, x1: number, y1: number, run: number): void {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let i = 0; i <= steps; i++)
      this.dot(Math.round(x0 + ((x1 - x0) * i) / steps), Math.round(y0 + ((y1 - y0) * i) / steps), run);
  }
}

/** Each run's mark: a colour code (fancy) and a letter (plain); the best is bold green / `*`. */
function marksOf(count: number, best: number | null, fancy: boolean): { letter: string; colour: string }[] {
  const others = count - (best === null ? 0 : 1);
  let n = 0;
  return Array.from({ length: count }, (_, i) => {
    if (i === best) return { letter: '*', colour: '1;32' };
    const k = n++;
    if (fancy) return { letter: '', colour: others > RUN_COLOURS.length ? '2' : String(RUN_COLOURS[k]) };
    return { letter: others > LETTERS.length ? '.' : LETTERS[k]!, colour: '' };
  });
}

function drawRun(grid: DotGrid, run: RunCurve, index: number, field: string, project: Projection): void {
  const values = run.series[field];
  if (!values) return;
  let last: [number, number] | null = null;
  for (const [i, value] of values.entries()) {
    if (value === null) {
      last = null;
      continue;
    }
    const point: [number, number] = [project.x(run.epochs[i]!), project.y(value)];
    if (last) grid.line(last[0], last[1], point[0], point[1], index);
    else grid.dot(point[0], point[1], index);
    last = point;
  }
}

interface Projection {
  x(epoch: number): number;
  y(value: number): number;
}

function projection(grid: DotGrid, scale: Scale, firstEpoch: number, lastEpoch: number): Projection {
  const t = (v: number): number => (scale.log ? Math.log10(v) : v);
  const span = t(scale.hi) - t(scale.lo);
  return {
    x: (epoch) =>
      lastEpoch === firstEpoch ? 0 : Math.round(((epoch - firstEpoch) / (lastEpoch - firstEpoch)) * (grid.cols - 1)),
    y: (value) => grid.rows - 1 - Math.round(((t(value) - t(scale.lo)) / span) * (grid.rows - 1)),
  };
}

/** The value an axis row stands for (its middle), for the labels. */
function rowValue(scale: Scale, row: number, rows: number): number {
  const f = rows === 1 ? 1 : 1 - row / (rows - 1);
  if (!scale.log) return scale.lo + (scale.hi - scale.lo) * f;
  return 10 ** (Math.log10(scale.lo) + (Math.log10(scale.hi) - Math.log10(scale.lo)) * f);
}

/** The chart of one field: title, plot rows with a value axis, the epoch axis, the legend. */
export function plotField(curves: Curves, options: PlotOptions): string[] {
  const { field, fancy } = options;
  const runs = curves.runs;
  const drawn = runs.filter((r) => lastValue(r, field) !== null).length;
  const scale = scaleOf(runs, field);
  const title = `${field} per epoch: ${drawn} of ${runs.length} run${runs.length === 1 ? '' : 's'}${scale?.log ? ' (log scale)' : ''}`;
  if (!scale)
    return [
      fit(title, options.width),
      fit(`  no run has a number for '${field}' in its progress lines`, options.width),
    ];
  const labelWidth = Math.max(
    ...[0, options.height - 1].map((r) => shortNumber(rowValue(scale, r, options.height)).length),
    4,
  );
  const cells = Math.max(10, options.width - labelWidth - 2);
  const grid = new DotGrid(cells, Math.max(2, options.height), fancy);
  let firstEpoch = Infinity;
  let lastEpoch = -Infinity;
  for (const run of runs)
    for (const e of run.epochs) {
      firstEpoch = Math.min(firstEpoch, e);
      lastEpoch = Math.max(lastEpoch, e);
    }
  const project = projection(grid, scale, firstEpoch, lastEpoch);
  const best = options.best?.index ?? null;
  for (const [i, run] of runs.entries()) if (i !== best) drawRun(grid, run, i, field, project);
  if (best !== null && runs[best]) drawRun(grid, runs[best], best, field, project);
  const marks = marksOf(runs.length, best, fancy);
  const paint = (text: string, colour: string): string =>
    fancy && colour ? `\u001b[${colour}m${text}\u001b[0m` : text;
  const lines = [fit(title, options.width)];
  for (let row = 0; row < grid.lines; row++) {
    const labelled = row === 0 || row === grid.lines - 1 || row === Math.floor((grid.lines - 1) / 2);
    const label = labelled ? shortNumber(rowValue(scale, row, grid.lines)) : '';
    let text = `${label.padStart(labelWidth)} ${fancy ? '┤' : '|'}`;
    // Neighbouring cells of one colour share one escape sequence.
    let colour = '';
    let pending = '';
    for (let col = 0; col < cells; col++) {
      const cell = row * cells + col;
      const owner = grid.owner[cell]!;
      const mark = owner < 0 ? null : marks[owner]!;
      const next = mark?.colour ?? '';
      if (next !== colour) {
        text += paint(pending, colour);
        pending = '';
        colour = next;
      }
      pending += mark ? (fancy ? String.fromCharCode(0x2800 + grid.bits[cell]!) : mark.letter) : ' ';
    }
    lines.push((text + paint(pending, colour)).trimEnd());
  }
  lines.push(`${' '.repeat(labelWidth)} ${fancy ? '└' : '+'}${(fancy ? '─' : '-').repeat(cells)}`);
  lines.push(epochAxis(labelWidth + 2, cells, firstEpoch, lastEpoch));
  lines.push(...legend(curves, options, marks, paint, hiddenRuns(grid, runs, field)));
  return lines;
}

/** Runs with points that own no cell: every dot of theirs was drawn over by a later run. */
function hiddenRuns(grid: DotGrid, runs: readonly RunCurve[], field: string): Set<number> {
  const shown = new Set<number>(grid.owner);
  const hidden = new Set<number>();
  for (const [i, run] of runs.entries()) if (lastValue(run, field) !== null && !shown.has(i)) hidden.add(i);
  return hidden;
}

/** `epoch 1 … 20` under the axis: the first epoch at the left, the last at the right. */
function epochAxis(indent: number, cells: number, first: number, last: number): string {
  const left = `epoch ${first}`;
  const right = String(last);
  const gap = Math.max(1, cells - left.length - right.length);
  return `${' '.repeat(indent)}${left}${first === last ? '' : ' '.repeat(gap) + right}`;
}

function legend(
  curves: Curves,
  options: PlotOptions,
  marks: { letter: string; colour: string }[],
  paint: (text: string, colour: string) => string,
  hidden: ReadonlySet<number>,
): string[] {
  const { field, fancy } = options;
  const describe = (run: RunCurve, i: number): string => {
    const last = lastValue(run, field);
    const where = run.label === `proc ${run.proc}` ? '' : ` (proc ${run.proc})`;
    // A run whose line lies wholly under others' (close runs at 12 rows) is said to be there.
    const under = hidden.has(i) ? ', its line under the others' : '';
    return `${run.label}${where}: ${last ? `${field} ${shortNumber(last.value)} at epoch ${last.epoch}${under}` : `no ${field}`}`;
  };
  const lines: string[] = [];
  const swatch = (i: number): string => paint(fancy ? '━━' : marks[i]!.letter.padEnd(2), marks[i]!.colour);
  // Two spaces, the swatch (two columns), a space: the rest of the width is the text's.
  const room = options.width - 5;
  const best = options.best;
  if (best && curves.runs[best.index]) {
    const text = `best: ${describe(curves.runs[best.index]!, best.index)}`;
    // Why it is best (and what ties with it) on a line of its own when both do not fit.
    if (text.length + best.why.length + 3 <= room) lines.push(`  ${swatch(best.index)} ${text} (${best.why})`);
    else lines.push(`  ${swatch(best.index)} ${fit(text, room)}`, `       ${fit(`(${best.why})`, room - 2)}`);
  }
  const others = curves.runs.map((run, i) => ({ run, i })).filter(({ i }) => i !== best?.index);
  const limit = options.legendLimit ?? 12;
  const shared = fancy ? others.length > RUN_COLOURS.length : others.length > LETTERS.length;
  if (shared) {
    lines.push(`  ${swatch(others[0]!.i)} ${fit(`the other ${others.length} runs`, room)}`);
    return lines;
  }
  for (const { run, i } of others.slice(0, limit)) lines.push(`  ${swatch(i)} ${fit(describe(run, i), room)}`);
  if (others.length > limit) lines.push(`  … ${others.length - limit} more`);
  return lines;
}
