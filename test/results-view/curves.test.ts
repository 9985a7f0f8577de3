// The pieces of results --plot/--html on their own: reading progress lines (restarts, NaN, bad
// lines), the terminal chart (width, colour or plain, many runs), the page's escaping, the page
// with 10,000 runs in a real Chromium, and the live view's loss trend.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Curves, collectCurves, progressLines, seriesOf } from '../../scripts/lib/results-view/curves.ts';
import { SecretMask } from '../../scripts/lib/secret-mask.ts';
import type { JobRecord } from '../../scripts/lib/jobs/job-store.ts';
import { plotField } from '../../scripts/lib/results-view/terminal-plot.ts';
import { tiedWith } from '../../scripts/lib/results-view/results-view.ts';
import type { ResultRow } from '../../scripts/lib/jobs/results.ts';
import { type ReportData, reportHtml, scriptJson } from '../../scripts/lib/results-view/report-html.ts';
import { lossTrend, trendOf, withProgress } from '../../scripts/lib/jobs/loss-trend.ts';
import type { JobState } from '../../scripts/lib/jobs/job-state.ts';
import { chromiumPath, visitPage } from '../helpers/chromium.ts';

test('progress lines: the last line of an epoch wins, NaN and Infinity are gaps, bad lines are counted', () => {
  const text = [
    'PIXI_CONDOR_PROGRESS {"epoch":1,"loss":2.0,"accuracy":0.5}',
    'PIXI_CONDOR_PROGRESS {"epoch":2,"loss":1.5,"accuracy":0.6}',
    '# resumed from checkpoint.pt: 1 of 3 epochs done',
    'PIXI_CONDOR_PROGRESS {"epoch":2,"loss":1.4,"accuracy":0.61}',
    'PIXI_CONDOR_PROGRESS {"epoch":3,"loss":NaN,"accuracy":Infinity}',
    'PIXI_CONDOR_PROGRESS [1,2]',
    'PIXI_CONDOR_PROGRESS {"epoch":4,"loss":0.9',
  ].join('\n');
  const { points, bad } = progressLines(text);
  assert.is(bad, 1, 'the array; the cut last line is still being written');
  const { epochs, series, nonFinite } = seriesOf(points);
  assert.equal(epochs, [1, 2, 3]);
  assert.equal(series.loss, [2, 1.4, null]);
  assert.equal(series.accuracy, [0.5, 0.61, null]);
  assert.equal(
    [...nonFinite],
    [
      ['loss', 3],
      ['accuracy', 3],
    ],
  );
});

function curvesOf(count: number, epochs = 20): Curves {
  const e = Array.from({ length: epochs }, (_, i) => i + 1);
  return {
    fields: ['loss'],
    runs: Array.from({ length: count }, (_, r) => ({
      proc: r,
      ranAs: `7.${r}`,
      label: `lr=${r}`,
      vars: { lr: String(r) },
      outcome: 'completed',
      epochs: e,
      series: { loss: e.map((x) => 1 / (x * (r + 1))) },
      note: null,
    })),
  };
}

test("a field named with a token shows masked in the curves (the chart's and the report's names, the notes)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-curves-'));
  try {
    const token = 'ghp_fieldnameToken12345';
    const out = join(dir, 'out.txt');
    writeFileSync(
      out,
      `PIXI_CONDOR_PROGRESS {"epoch":1,"loss":1,"${token}":NaN}\nPIXI_CONDOR_PROGRESS {"epoch":2,"loss":0.5,"${token}":2}\n`,
    );
    const row = { proc: 0, ranAs: '7.0', vars: {}, outcome: 'completed' } as unknown as ResultRow;
    const record = { cluster: 7, procs: [{ proc: 0, output: out }] } as unknown as JobRecord;
    const curves = collectCurves([row], [record], (p) => p, new SecretMask([token]));
    const shown = JSON.stringify(curves);
    assert.not.ok(shown.includes(token), shown);
    assert.equal(curves.fields, ['loss', '***']);
    assert.match(curves.runs[0]!.note ?? '', /\*\*\* not a finite number from epoch 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('terminal chart: every line fits the width, colour only when asked, 10,000 runs share one legend line', () => {
  for (const width of [40, 80, 200]) {
    const plain = plotField(curvesOf(3), {
      field: 'loss',
      width,
      height: 8,
      fancy: false,
      best: { index: 1, why: 'x' },
    });
    for (const line of plain) assert.ok(line.length <= width, `${width}: ${line}`);
    assert.not.match(plain.join('\n'), /\u001b|[^\x00-\x7f…]/, 'plain ASCII');
    const fancy = plotField(curvesOf(3), {
      field: 'loss',
      width,
      height: 8,
      fancy: true,
      best: { index: 1, why: 'x' },
    });
    // Escape codes take no columns.
    for (const line of fancy) assert.ok(line.replace(/\u001b\[[\d;]*m/g, '').length <= width, line);
    assert.match(fancy.join('\n'), /[\u2801-\u28ff]/, 'braille dots');
    assert.match(fancy.join('\n'), /\u001b\[1;32m/, 'the best in bold green');
  }
  const many = plotField(curvesOf(10_000, 5), {
    field: 'loss',
    width: 80,
    height: 10,
    fancy: false,
    best: { index: 0, why: 'x' },
  });
  assert.match(many[0]!, /loss per epoch: 10000 of 10000 runs \(log scale\)/);
  assert.ok(many.some((l) => /^ {2}\. {2}the other 9999 runs$/.test(l)));
  assert.ok(many.length < 20);
});

test('terminal chart: a run wholly under later runs is said to be; the best line wraps its reason', () => {
  // Runs 0 and 1 have the same curve: run 1, drawn later, covers every cell of run 0 (as close
  // runs do at 12 rows on the template's sweep); run 2 differs and shows.
  const curves = curvesOf(3, 5);
  curves.runs[0]!.series.loss = [...curves.runs[1]!.series.loss!];
  for (const fancy of [false, true]) {
    const lines = plotField(curves, { field: 'loss', width: 80, height: 12, fancy, best: { index: 2, why: 'x' } });
    const legend = lines.filter((l) => /\(proc \d\)/.test(l)).join('\n');
    assert.match(legend, /lr=0 \(proc 0\): loss 0\.1 at epoch 5, its line under the others/);
    assert.not.match(legend, /proc 1\).*under/);
    assert.not.match(legend, /proc 2\).*under/);
  }
  const why = 'highest accuracy, tied with procs 3, 4, 5';
  const wrapped = plotField(curvesOf(3, 5), {
    field: 'loss',
    width: 60,
    height: 6,
    fancy: false,
    best: { index: 0, why },
  });
  const at = wrapped.findIndex((l) => l.includes('best: lr=0 (proc 0)'));
  assert.is(wrapped[at], '  *  best: lr=0 (proc 0): loss 0.2 at epoch 5');
  assert.is(wrapped[at + 1], `       (${why})`);
  for (const line of wrapped) assert.ok(line.length <= 60, line);
  const oneLine = plotField(curvesOf(3, 5), {
    field: 'loss',
    width: 80,
    height: 6,
    fancy: false,
    best: { index: 0, why: 'x' },
  });
  assert.ok(oneLine.includes('  *  best: lr=0 (proc 0): loss 0.2 at epoch 5 (x)'), oneLine.join('\n'));
});

test('the best named by a metric says which rows tie with it (the first of equals is kept)', () => {
  const row = (proc: number, metrics: ResultRow['metrics']): ResultRow => ({
    proc,
    ranAs: `3.${proc}`,
    vars: {},
    outcome: 'completed',
    exitCode: 0,
    signal: null,
    wallSeconds: 1,
    metrics,
    metricsPath: null,
    missing: null,
  });
  // The template's sweep run on CPU: procs 0, 3 and 4 all reached accuracy 0.91.
  const rows = [0.91, 0.905, 0.905, 0.91, 0.91, 0.905].map((accuracy, p) =>
    row(p, { accuracy, loss: p === 4 ? 0.2 : 0.3 }),
  );
  assert.is(tiedWith(rows, rows[0]!, 'accuracy'), ', tied with procs 3, 4');
  assert.is(tiedWith(rows, rows[4]!, '-loss'), '');
  assert.is(tiedWith(rows, rows[1]!, '-loss'), ', tied with procs 0, 2, 3, 5');
  const many = Array.from({ length: 9 }, (_, p) => row(p, { accuracy: 1 }));
  assert.is(tiedWith(many, many[0]!, 'accuracy'), ', tied with procs 1, 2, 3, 4, 5 and 3 more');
  assert.is(tiedWith([row(0, null), row(1, null)], row(0, null), 'accuracy'), '');
});

test('the page data cannot end its script element or open a comment', () => {
  const json = scriptJson({ key: '</script><!-- & \u2028' });
  assert.not.match(json, /<|>|&|\u2028/);
  assert.equal(JSON.parse(json), { key: '</script><!-- & \u2028' });
});

const noChromium = chromiumPath() ? null : 'no chromium';
(noChromium ? test.skip : test)(
  'a page of 10,000 runs × 100 epochs draws every run and says the table is cut',
  async () => {
    const curves = curvesOf(10_000, 100);
    const data: ReportData = {
      title: 'job 7: 10000 runs',
      subtitle: '',
      notes: [],
      fields: ['loss'],
      best: { index: 3, why: 'x' },
      runs: curves.runs.map((r) => ({
        proc: r.proc,
        ranAs: r.ranAs,
        label: r.label,
        epochs: r.epochs,
        series: r.series,
      })),
      table: {
        columns: [
          { label: 'proc', numeric: true },
          { label: 'lr', numeric: true },
        ],
        rows: curves.runs.map((r, run) => ({ run, cells: [r.proc, r.vars.lr!] })),
        limit: 2000,
      },
      problems: [],
    };
    const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-report-'));
    try {
      writeFileSync(join(dir, 'report.html'), reportHtml(data));
      const visit = await visitPage<{ runs: number; rows: number; note: string }>(join(dir, 'report.html'), {
        readyExpression: "document.body.dataset.ready === 'true'",
        expression: `({ runs: Number(document.querySelector('canvas').dataset.runsDrawn), rows: document.querySelectorAll('tbody tr').length, note: [...document.querySelectorAll('.note')].map((n) => n.textContent).join(' ') })`,
        timeoutMs: 120_000,
      });
      assert.equal(visit.errors, []);
      assert.is(visit.value.runs, 10_000);
      assert.is(visit.value.rows, 2000);
      assert.match(visit.value.note, /2000 of 10000 rows shown/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('loss trend: blocks from lowest to highest, gaps for missing losses, nothing before two epochs', () => {
  assert.is(lossTrend([2, 1.5, 1, 0.5]), '█▆▃▁');
  assert.is(lossTrend([1]), '');
  assert.is(lossTrend([1, null, 0]), '█ ▁');
  assert.is(lossTrend([3, 3]), '▅▅');
  assert.is(lossTrend(Array.from({ length: 20 }, (_, i) => 20 - i)).length, 8);
  const a = { loss: 1 };
  const once = withProgress(undefined, a);
  assert.is(withProgress(once, a), once, 'the same line twice is one epoch');
  assert.equal(withProgress(once, { loss: 0.5 }).losses, [1, 0.5]);
  const job = { progress: { loss: 2 } } as unknown as JobState;
  assert.is(trendOf(job), '');
  job.progress = { loss: 1 };
  assert.is(trendOf(job), ' █▁');
});

test.run();
