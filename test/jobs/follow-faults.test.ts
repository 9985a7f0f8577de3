// Issue 13's follower/status/cancel defects, each reproduced: SIGTERM/SIGHUP while following,
// a log holding only another cluster's events, a hold dated long ago against --held-timeout,
// an unreadable job record, `cancel` of a job that has ended and `cancel --dry-run`'s wording.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from '../../scripts/lib/jobs/tracker.ts';
import { runScript } from '../helpers/process.ts';
import { eventLogPath } from '../condor/fixtures.ts';
import { makeWorkspace, startScript } from '../condor/workspace.ts';

const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-faults-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

for (const [signal, code] of [
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  test(`${signal} while following: stops watching with the re-attach hint, as Ctrl-C does (exit ${code})`, async () => {
    const log = join(dir, `running-${signal}.log`);
    copyFileSync(eventLogPath('htcanalyze_running_process.log'), log);
    const status = startScript('status.ts', ['--log', log, '--follow', '--interval', '40'], {});
    await status.waitFor(/5993\.0/);
    status.child.kill(signal);
    const r = await status.done;
    assert.is(r.code, code, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `stopped watching \\(${signal}\\); the job is still in the queue\\.\\n\\s+re-attach: pixi run status --log .*running-${signal}\\.log --follow`,
      ),
    );
  });
}

test("a log with only another cluster's events: it says what it sees instead of waiting silently", async () => {
  const log = join(dir, 'other-cluster.log');
  copyFileSync(eventLogPath('chtc_hello_gpu_docker_gpu.log'), log);
  const status = startScript('status.ts', ['4242', '--log', log, '--follow', '--interval', '40'], {});
  await status.waitFor(/the log has \d+ events of other clusters \(8949703\) and none of cluster 4242 yet/);
  status.child.kill('SIGINT');
  const r = await status.done;
  assert.is(r.code, 130, r.stdout + r.stderr);
});

test('a hold dated an hour back gets the whole --held-timeout, counted from when the tracker saw it', async () => {
  const logs = [eventLogPath('synthetic_held_transfer_input.log')];
  const common = { logs, cluster: null, once: false, intervalMs: 5, view: null, title: '', root: dir };
  // Real time: the hold is a year old by its date, the timeout 10 minutes: watching goes on.
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 150);
  const early = await track({ ...common, heldTimeoutMs: 10 * 60_000, signal: abort.signal });
  assert.is(early.outcome, 'interrupted', 'not held-timeout at once');
  // Ten minutes after the tracker first saw it, the timeout ends the watching.
  let clock = Date.parse('2026-03-02T12:00:00');
  let calls = 0;
  const late = await track({
    ...common,
    heldTimeoutMs: 10 * 60_000,
    now: () => (++calls > 6 ? (clock += 60_000) : clock),
  });
  assert.is(late.outcome, 'held-timeout');
  assert.is(late.held?.id, '4243.0');
});

test('a job record that is a folder: one line naming it, exit 2, no stack trace', async () => {
  const ws = await makeWorkspace();
  try {
    mkdirSync(join(ws.root, '.pixi-condor', 'jobs', '4242.json'), { recursive: true });
    const r = await runScript('status.ts', ['4242', '--once'], { env: ws.env, timeoutMs: 20_000 });
    assert.is(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /^error: \.pixi-condor\/jobs\/4242\.json cannot be read \(it is a folder\)\nhint: /);
    assert.not.match(r.stderr, /internal error|\n\s+at /);
  } finally {
    ws.cleanup();
  }
});

test('cancel of a job its log shows ended: says so, and runs no condor_rm', async () => {
  const ws = await makeWorkspace();
  try {
    ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 5 });
    const submit = await runScript('submit.ts', ['--interval', '40'], { env: ws.env, timeoutMs: 30_000 });
    assert.is(submit.code, 0, submit.stdout + submit.stderr);
    const cancel = await runScript('cancel.ts', [], { env: ws.env, timeoutMs: 20_000 });
    assert.is(cancel.code, 0, cancel.stdout + cancel.stderr);
    assert.match(cancel.stdout, /^job 4242 has already ended \(1 completed\); nothing to remove/);
    assert.not.ok(
      ws.calls().some((c) => c.tool === 'condor_rm'),
      'no condor_rm for an ended job',
    );
  } finally {
    ws.cleanup();
  }
});

test('cancel --dry-run says what it would do, not "removing"', async () => {
  const ws = await makeWorkspace();
  try {
    // The job cannot end before cancel looks (its end waits on a gate no one opens).
    ws.scenario({ mode: 'ok', log: eventLogPath('chtc_pytorch_cnn_docker_gpu.log'), delayMs: 20, endGate: 'never' });
    const submit = await runScript('submit.ts', ['--no-wait'], { env: ws.env, timeoutMs: 30_000 });
    assert.is(submit.code, 0, submit.stdout + submit.stderr);
    const cancel = await runScript('cancel.ts', ['--dry-run'], { env: ws.env, timeoutMs: 20_000 });
    assert.is(cancel.code, 0, cancel.stdout + cancel.stderr);
    assert.match(cancel.stdout, /^would remove job 4242 \(/);
    assert.not.match(cancel.stdout, /removing/);
    assert.not.ok(ws.calls().some((c) => c.tool === 'condor_rm'));
    const record = JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', '4242.json'), 'utf8'));
    assert.is(record.cluster, 4242);
    writeFileSync(join(ws.condorDir, 'scenario.json'), '{"mode":"ok"}');
  } finally {
    ws.cleanup();
  }
});

test.run();
