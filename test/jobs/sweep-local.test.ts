// The sweep for real on this machine (`submit --local`, vanilla universe for speed): four rows,
// one made to fail once; four result folders; `results` marks the failed row; `resubmit
// --failed --local` runs only that row's values; `results` then shows all four complete. No
// transfer_output_files: every new file comes back (a listed metrics.json the failed row never
// wrote would hold it with code 12, as HTCondor does), and the remap puts metrics.json in place.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScript } from '../helpers/process.ts';
import { makeWorkspace, type TestWorkspace } from '../condor/workspace.ts';
import { recordLogs } from '../../scripts/lib/jobs/job-store.ts';
import { recordedOutcomes } from '../../scripts/lib/jobs/recorded-outcomes.ts';

let ws: TestWorkspace;
let env: Record<string, string>;
test.before.each(async () => {
  ws = await makeWorkspace();
  // No image record: its pinned image would make the vanilla job a container job (WantContainer).
  rmSync(join(ws.root, '.pixi-condor', 'image.json'), { force: true });
  // No HTCondor stand-in on PATH: a local run needs none.
  env = { PIXI_PROJECT_ROOT: ws.root, PATH: process.env.PATH ?? '' };
});
test.after.each(() => ws.cleanup());

test('submit --local of a four-row sweep, results, resubmit --failed --local, results again', async () => {
  const flag = join(ws.root, 'fail-seed-3-once');
  writeFileSync(flag, '');
  // The row with seed 3 fails the first time only (the flag is gone after it).
  writeFileSync(
    join(ws.root, 'train.sh'),
    [
      '#!/bin/sh',
      'set -e',
      'lr="$1"; seed="$2"',
      `if [ "$seed" = 3 ] && [ -e '${flag}' ]; then rm -f '${flag}'; echo "diverged at lr=$lr" >&2; exit 1; fi`,
      'echo "PIXI_CONDOR_PROGRESS {\\"epoch\\":1,\\"epochs\\":1,\\"loss\\":0.$seed,\\"accuracy\\":0.9$seed}"',
      'printf \'{"accuracy": 0.9%s, "loss": 0.%s, "lr": %s}\\n\' "$seed" "$seed" "$lr" > metrics.json',
      '',
    ].join('\n'),
  );
  chmodSync(join(ws.root, 'train.sh'), 0o755);
  writeFileSync(join(ws.root, 'rows.csv'), '0.1, 1\n0.01, 2\n0.1, 3\n0.01, 4\n');
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
  const cluster = JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', '1.json'), 'utf8')).cluster;
  for (const proc of [0, 1, 3])
    assert.ok(existsSync(join(ws.root, 'results', String(cluster), String(proc), 'metrics.json')));
  assert.not.ok(existsSync(join(ws.root, 'results', String(cluster), '2', 'metrics.json')));
  // One command: the sweep's own submit ends with the results table, results.csv and the best run.
  assert.match(submit.stdout, /results of job 1: 4 procs/);
  assert.match(submit.stdout, /best by highest accuracy: proc 3 \(lr=0\.01 seed=4\), accuracy 0\.94/);
  assert.match(submit.stdout, /run them again: pixi run resubmit 1 --failed --local\n/);
  assert.match(submit.stdout, /written: results\/1\/results\.csv/);
  assert.ok(existsSync(join(ws.root, 'results', '1', 'results.csv')));
  // The run's table is kept as it ended, for the closing table and the results that follow.
  const kept = JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', '1.json'), 'utf8'));
  const everything = { usage: true, hostsAndMessages: true };
  const key = { cluster: 1, procs: [0, 1, 2, 3], logs: recordLogs(kept), ...everything };
  assert.ok(recordedOutcomes(ws.root, key), 'the ended run is kept, whole, for every reader');
  // metrics.json echoes lr: the column is there once, as the queue variable.
  const header = readFileSync(join(ws.root, 'results', '1', 'results.csv'), 'utf8')
    .split('\r\n')[0]!
    .split(',');
  assert.is(header.filter((h) => h === 'lr').length, 1, header.join(','));

  const first = await runScript('results.ts', ['--json'], { env, timeoutMs: 30_000 });
  assert.is(first.code, 1, first.stdout + first.stderr);
  const rows = JSON.parse(first.stdout).rows;
  assert.equal(
    rows.map((r: { vars: { seed: string }; outcome: string }) => [r.vars.seed, r.outcome]),
    [
      ['1', 'completed'],
      ['2', 'completed'],
      ['3', 'failed'],
      ['4', 'completed'],
    ],
  );
  assert.is(rows[2].missing, 'failed (exit 1)');

  // A local dry run says what would run here: no condor_submit command.
  const dry = await runScript('resubmit.ts', ['--failed', '--local', '--dry-run'], { env, timeoutMs: 30_000 });
  assert.is(dry.code, 0, dry.stdout + dry.stderr);
  assert.match(
    dry.stdout,
    /would run: \.pixi-condor\/resubmit\/1-\S+\.sub here, as `pixi run submit --local` runs a submit file\n/,
  );
  assert.not.match(dry.stdout, /condor_submit/);
  const again = await runScript('resubmit.ts', ['--failed', '--local', '--interval', '40'], {
    env,
    timeoutMs: 120_000,
  });
  assert.is(again.code, 0, again.stdout + again.stderr);
  // The resubmission's own end shows the first submission's rows, each at its newest outcome.
  assert.match(again.stdout, /results of job 1: 4 procs \(newest outcome of each row; resubmitted as 2\)/);
  const second = JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', '2.json'), 'utf8'));
  assert.equal(second.resubmitOf, { cluster, procs: [2] });
  assert.equal(
    second.procs.map((p: { vars: unknown }) => p.vars),
    [{ lr: '0.1', seed: '3' }],
  );
  assert.is(
    readFileSync(join(ws.root, 'sweep_2_0.out'), 'utf8').match(/PIXI_CONDOR_PROGRESS/g)?.length,
    1,
    'one row ran',
  );

  const after = await runScript('results.ts', [String(cluster), '--best', 'accuracy'], { env, timeoutMs: 30_000 });
  assert.is(after.code, 0, after.stdout + after.stderr);
  assert.match(after.stdout, /^2 \(as 2\.0\)\s+0\.1\s+3\s+completed\s+0\s/m);
  assert.match(after.stdout, /best by highest accuracy: proc 3 \(lr=0\.01 seed=4\), accuracy 0\.94/);
  assert.not.match(after.stdout, /no metrics/);
});

test.run();
