// results/<cluster>/report.html: one self-contained page (its code, style and data inlined; it
// fetches nothing, and its Content-Security-Policy lets it fetch nothing) with the curves per
// field, the results table and the holds and failures. Everything from a job's files is data:
// it goes in as JSON inside a <script type="application/json"> with `<`, `>` and `&` escaped,
// and the page puts it on screen with textContent only. The one script that runs is ours, named
// by its hash in the policy, so even markup that slipped through could not run a script.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../repo-root.ts';
import type { Curves } from './curves.ts';

/** Rows the page's table draws at once (sorting brings any row up); results.csv has all. */
export const TABLE_ROW_LIMIT = 2000;

export interface ReportColumn {
  label: string;
  numeric: boolean;
}

export interface ReportProblem {
  ranAs: string;
  label: string;
  kind: string;
  reason: string;
  hint: string | null;
}

export interface ReportData {
  title: string;
  subtitle: string;
  notes: string[];
  fields: string[];
  best: { index: number; why: string } | null;
  runs: {
    proc: number;
    ranAs: string;
    label: string;
    epochs: number[];
    series: Record<string, (number | null)[]>;
  }[];
  table: { columns: ReportColumn[]; rows: { run: number; cells: (string | number | null)[] }[]; limit: number };
  problems: ReportProblem[];
}

/** The page's script, read when a report is written (never on another path). */
function pageScript(): string {
  return readFileSync(join(REPO_ROOT, 'scripts', 'lib', 'results-view', 'report-page.js'), 'utf8');
}

/** JSON that is safe inside a <script> element: no `</script>`, no `<!--`, no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** Six significant digits are plenty for a curve, and keep a 10,000-run page's data small. */
function rounded(values: (number | null)[]): (number | null)[] {
  return values.map((v) => (v === null ? null : Number(v.toPrecision(6))));
}

/** The curves as the page wants them (rounded, without the per-run notes, which go to `notes`). */
export function reportRuns(curves: Curves): ReportData['runs'] {
  return curves.runs.map((run) => ({
    proc: run.proc,
    ranAs: run.ranAs,
    label: run.label,
    epochs: run.epochs,
    series: Object.fromEntries(Object.entries(run.series).map(([k, v]) => [k, rounded(v)])),
  }));
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 24px 0 8px; }
.sub { color: #555; margin: 0 0 12px; } .note, .more { color: #666; font-size: 13px; }
.notes { background: #fff8e1; border: 1px solid #f0d98c; padding: 8px 8px 8px 28px; border-radius: 4px; }
.plot { position: relative; } canvas { width: 100%; height: 320px; display: block; background: #fff; border: 1px solid #ddd; }
.tip { position: absolute; pointer-events: none; background: #222; color: #fff; padding: 3px 6px; border-radius: 3px; font-size: 12px; white-space: nowrap; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 12px; margin: 6px 0; }
.legend .item { border: 0; background: none; padding: 0; cursor: pointer; font: inherit; font-size: 13px; }
.legend .best { font-weight: 600; }
.swatch { display: inline-block; width: 14px; height: 3px; margin: 0 5px 3px 0; vertical-align: middle; }
table.runs { border-collapse: collapse; background: #fff; font-size: 13px; display: block; overflow-x: auto; }
table.runs th, table.runs td { border: 1px solid #e2e2e2; padding: 3px 8px; text-align: left; white-space: nowrap; }
table.runs td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.runs th button { border: 0; background: none; font: inherit; font-weight: 600; cursor: pointer; padding: 0; }
table.runs th[aria-sort=ascending] button::after { content: ' ▲'; } table.runs th[aria-sort=descending] button::after { content: ' ▼'; }
table.runs tr.best td { background: #e6f4e6; font-weight: 600; } table.runs tr.selected td { outline: 2px solid #000; }
table.runs tbody tr { cursor: pointer; } .problems li { margin-bottom: 6px; } .hint { color: #555; font-size: 13px; }
`;

/** The whole page. */
export function reportHtml(data: ReportData, script = pageScript()): string {
  if (/<\/script/i.test(script)) throw new Error('the report script must not contain </script');
  const hash = createHash('sha256').update(script, 'utf8').digest('base64');
  const policy = `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src data:`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(policy)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(data.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<main id="report"><h1>${escapeHtml(data.title)}</h1><noscript>This report draws its charts and table with JavaScript.</noscript></main>`,
    `<script type="application/json" id="report-data">${scriptJson(data)}</script>`,
    `<script>${script}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
