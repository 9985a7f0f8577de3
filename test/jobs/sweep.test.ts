// A four-row sweep through the stand-in condor (real fixture event logs replayed per proc; one
// row made to fail with a real `return value 1` log): the live lines carry each proc's row
// values and progress, `results` finds every metrics.json where transfer_output_remaps sent it,
// marks the failed row and names the best run, `resubmit --failed` submits only that row again
// with the same values and the same pinned image, and `results` then shows all four complete.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import { runScript } from '../helpers/process.ts';
import { eventLogPath } from '../condor/fixtures.ts';
import { readImageRecord, writeImageRecord } from '../../scripts/lib/image-record.ts';
import { makeWorkspace, startScript, type Scenario, type TestWorkspace, FOLLOW_FAST } from '../condor/workspace.ts';

let ws: TestWorkspace;

const SWEEP_SUB = `# a sweep: one proc per row of sweep.csv, each proc's outputs in results/<cluster>/<proc>/
universe = vanilla
executable = job/mnist_gpu.sh
arguments = --lr $(lr) --seed $(seed)
log = sweep_$(Cluster)_$(Process).log
output = results/$(Cluster)/$(Process)/out.txt
error = results/$(Cluster)/$(Process)/err.txt
transfer_input_files = job/main.py, MNIST_data.tar.gz
should_transfer_files = YES
transfer_output_files = metrics.json
transfer_output_remaps = "metrics.json = results/$(Cluster)/$(Process)/metrics.json"
request_memory = 2GB
queue lr, seed from sweep.csv
`;

const outputs = {
  'results/$(Cluster)/$(Process)/metrics.json': '{"accuracy": 0.9$(Process), "loss": 0.$(Process)1, "device": "cuda"}',
};

function scenario(extra: Partial<Scenario> & Record<string, unknown> = {}): void {
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 20, ...extra } as Scenario);
}

test.before.each(async () => {
  ws = await makeWorkspace();
  writeFileSync(join(ws.root, 'sweep.sub'), SWEEP_SUB);
  writeFileSync(join(ws.root, 'sweep.csv'), '0.1, 1\n0.01, 1\n0.1, 2\n0.01, 2\n');
});
test.after.each(() => ws.cleanup());

test('the sweep: row values and progress live, results with the failed row marked, resubmit --failed, all four complete', async () => {
  // Row 2 replays a real log whose job exits 1 (htcanalyze_normal_log.log).
  // The procs end only when the test opens the gate, once it has seen a live progress line:
  // progress is read while a proc runs, and a busy machine must not let the job end first.
  const live = /4242\.1 lr=0\.01 seed=1 · epoch \d+\/20 loss [\d.]+ acc [\d.]+ 1500 img\/s/;
  scenario({
    procLogs: { 2: eventLogPath('htcanalyze_normal_log.log') },
    outputs,
    progress: true,
    delayMs: 20,
    endGate: 'end',
  });
  const running = startScript('submit.ts', ['sweep.sub', ...FOLLOW_FAST], ws.env, 60_000);
  await running.waitFor(live, 60_000);
  ws.open('end');
  const submit = await running.done;
  assert.is(submit.code, 1, submit.stdout + submit.stderr);
  assert.match(submit.stdout, live);
  assert.match(submit.stdout, /4242\.2 completed: exit 1/);
  const record = JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', '4242.json'), 'utf8'));
  assert.equal(record.procs[3].vars, { lr: '0.01', seed: '2' });
  assert.equal(record.procs[3].outputRemaps, { 'metrics.json': 'results/4242/3/metrics.json' });
  for (const proc of [0, 1, 3]) assert.ok(existsSync(join(ws.root, 'results', '4242', String(proc), 'metrics.json')));

  const results = await runScript('results.ts', ['--best', 'accuracy'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(results.code, 1, 'one proc has no metrics');
  const lines = results.stdout.split('\n');
  assert.match(lines[1]!, /^PROC\s+lr\s+seed\s+OUTCOME\s+EXIT\s+WALL\s+accuracy\s+loss\s+device$/);
  assert.match(lines[3]!, /^1\s+0\.01\s+1\s+completed\s+0\s+\d+s\s+0\.91\s+0\.11\s+cuda$/);
  assert.match(lines[4]!, /^2\s+0\.1\s+2\s+failed\s+1\s+\d+s$/);
  assert.match(lines[5]!, /^3 .*0\.93 .*← best$/);
  assert.match(results.stdout, /best by highest accuracy: proc 3 \(lr=0\.01 seed=2\), accuracy 0\.93/);
  assert.match(results.stdout, /1 proc has no metrics:\n {2}2 \(4242\.2\): failed \(exit 1\)/);
  assert.match(results.stdout, /pixi run resubmit 4242 --failed/);
  const csv = readFileSync(join(ws.root, 'results', '4242', 'results.csv'), 'utf8');
  assert.is(csv.split('\r\n')[0], 'proc,ran_as,lr,seed,outcome,exit_code,wall_s,accuracy,loss,device,note');
  assert.match(csv, /\r\n2,4242\.2,0\.1,2,failed,1,\d+,,,,failed \(exit 1\)\r\n/);
  const lowest = await runScript('results.ts', ['--best', '-loss', '--json'], { env: ws.env, timeoutMs: 30_000 });
  const doc = JSON.parse(lowest.stdout);
  assert.equal(doc.best, { metric: '-loss', proc: 0, ranAs: '4242.0' });
  assert.equal(
    doc.rows.map((r: { outcome: string }) => r.outcome),
    ['completed', 'completed', 'failed', 'completed'],
  );

  // --dry-run: the rows and the command, nothing submitted, nothing written (not even the records' kept heads).
  const heads = join(ws.root, '.pixi-condor', 'jobs', 'heads.json');
  rmSync(heads, { force: true });
  const dry = await runScript('resubmit.ts', ['--failed', '--dry-run'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(dry.code, 0, dry.stdout + dry.stderr);
  assert.not.ok(existsSync(heads), 'resubmit --dry-run keeps no heads');
  const dryResults = await runScript('results.ts', ['--dry-run'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(dryResults.code, 1, dryResults.stdout + dryResults.stderr);
  assert.not.ok(existsSync(heads), 'results --dry-run keeps no heads');
  assert.match(dry.stdout, /resubmitting 1 proc of job 4242: 2 \(failed; lr=0\.1 seed=2\)/);
  assert.match(dry.stdout, /queue lr, seed from \.pixi-condor\/resubmit\/4242-.*\.rows\n {4}0\.1, 2\n/);
  assert.is(ws.calls().filter((c) => c.tool === 'condor_submit').length, 1);

  // Only that row again, now succeeding; the same pinned image.
  scenario({ outputs });
  const again = await runScript('resubmit.ts', ['--failed', ...FOLLOW_FAST], { env: ws.env, timeoutMs: 60_000 });
  assert.is(again.code, 0, again.stdout + again.stderr);
  const submits = ws.calls().filter((c) => c.tool === 'condor_submit');
  assert.is(submits.length, 2);
  const [first, second] = submits.map((c) => c.argv);
  const image = (argv: string[]) => argv.find((a) => a.startsWith('container_image = '));
  assert.is(image(second!), image(first!), 'the same pinned image');
  assert.match(second![0]!, /^\.pixi-condor\/resubmit\/4242-.*\.sub$/);
  const resubmitted = JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', '4243.json'), 'utf8'));
  assert.equal(resubmitted.resubmitOf, { cluster: 4242, procs: [2] });
  assert.equal(
    resubmitted.procs.map((p: { vars: unknown }) => p.vars),
    [{ lr: '0.1', seed: '2' }],
  );
  const table = readdirSync(join(ws.root, '.pixi-condor', 'resubmit')).find((n) => n.endsWith('.rows'))!;
  assert.is(readFileSync(join(ws.root, '.pixi-condor', 'resubmit', table), 'utf8'), '0.1, 2\n');

  const after = await runScript('results.ts', ['4242', '--json'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(after.code, 0, after.stdout + after.stderr);
  const final = JSON.parse(after.stdout);
  assert.equal(
    final.rows.map((r: { proc: number; ranAs: string; outcome: string; metrics: { accuracy: number } }) => [
      r.proc,
      r.ranAs,
      r.outcome,
      r.metrics.accuracy,
    ]),
    [
      [0, '4242.0', 'completed', 0.9],
      [1, '4242.1', 'completed', 0.91],
      [2, '4243.0', 'completed', 0.9],
      [3, '4242.3', 'completed', 0.93],
    ],
  );
  assert.equal(final.resubmissions, [4243]);
  const nothing = await runScript('resubmit.ts', ['4242', '--failed'], { env: ws.env, timeoutMs: 30_000 });
  assert.match(nothing.stdout, /nothing to resubmit: no proc of job 4242 is failed or removed/);
});

test('resubmit whose record cannot be written: the error names the job, the tag stays, `status` records it with its link to the first job', async () => {
  scenario({ procLogs: { 2: eventLogPath('htcanalyze_normal_log.log') }, outputs });
  const first = await runScript('submit.ts', ['sweep.sub', ...FOLLOW_FAST], { env: ws.env, timeoutMs: 60_000 });
  assert.is(first.code, 1, first.stdout + first.stderr);
  // The resubmission stays in the queue (a gate no one opens); a folder where its record goes.
  scenario({ outputs, startGate: 'never' });
  const jobs = join(ws.root, '.pixi-condor', 'jobs');
  mkdirSync(join(jobs, '4243.json'));
  const again = await runScript('resubmit.ts', ['--failed', '--no-wait'], { env: ws.env, timeoutMs: 60_000 });
  assert.is(again.code, 1, again.stdout + again.stderr);
  assert.match(again.stderr, /error: job 4243 was submitted, but \.pixi-condor\/jobs\/4243\.json could not be written/);
  assert.ok(
    readdirSync(jobs).some((f) => f.startsWith('pending-')),
    `the tag stays: ${readdirSync(jobs)}`,
  );
  rmSync(join(jobs, '4243.json'), { recursive: true });
  const status = await runScript('status.ts', ['--once'], { env: ws.env, timeoutMs: 30_000 });
  assert.match(status.stderr, /condor_q finds it as job 4243: recorded in \.pixi-condor\/jobs\/4243\.json/);
  const adopted = JSON.parse(readFileSync(join(jobs, '4243.json'), 'utf8'));
  assert.equal(adopted.resubmitOf, { cluster: 4242, procs: [2] }, 'results maps its row back by it');
});

test('resubmit refuses a proc still in the queue suspended, and sends no image built on this machine to a pool', async () => {
  // Proc 2 replays a log that ends suspended (a real 010's text): it has not left the queue.
  const suspended = join(ws.root, 'suspended.log');
  writeFileSync(
    suspended,
    '000 (7.000.000) 2026-03-01 08:00:00 Job submitted from host: <10.0.0.1:9618>\n...\n' +
      '001 (7.000.000) 2026-03-01 08:00:05 Job executing on host: <10.0.0.2:9618>\n...\n' +
      '010 (7.000.000) 2026-03-01 08:00:09 Job was suspended.\n\tNumber of processes actually suspended: 1\n...\n',
  );
  scenario({ procLogs: { 2: suspended, 1: eventLogPath('htcanalyze_normal_log.log') }, outputs });
  const first = await runScript('submit.ts', ['sweep.sub', '--no-wait'], { env: ws.env, timeoutMs: 60_000 });
  assert.is(first.code, 0, first.stdout + first.stderr);
  // Each look is one bounded process; the replay writes proc 2's three events within a second.
  let state = '';
  for (let look = 0; look < 100 && state !== 'suspended'; look++) {
    const json = await runScript('status.ts', ['4242', '--once', '--json'], { env: ws.env, timeoutMs: 30_000 });
    state = JSON.parse(json.stdout).jobs.find((j: { id: string }) => j.id === '4242.2')?.state ?? '';
  }
  assert.is(state, 'suspended');
  const refused = await runScript('resubmit.ts', ['4242', '--procs', '2'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /proc 2 of job 4242 has not ended \(suspended\)/);
  // The first submission ran an image built here (as `submit --local` records one with no image record).
  const path = join(ws.root, '.pixi-condor', 'jobs', '4242.json');
  const record = JSON.parse(readFileSync(path, 'utf8'));
  record.image = { reference: 'localhost/pixi-condor-local:default-0123456789ab', digest: 'sha256:'.padEnd(71, '1') };
  writeFileSync(path, JSON.stringify(record));
  const local = await runScript('resubmit.ts', ['4242', '--procs', '1'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(local.code, 1, local.stdout + local.stderr);
  assert.match(local.stderr, /an image built on this machine that no execute point can pull/);
  assert.is(ws.calls().filter((c) => c.tool === 'condor_submit').length, 1, 'nothing submitted again');
});

test('resubmit --edited-values reads the table as it was submitted, NAME=VALUE macros included (queue … from $(TABLE))', async () => {
  writeFileSync(
    join(ws.root, 'named.sub'),
    SWEEP_SUB.replace('queue lr, seed from sweep.csv', 'queue lr, seed from $(TABLE)').replace(
      'arguments = --lr $(lr) --seed $(seed)',
      'arguments = --lr $(lr) --seed $(seed) --proc $(Process)',
    ),
  );
  scenario({ procLogs: { 2: eventLogPath('htcanalyze_normal_log.log') }, outputs });
  const first = await runScript('submit.ts', ['named.sub', 'TABLE=sweep.csv', ...FOLLOW_FAST], {
    env: ws.env,
    timeoutMs: 60_000,
  });
  assert.is(first.code, 1, first.stdout + first.stderr);
  assert.match(first.stdout, /submitted job 4242/, first.stdout + first.stderr);
  writeFileSync(join(ws.root, 'sweep.csv'), '0.1, 1\n0.01, 1\n0.05, 2\n0.01, 2\n');
  // The corrected row fails again.
  scenario({ procLogs: { 0: eventLogPath('htcanalyze_normal_log.log') }, outputs });
  const again = await runScript('resubmit.ts', ['--failed', '--edited-values', ...FOLLOW_FAST], {
    env: ws.env,
    timeoutMs: 60_000,
  });
  assert.is(again.code, 1, again.stdout + again.stderr);
  assert.match(again.stdout, /lr 0\.1 → 0\.05/);
  // The job reads $(Process): said once, as it counts from 0 in the new cluster.
  assert.match(
    again.stdout,
    /note: the job's \$\(Process\) count from 0 in the new cluster \(its first proc is proc 2 of job 4242\)/,
  );
  const resubmitted = JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', '4243.json'), 'utf8'));
  assert.equal(resubmitted.procs[0].vars, { lr: '0.05', seed: '2' });
  // Its row shows the values it ran with, and the next resubmit keeps the correction.
  const results = await runScript('results.ts', ['4242', '--json'], { env: ws.env, timeoutMs: 30_000 });
  const row = JSON.parse(results.stdout).rows.find((r: { proc: number }) => r.proc === 2);
  assert.equal([row.ranAs, row.vars, row.outcome], ['4243.0', { lr: '0.05', seed: '2' }, 'failed']);
  const next = await runScript('resubmit.ts', ['4242', '--failed', '--dry-run'], { env: ws.env, timeoutMs: 30_000 });
  assert.match(next.stdout, /^ {4}0\.05, 2$/m, next.stdout);
  const json = await runScript('resubmit.ts', ['4242', '--failed', '--dry-run', '--json'], {
    env: ws.env,
    timeoutMs: 30_000,
  });
  const planned = JSON.parse(json.stdout);
  assert.equal(
    [planned.dryRun, planned.resubmitOf, planned.rows, planned.command[0]],
    [true, { cluster: 4242, procs: [2] }, ['0.05, 2'], 'condor_submit'],
  );
  // Submitted without watching: the keys a local resubmission prints too.
  const queued = await runScript('resubmit.ts', ['4242', '--failed', '--no-wait', '--json'], {
    env: ws.env,
    timeoutMs: 30_000,
  });
  assert.is(queued.code, 0, queued.stdout + queued.stderr);
  assert.equal(JSON.parse(queued.stdout), {
    cluster: 4244,
    local: false,
    watching: false,
    resubmitOf: { cluster: 4242, procs: [2] },
  });
});

test("the template's own sweep (mnist_sweep.sub, sweep.csv) unchanged: six rows, each proc's outputs in results/<cluster>/<proc>/", async () => {
  for (const name of ['mnist_sweep.sub', 'sweep.csv']) copyFileSync(join(repoRoot, name), join(ws.root, name));
  scenario({ procLogs: { 4: eventLogPath('htcanalyze_abnormal_termination.log') }, outputs });
  const submit = await runScript('submit.ts', ['mnist_sweep.sub', ...FOLLOW_FAST], { env: ws.env, timeoutMs: 60_000 });
  assert.is(submit.code, 1, submit.stdout + submit.stderr);
  const results = await runScript('results.ts', ['--best', '-loss', '--json'], { env: ws.env, timeoutMs: 30_000 });
  const doc = JSON.parse(results.stdout);
  assert.equal(doc.columns.vars, ['lr', 'seed']);
  assert.equal(
    doc.rows.map((r: { vars: Record<string, string>; outcome: string }) => [r.vars.lr, r.vars.seed, r.outcome]),
    [
      ['0.5', '1', 'completed'],
      ['0.5', '2', 'completed'],
      ['1.0', '1', 'completed'],
      ['1.0', '2', 'completed'],
      ['2.0', '1', 'failed'],
      ['2.0', '2', 'completed'],
    ],
  );
  assert.match(doc.rows[4].missing, /failed \(killed by signal 11\)/);
  assert.is(doc.rows[5].metricsPath, join(ws.root, 'results', '4242', '5', 'metrics.json'));
  assert.equal(doc.best, { metric: '-loss', proc: 0, ranAs: '4242.0' });
});

test('results before the end: running and idle procs are said to be so; --best of an unknown metric is a usage error', async () => {
  // No proc ends before results looks (their ends wait on a gate no one opens).
  scenario({ delayMs: 20, outputs, endGate: 'never' });
  const submit = await runScript('submit.ts', ['sweep.sub', '--no-wait'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(submit.code, 0, submit.stdout + submit.stderr);
  const early = await runScript('results.ts', ['--json'], { env: ws.env, timeoutMs: 30_000 });
  const doc = JSON.parse(early.stdout);
  for (const row of doc.rows) assert.match(row.missing, /not started yet|still running|no event in its log yet/);
  const bad = await runScript('results.ts', ['--best', 'f1'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /no proc has a number for 'f1' in its metrics\.json/);
  const usage = await runScript('resubmit.ts', [], { env: ws.env, timeoutMs: 30_000 });
  assert.is(usage.code, 2);
  assert.match(usage.stderr, /--failed, --held or --procs/);
});

test('a sweep pinned to a SIF: the record keeps the SIF pin, and resubmit pins the same SIF, not the Docker image', async () => {
  const image = (await readImageRecord(ws.root))!;
  const sif = `oras://ghcr.io/tester/pixi-condor@sha256:${'cd'.repeat(32)}`;
  await writeImageRecord(ws.root, { ...image, sif: { reference: sif, sha256: 'ef'.repeat(32), size: 1, file: null } });
  writeFileSync(
    join(ws.root, 'sweep.sub'),
    SWEEP_SUB.replace(
      'universe = vanilla',
      'universe = container\ncontainer_image = oras://ghcr.io/tester/pixi-condor:t-sif',
    ),
  );
  scenario({ procLogs: { 2: eventLogPath('htcanalyze_normal_log.log') }, outputs });
  const submit = await runScript('submit.ts', ['sweep.sub', ...FOLLOW_FAST], { env: ws.env, timeoutMs: 60_000 });
  assert.is(submit.code, 1, submit.stdout + submit.stderr); // row 2 failed
  const record = JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', '4242.json'), 'utf8'));
  assert.equal(record.image, { reference: image.reference, digest: image.digest, pin: sif });
  const dry = await runScript('resubmit.ts', ['--failed', '--dry-run'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(dry.code, 0, dry.stdout + dry.stderr);
  assert.ok(dry.stdout.includes(`image: ${sif} (as the first submission)`), dry.stdout);
  assert.ok(dry.stdout.includes(`-append 'container_image = ${sif}'`), dry.stdout);
  scenario({ outputs });
  const again = await runScript('resubmit.ts', ['--failed', ...FOLLOW_FAST], { env: ws.env, timeoutMs: 60_000 });
  assert.is(again.code, 0, again.stdout + again.stderr);
  const pins = ws
    .calls()
    .filter((c) => c.tool === 'condor_submit')
    .map((c) => (c.argv as string[]).find((a) => a.startsWith('container_image = ')));
  assert.equal(pins, [`container_image = ${sif}`, `container_image = ${sif}`]);
  const resubmitted = JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', '4243.json'), 'utf8'));
  assert.is(resubmitted.image.pin, sif);
});

test("a token in the first submission's recorded NAME=VALUE is masked and refused by resubmit --dry-run and by resubmit, never shown", async () => {
  const token = 'ghp_RECORDEDTOKEN123456';
  scenario({ procLogs: { 2: eventLogPath('htcanalyze_normal_log.log') }, outputs });
  const submit = await runScript('submit.ts', ['sweep.sub', ...FOLLOW_FAST], { env: ws.env, timeoutMs: 60_000 });
  assert.is(submit.code, 1, submit.stdout + submit.stderr);
  // As `submit --local` records a define it never checks (it runs no condor_submit).
  const path = join(ws.root, '.pixi-condor', 'jobs', '4242.json');
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), defines: { WANDB: token } }));
  writeFileSync(join(ws.root, '.env'), `REGISTRY_USER=u\nREGISTRY_TOKEN=${token}\n`);
  // The dry run shows the command masked, and refuses it as the real run does.
  const dry = await runScript('resubmit.ts', ['--failed', '--dry-run'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(dry.code, 1, dry.stdout + dry.stderr);
  assert.match(dry.stdout, /command: condor_submit WANDB=\*\*\* /);
  assert.match(dry.stderr, /the resubmission's condor_submit command would hold a registry or GitHub token/);
  const again = await runScript('resubmit.ts', ['--failed'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(again.code, 1, again.stdout + again.stderr);
  assert.match(again.stderr, /the resubmission's condor_submit command would hold a registry or GitHub token/);
  assert.not.ok(existsSync(join(ws.root, '.pixi-condor', 'resubmit')), 'a refused resubmission writes no file');
  for (const text of [dry.stdout, dry.stderr, again.stdout, again.stderr]) assert.not.ok(text.includes(token));
  assert.is(ws.calls().filter((c) => c.tool === 'condor_submit').length, 1, 'nothing was resubmitted');
});

test.run();
