// `submit`, `status` and `cancel` end to end against the stand-in condor_* tools (test/condor/bin,
// test doubles that print HTCondor's real formats and replay fixture event logs into the job's
// log). A temp copy of the workspace with a matching .pixi-condor/image.json is used each time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScript, waitUntil } from '../helpers/process.ts';
import { computeContentHash } from '../../scripts/lib/image/content-hash.ts';
import { readImageRecord, writeImageRecord, type ImageRecord } from '../../scripts/lib/image-record.ts';
import { readManifest, templateConfig, type TemplateConfig } from '../../scripts/lib/workspace.ts';
import { eventLogPath } from '../condor/fixtures.ts';
import { makeWorkspace, startScript, type TestWorkspace, FOLLOW_FAST } from '../condor/workspace.ts';
import { CLOSED_REGISTRY, pointImageAt } from './helpers.ts';

let ws: TestWorkspace;

test.before.each(async () => {
  ws = await makeWorkspace();
  // The pull check must never reach the internet from a test: a closed loopback registry.
  await pointImageAt(ws);
});
test.after.each(() => ws.cleanup());

function jobRecord(cluster: number) {
  return JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', `${cluster}.json`), 'utf8'));
}

test('success: the image pinned by digest, the job recorded, followed to exit 0 with outputs listed', async () => {
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 30 });
  const r = await runScript('submit.ts', FOLLOW_FAST, { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const [call] = ws.calls();
  assert.equal(call!.argv.slice(0, 3), [
    'mnist_gpu_docker.sub',
    '-append',
    `container_image = docker://${CLOSED_REGISTRY}/tester/pixi-condor@sha256:${'ab'.repeat(32)}`,
  ]);
  assert.is(call!.argv[3], '-append');
  assert.match(call!.argv[4]!, /^\+PixiCondorSubmitId = "[0-9a-f-]{36}"$/);
  assert.equal(call!.argv.slice(5), ['-batch-name', 'mnist_gpu_docker-abababababab']);
  assert.match(r.stdout, /submitted job 4242 \(1 proc\)/);
  assert.match(r.stdout, /4242\.0 running on gpu2000\.chtc\.wisc\.edu/);
  assert.match(r.stdout, /4242\.0 completed: exit 0/);
  assert.match(r.stdout, /mnist_cnn\.pt {2}\d+ B/);
  const record = jobRecord(4242);
  assert.equal(
    [record.cluster, record.procs.length, record.image.digest, record.submitFile],
    [4242, 1, `sha256:${'ab'.repeat(32)}`, 'mnist_gpu_docker.sub'],
  );
  assert.is(record.procs[0].log, join(ws.root, 'mnist_gpu_4242_0.log.txt'));
  assert.equal(record.procs[0].transferOutputFiles, ['mnist_cnn.pt', 'metrics.json']);
});

test("failure: the single job's return value is the exit code; the end of its error file is shown", async () => {
  ws.scenario({ mode: 'ok', log: eventLogPath('htcanalyze_normal_log.log'), delayMs: 20 });
  writeFileSync(
    join(ws.root, 'mnist_gpu_4242_0.err.txt'),
    'Traceback (most recent call last):\nRuntimeError: CUDA error: out of memory\n',
  );
  const r = await runScript('submit.ts', FOLLOW_FAST, { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /completed: exit 1/);
  assert.match(
    r.stdout,
    /last lines of mnist_gpu_4242_0\.err\.txt:\n\s+Traceback[^\n]*\n\s+RuntimeError: CUDA error: out of memory/,
  );
});

test('held: reason, code and hint, then exit 2 when the hold outlasts --held-timeout', async () => {
  ws.scenario({ mode: 'ok', log: eventLogPath('synthetic_held_transfer_input.log'), delayMs: 20 });
  const r = await runScript('submit.ts', [...FOLLOW_FAST, '--held-timeout', '1s'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stdout + r.stderr,
    /4242\.0 held\n\s+reason: Transfer input files failure .*No such file or directory \(code 13, subcode 2\)\n\s+hint \(input transfer\)/,
    r.stdout + r.stderr,
  );
  assert.match(r.stderr, /job 4242\.0 has been held for \d+s/);
  assert.match(r.stderr, /condor_release 4242\.0/);
});

test('removed: `cancel` says what it removes, condor_rm runs, submit ends with exit 2', async () => {
  // The job cannot end by itself (its end waits on a gate no one opens): it is still running
  // when cancel (a node process of its own) gets to it, however busy the machine; condor_rm ends it.
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_pytorch_cnn_docker_gpu.log'), delayMs: 20, endGate: 'end' });
  const submit = startScript('submit.ts', FOLLOW_FAST, ws.env);
  await submit.waitFor(/running on/, 30_000);
  const cancel = await runScript('cancel.ts', [], { env: ws.env, timeoutMs: 20_000 });
  assert.is(cancel.code, 0, cancel.stdout + cancel.stderr);
  assert.match(cancel.stdout, /removing job 4242 \(mnist_gpu_docker-abababababab, 1 proc/);
  assert.match(cancel.stdout, /All jobs in cluster 4242 have been marked for removal/);
  const r = await submit.done;
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /4242\.0 removed: via condor_rm \(by user tester\)/);
  assert.ok(ws.calls().some((c) => c.tool === 'condor_rm' && c.argv[0] === '4242'));
});

test('queue 3: three procs, three logs, all followed to the end', async () => {
  const text = readFileSync(join(ws.root, 'mnist_gpu_docker.sub'), 'utf8').replace(/^queue 1$/m, 'queue 3');
  writeFileSync(join(ws.root, 'three.sub'), text);
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_tensorflow_docker_gpu.log'), delayMs: 20 });
  const r = await runScript('submit.ts', ['three.sub', ...FOLLOW_FAST], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  for (const proc of [0, 1, 2]) {
    assert.match(r.stdout, new RegExp(`4242\\.${proc} completed: exit 0`));
    assert.ok(existsSync(join(ws.root, `mnist_gpu_4242_${proc}.log.txt`)));
  }
  assert.is(jobRecord(4242).procs.length, 3);
});

test('Ctrl-C stops watching, never the job; `status` re-attaches and follows it to the end', async () => {
  // The job's end waits on a gate the test opens after the Ctrl-C: it is still running when
  // the signal comes, however busy the machine.
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_pytorch_cnn_docker_gpu.log'), delayMs: 20, endGate: 'end' });
  const submit = startScript('submit.ts', FOLLOW_FAST, ws.env);
  await submit.waitFor(/running on/, 30_000);
  submit.child.kill('SIGINT');
  const first = await submit.done;
  assert.is(first.code, 130, first.stdout + first.stderr);
  assert.match(first.stderr, /stopped watching; the job is still in the queue\.\n\s+re-attach: pixi run status 4242/);
  assert.not.ok(
    ws.calls().some((c) => c.tool === 'condor_rm'),
    'Ctrl-C never removes the job',
  );
  ws.open('end');
  const again = await runScript('status.ts', FOLLOW_FAST, { env: ws.env, timeoutMs: 30_000 });
  assert.is(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /4242\.0 completed: exit 0/);
});

test('a log that appears late: wait and say so, ask condor_q once, then follow', async () => {
  // The log appears when the test opens the gate, once submit has said it waits and asked
  // condor_q: not after a delay a busy machine could outlast before submit looks.
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 20, startGate: 'log' });
  const submit = startScript('submit.ts', FOLLOW_FAST, ws.env);
  await submit.waitFor(/condor_q: 1 idle/, 30_000);
  ws.open('log');
  const r = await submit.done;
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /waiting for mnist_gpu_4242_0\.log\.txt to appear/);
  assert.match(r.stdout, /condor_q: 1 idle/);
  assert.ok(r.stdout.indexOf('waiting for') < r.stdout.indexOf('submitted (idle)'));
});

test('condor_submit refuses: its ERROR line and a hint, exit 1, no job record', async () => {
  ws.scenario({ mode: 'reject' });
  const r = await runScript('submit.ts', FOLLOW_FAST, { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 1);
  assert.match(
    r.stderr,
    /error: condor_submit failed: ERROR: Failed to commit job submission into the queue\. ERROR: This pool does not accept standard universe jobs\./,
  );
  assert.match(r.stderr, /hint: the pool refused the job/);
  assert.not.match(r.stderr, /at \w+ \(/, 'no stack trace');
  assert.equal(ws.jobFiles(), [], 'no job record, and no submission tag left behind');
});

test('terminal Ctrl-C (SIGINT to the whole process group) while condor_submit runs: it finishes, the job is recorded, then we stop (exit 130)', async () => {
  // condor_submit, once it has queued the job, waits on a gate the test opens after the Ctrl-C:
  // the signal always comes while it runs, however busy the machine.
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 20, submitGate: 'submitted' });
  const submit = startScript('submit.ts', FOLLOW_FAST, ws.env, 30_000, { detached: true });
  await submit.waitFor(/\$ condor_submit/, 30_000);
  // Wait until the stand-in has been started (it logs its call), then Ctrl-C as a terminal
  // sends it: to every process of the foreground group, condor_submit included unless it has its own.
  await waitUntil(() => ws.calls().length > 0, 'condor_submit to start');
  process.kill(-submit.child.pid!, 'SIGINT');
  ws.open('submitted');
  const r = await submit.done;
  assert.is(r.code, 130, r.stdout + r.stderr);
  assert.match(r.stdout, /submitted job 4242 \(1 proc\), recorded in \.pixi-condor\/jobs\/4242\.json/);
  assert.match(
    r.stderr,
    /stopped before watching \(SIGINT\); the job is still in the queue\.\n\s+re-attach: pixi run status 4242/,
  );
  assert.is(jobRecord(4242).cluster, 4242);
  assert.not.match(
    r.stderr,
    /condor_submit was stopped/,
    'condor_submit has a process group of its own: the Ctrl-C never reached it',
  );
  const again = await runScript('status.ts', FOLLOW_FAST, { env: ws.env, timeoutMs: 30_000 });
  assert.is(again.code, 0, again.stdout + again.stderr);
});

test('condor_submit without its cluster line: the cluster comes from its condor_watch_q hint', async () => {
  ws.scenario({
    mode: 'ok',
    log: eventLogPath('chtc_hello_gpu_docker_gpu.log'),
    delayMs: 10,
    output: 'monitor-hint-only',
  });
  const r = await runScript('submit.ts', ['--no-wait'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(jobRecord(4242).procs.length, 1);
});

test("condor_submit exits 0 but names no cluster: condor_q finds it by the submission's tag, and it is recorded", async () => {
  ws.scenario({ mode: 'ok', output: 'none' });
  const r = await runScript('submit.ts', ['--no-wait'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /condor_submit printed no cluster id; condor_q finds this submission as cluster 4242/);
  const id = /^\+PixiCondorSubmitId = "(.+)"$/.exec(ws.calls()[0]!.argv[4]!)![1];
  assert.ok(
    ws
      .calls()
      .some(
        (c) =>
          c.tool === 'condor_q' &&
          c.argv.join(' ') === `-constraint PixiCondorSubmitId == "${id}" -af ClusterId ProcId`,
      ),
  );
  assert.is(jobRecord(4242).cluster, 4242);
});

test('condor_submit killed after queueing the job: condor_q finds it by its tag, the record is written', async () => {
  // The replay never starts (a gate no one opens): the job is still in the queue when condor_q is asked.
  ws.scenario({
    mode: 'ok',
    log: eventLogPath('chtc_hello_gpu_docker_gpu.log'),
    delayMs: 10,
    startGate: 'never',
    output: 'killed',
  });
  const r = await runScript('submit.ts', ['--no-wait'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /condor_submit was stopped \(SIGTERM\) after queueing the job: condor_q finds it as cluster 4242/,
  );
  assert.match(r.stdout, /submitted job 4242 \(1 proc\), recorded in \.pixi-condor\/jobs\/4242\.json/);
  assert.is(jobRecord(4242).procs.length, 1);
});

test('condor_submit stopped before queueing: the error says nothing was queued (condor_q finds no job by its tag)', async () => {
  ws.scenario({ mode: 'ok', output: 'killed-before-queue' });
  const r = await runScript('submit.ts', ['--no-wait'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /error: condor_submit was stopped before it finished \(SIGTERM\)/);
  assert.match(r.stderr, /finds no job from this submission in the queue, so most likely nothing was queued/);
  assert.equal(ws.jobFiles(), [], 'no job record, and no submission tag left behind');
});

test('--json: stdout is one JSON document (the checklist and progress go to stderr)', async () => {
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 10 });
  const r = await runScript('submit.ts', ['--json', ...FOLLOW_FAST], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.is(doc.cluster, 4242);
  assert.equal(
    doc.jobs.map((j: { id: string; state: string }) => [j.id, j.state]),
    [['4242.0', 'completed']],
  );
  assert.match(r.stderr, /preflight[\s\S]*\$ condor_submit[\s\S]*submitted job 4242/);
  const noWait = await runScript('submit.ts', ['--json', '--no-wait'], { env: ws.env, timeoutMs: 30_000 });
  assert.equal(JSON.parse(noWait.stdout), {
    cluster: 4243,
    procs: 1,
    record: '.pixi-condor/jobs/4243.json',
    watching: false,
  });
  const dry = await runScript('submit.ts', ['--json', '--dry-run'], { env: ws.env, timeoutMs: 30_000 });
  const plan = JSON.parse(dry.stdout);
  assert.equal([plan.dryRun, plan.command[0], plan.procs.length], [true, 'condor_submit', 1]);
});

test("--dry-run: checklist, the exact command, each proc's files; nothing submitted", async () => {
  const r = await runScript('submit.ts', ['--dry-run'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /✓ image built from the current lock and Dockerfile/);
  assert.match(
    r.stdout,
    /condor_submit mnist_gpu_docker\.sub -append 'container_image = docker:\/\/127\.0\.0\.1:9\/tester\/pixi-condor@sha256:(ab){32}' -append '\+PixiCondorSubmitId = "[0-9a-f-]{36}"' -batch-name/,
  );
  assert.match(r.stdout, /log {8}mnist_gpu_\$\(Cluster\)_0\.log\.txt/);
  assert.match(r.stdout, /arguments {2}0/);
  assert.equal(ws.calls(), []);
  // A dry run writes nothing: no job record, and not even validate's cache.
  assert.equal(existsSync(join(ws.root, '.pixi-condor', 'jobs')), false);
  assert.equal(existsSync(join(ws.root, '.pixi-condor', 'validate-cache.json')), false);
});

test('preflight: a stale image or a missing input stops the submit with the fix', async () => {
  appendFileSync(join(ws.root, 'pixi.toml'), '\n# edited after the image was built\n');
  writeFileSync(join(ws.root, 'job', 'main.py'), readFileSync(join(ws.root, 'job', 'main.py'), 'utf8'));
  const stale = await runScript('submit.ts', [], { env: ws.env, timeoutMs: 30_000 });
  assert.is(stale.code, 1, stale.stdout + stale.stderr);
  assert.match(stale.stdout, /✗ image built from the current lock and Dockerfile/);
  assert.match(stale.stderr, /hint: run `pixi run build-image`/);
  assert.equal(ws.calls(), []);
});

async function rewriteImageRecord(
  change: (record: ImageRecord, config: TemplateConfig) => Promise<ImageRecord>,
): Promise<void> {
  const config = templateConfig((await readManifest(ws.root)).data);
  await writeImageRecord(ws.root, await change((await readImageRecord(ws.root))!, config));
}

test("preflight: the image's --build-arg overrides (from the record) are part of the hash it is compared with", async () => {
  await rewriteImageRecord(async (record, config) => {
    const overrides = { CUDA_VERSION: '12.8' };
    const { hash } = await computeContentHash(ws.root, { ...config, buildArgs: { ...config.buildArgs, ...overrides } });
    return { ...record, contentHash: hash, buildArgOverrides: overrides };
  });
  const r = await runScript('submit.ts', ['--dry-run'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /✓ image built from the current lock and Dockerfile/);
});

test("preflight: a stale image names only the inputs whose digest differs from the record's", async () => {
  await rewriteImageRecord(async (record, config) => {
    const { files } = await computeContentHash(ws.root, config);
    const digest = (file: string) =>
      createHash('sha256')
        .update(readFileSync(join(ws.root, file)))
        .digest('hex');
    return {
      ...record,
      inputDigests: Object.fromEntries([config.dockerfile, ...files].map((f) => [f, `sha256:${digest(f)}`])),
    };
  });
  writeFileSync(join(ws.root, 'pixi.lock'), readFileSync(join(ws.root, 'pixi.lock'), 'utf8') + '\n');
  const r = await runScript('submit.ts', ['--dry-run'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /✗ image built from the current lock and Dockerfile — \.pixi-condor\/image\.json records \S+, but pixi\.lock changed since/,
  );
});

test('preflight: no image record says to run build-image on the access point, and why that is cheap', async () => {
  rmSync(join(ws.root, '.pixi-condor', 'image.json'));
  const r = await runScript('submit.ts', ['--dry-run'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /✗ image record \.pixi-condor\/image\.json — not found\n\s+hint: on the access point, run `pixi run build-image` \(with unchanged inputs it only looks up the registry and writes the record; \.pixi-condor is not in git\)/,
  );
});

test('--no-wait records the job and exits; status --once and --json read it back', async () => {
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 10 });
  const r = await runScript('submit.ts', ['--no-wait'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /follow it with `pixi run status 4242`/);
  const done = await runScript('status.ts', ['4242', ...FOLLOW_FAST], { env: ws.env, timeoutMs: 30_000 });
  assert.is(done.code, 0, done.stdout + done.stderr);
  const json = await runScript('status.ts', ['--once', '--json'], { env: ws.env, timeoutMs: 30_000 });
  // The fields this test is about; progress, checkpoints, vars and usage are test/jobs' (track).
  const { usage: _usage, unreadableEvents: _unreadable, ...doc } = JSON.parse(json.stdout);
  for (const job of doc.jobs) for (const key of ['checkpoints', 'starts', 'progress', 'vars']) delete job[key];
  assert.equal(doc, {
    cluster: 4242,
    jobs: [
      {
        id: '4242.0',
        state: 'completed',
        exitCode: 0,
        signal: null,
        holdReason: null,
        holdCode: null,
        holdSubcode: null,
        host: 'gpu2000.chtc.wisc.edu',
      },
    ],
  });
  const unknown = await runScript('status.ts', ['999'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /no job 999 was submitted from this workspace/);
});

test.run();
