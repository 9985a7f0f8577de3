// `results --plot` and `results --html` on a sweep run for real with `submit --local` (vanilla
// universe: each proc prints its own progress lines, as job/main.py does): one run improving
// slowly, the best, one that diverges (null, then NaN, losses), one that fails before its first
// epoch, and one whose queue value and progress line carry markup. The report is opened in a
// real headless Chromium (Debian's chromium): no console error or CSP violation, a drawn line
// for every run with epochs, the markup shown as text, and a screenshot that is not blank.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScript } from '../helpers/process.ts';
import { makeWorkspace, type TestWorkspace } from '../condor/workspace.ts';
import { chromiumPath, visitPage } from '../helpers/chromium.ts';
import { decodePng, inkOf } from '../helpers/png.ts';

const HOSTILE = '<b>x</b>';
const HOSTILE_KEY = '</script><img src=x onerror=window.pwned=1>';
const noChromium = chromiumPath() ? null : 'no chromium (apt-get install chromium; .ci/services.sh installs it)';
if (noChromium) console.log(`results-view/results-view.test.ts: skipping the browser checks: ${noChromium}`);

let ws: TestWorkspace;
let env: Record<string, string>;

function progress(epoch: number, loss: number | null | string, accuracy: number, extra = ''): string {
  const value = typeof loss === 'string' ? loss : JSON.stringify(loss);
  return `PIXI_CONDOR_PROGRESS {"epoch":${epoch},"epochs":10,"loss":${value},"accuracy":${accuracy}${extra}}`;
}

test.before(async () => {
  ws = await makeWorkspace();
  // No image record: its pinned image would make the vanilla job a container job (WantContainer).
  rmSync(join(ws.root, '.pixi-condor', 'image.json'), { force: true });
  env = { PIXI_PROJECT_ROOT: ws.root, PATH: process.env.PATH ?? '' };
  const epochs = Array.from({ length: 10 }, (_, i) => i + 1);
  const runs: Record<string, string[]> = {
    '1': epochs.map((e) => progress(e, 2.3 - e * 0.1, 0.2 + e * 0.03)),
    '2': epochs.map((e) => progress(e, Number((0.05 + 2 / (e * e)).toFixed(4)), Math.min(0.98, 0.5 + e * 0.05))),
    '3': epochs.map((e) => progress(e, e < 4 ? 2 + e : e === 5 ? 'NaN' : null, 0.1)),
    [HOSTILE]: [
      ...epochs.map((e) => progress(e, 1.5 - e * 0.05, 0.4 + e * 0.02)),
      progress(10, 1.0, 0.6, `,${JSON.stringify(HOSTILE_KEY)}:1`),
      'PIXI_CONDOR_PROGRESS {not json',
    ],
  };
  for (const [seed, lines] of Object.entries(runs))
    writeFileSync(join(ws.root, `progress-${seed.replace(/\W/g, '_')}.txt`), `${lines.join('\n')}\n`);
  writeFileSync(
    join(ws.root, 'train.sh'),
    [
      '#!/bin/sh',
      'lr="$1"; seed="$2"; file=$(printf %s "$seed" | sed "s/[^A-Za-z0-9_]/_/g")',
      `if [ "$seed" = 4 ]; then echo "out of memory" >&2; exit 1; fi`,
      `echo "Train Epoch: 1 [0/60000]"; cat '${ws.root}'/progress-"$file".txt`,
      `case "$seed" in 2) acc=0.98 ;; *) acc=0.5 ;; esac`,
      'printf \'{"accuracy": %s, "lr": "%s"}\\n\' "$acc" "$lr" > metrics.json',
      '',
    ].join('\n'),
  );
  chmodSync(join(ws.root, 'train.sh'), 0o755);
  writeFileSync(join(ws.root, 'rows.csv'), `0.01, 1\n0.1, 2\n1.0, 3\n0.05, 4\n0.3, ${HOSTILE}\n`);
  writeFileSync(
    join(ws.root, 'sweep.sub'),
    [
      'universe = vanilla',
      'executable = train.sh',
      'arguments = $(lr) $(seed)',
      'log = sweep_$(Cluster)_$(Process).log',
      'output = sweep_$(Cluster)_$(Process).out',
      'error = sweep_$(Cluster)_$(Process).err',
      'should_transfer_files = YES',
      'request_memory = 512MB',
      'transfer_output_remaps = "metrics.json = results/$(Cluster)/$(Process)/metrics.json"',
      'queue lr, seed from rows.csv',
      '',
    ].join('\n'),
  );
  const submit = await runScript('submit.ts', ['sweep.sub', '--local', '--interval', '40'], {
    env,
    timeoutMs: 120_000,
  });
  assert.is(submit.code, 1, submit.stdout + submit.stderr);
});
test.after(() => ws.cleanup());

test('results --plot: loss and accuracy per epoch, a letter per run, the best named, fitted to 80 columns', async () => {
  const result = await runScript('results.ts', ['--plot'], { env, timeoutMs: 30_000 });
  assert.is(result.code, 1, result.stderr);
  const out = result.stdout;
  assert.not.match(out, /\u001b\[/, 'no escape codes in a pipe');
  for (const line of out.split('\n')) assert.ok(line.length <= 80, `wider than 80: ${line}`);
  assert.match(out, /loss per epoch: 4 of 5 runs/);
  assert.match(out, /accuracy per epoch: 4 of 5 runs/);
  assert.match(out, /\* {2}best: lr=0\.1 seed=2 \(proc 1\): loss 0\.07 at epoch 10 \(highest accuracy\)/);
  const plotArea = out.split('\n').filter((l) => /^\s*[\d.e-]*\s\|/.test(l));
  for (const mark of ['*', 'a', 'b', 'd'])
    assert.ok(
      plotArea.some((l) => l.split('|')[1]!.includes(mark)),
      `run ${mark} drawn:\n${plotArea.join('\n')}`,
    );
  assert.match(out, /a {2}lr=0\.01 seed=1 \(proc 0\): loss 1\.3 at epoch 10/);
  assert.match(out, /b {2}lr=1\.0 seed=3 \(proc 2\): loss 5 at epoch 3/);
  assert.match(out, /c {2}lr=0\.05 seed=4 \(proc 3\): no loss/);
  assert.match(out, /lr=1\.0 seed=3 \(1\.2\): loss not a finite number from epoch 4 \(diverged\?\)/);
  assert.match(out, /lr=0\.05 seed=4 \(1\.3\): no PIXI_CONDOR_PROGRESS lines in sweep_1_3\.out \(failed\)/);
  assert.match(out, /1 progress line is not a JSON object/);

  const other = await runScript('results.ts', ['--plot', '--metric', HOSTILE_KEY], { env, timeoutMs: 30_000 });
  assert.match(other.stdout, /per epoch: 1 of 5 runs/);
  const missing = await runScript('results.ts', ['--plot', '--metric', 'perplexity'], { env, timeoutMs: 30_000 });
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /no run has 'perplexity'.*\n.*the fields are: loss, accuracy/);
});

test('results --html: one self-contained page that draws every run and shows markup as text', async () => {
  const result = await runScript('results.ts', ['--html'], { env, timeoutMs: 30_000 });
  assert.is(result.code, 1, result.stderr);
  assert.match(result.stdout, /report: results\/1\/report\.html \(4 of 5 runs with curves\)/);
  const path = join(ws.root, 'results', '1', 'report.html');
  const html = readFileSync(path, 'utf8');
  assert.not.match(html, /<(?:script|link|img)[^>]+(?:src|href)=/i, 'nothing fetched');
  assert.is(html.split('<script').length - 1, 2, 'the data and our code, no other script');
  assert.not.ok(html.includes(HOSTILE_KEY), 'the key is escaped in the page source');
  if (noChromium) return;
  const visit = await visitPage<{
    charts: { field: string; runs: number }[];
    images: number;
    pwned: boolean;
    table: string;
    problems: string;
    best: string;
  }>(path, {
    readyExpression: "document.body.dataset.ready === 'true'",
    expression: `({
      charts: [...document.querySelectorAll('canvas')].map((c) => ({ field: c.dataset.field, runs: Number(c.dataset.runsDrawn) })),
      images: document.querySelectorAll('img').length,
      pwned: window.pwned === 1,
      table: document.querySelector('table.runs').textContent,
      problems: document.querySelector('.problems').textContent,
      best: document.querySelector('tr.best').textContent,
    })`,
    screenshot: true,
    timeoutMs: 60_000,
  });
  assert.equal(visit.errors, []);
  const byField = Object.fromEntries(visit.value.charts.map((c) => [c.field, c.runs]));
  assert.is(byField.loss, 4);
  assert.is(byField.accuracy, 4);
  assert.is(byField[HOSTILE_KEY], 1);
  assert.is(visit.value.images, 0);
  assert.is(visit.value.pwned, false);
  assert.ok(visit.value.table.includes(HOSTILE), 'the queue value as text');
  assert.match(visit.value.problems, /1\.3 \(lr=0\.05 seed=4\) failed: exit code 1/);
  assert.match(visit.value.best, /^1 ?1\.1 ?0\.1 ?2 ?completed/);
  const ink = inkOf(decodePng(visit.screenshot!));
  assert.ok(ink.colours > 20 && ink.inked > 0.02, `a blank screenshot? ${JSON.stringify(ink)}`);
});

test('results --html again: the page is written anew; --dry-run writes none', async () => {
  const path = join(ws.root, 'results', '1', 'report.html');
  const before = readFileSync(path, 'utf8');
  const again = await runScript('results.ts', ['--html'], { env, timeoutMs: 30_000 });
  assert.is(again.code, 1);
  assert.ok(existsSync(path));
  assert.is.not(readFileSync(path, 'utf8'), before, 'the written time moves');
  const json = await runScript('results.ts', ['--html', '--json'], { env, timeoutMs: 30_000 });
  assert.is(json.code, 2);
});

test.run();
