// `pixi run release`: a proc held for memory gets a larger RequestMemory in the queue
// (condor_qedit), then condor_release; against the stand-in condor, which replays a real
// out-of-memory hold (htcanalyze_aborted_with_errors.log: Code 34 Subcode 0) and prints
// condor_qedit's and condor_release's real output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEventLog } from '../../scripts/lib/event-log/event-log.ts';
import { JobTable } from '../../scripts/lib/jobs/job-state.ts';
import { planRelease } from '../../scripts/lib/jobs/release-command.ts';
import { heldFor, suggestAfterHold } from '../../scripts/lib/jobs/usage.ts';
import { runScript } from '../helpers/process.ts';
import { eventLog, eventLogPath } from '../condor/fixtures.ts';
import { makeWorkspace, type TestWorkspace, FOLLOW_FAST } from '../condor/workspace.ts';

test('the suggestion: from the limit and usage a hold reason names, else twice the request', () => {
  // htcondor.md §d.3, code 34: HTCondor's own wording of a cgroup memory hold.
  const reason =
    'Error from slot1_1@gpu7: Job has gone over cgroup memory limit of 2048 megabytes. Last measured usage: 2101 megabytes.  Consider resubmitting with a higher request_memory.';
  assert.is(suggestAfterHold(reason, 2048), '3.5GB', '2101 MB × 1.5 = 3152 MB, rounded up to half a GB');
  assert.is(suggestAfterHold('Job has encountered an out-of-memory event.', 2048), '4GB');
  assert.is(suggestAfterHold('Job has encountered an out-of-memory event.', null), null);
  assert.is(heldFor({ holdCode: 34, holdSubcode: 104, holdReason: 'x' }), 'disk');
  assert.is(
    heldFor({ holdCode: 34, holdSubcode: 0, holdReason: 'Job has encountered an out-of-memory event.' }),
    'memory',
  );
  assert.is(heldFor({ holdCode: 35, holdSubcode: 0, holdReason: 'Cannot pull image x' }), null);
});

test('the plan from a real hold: RequestMemory in MiB; another cause is left alone with its hint', () => {
  const table = new JobTable();
  for (const e of parseEventLog(eventLog('htcanalyze_aborted_with_errors.log')).events.filter((e) => e.code !== 9))
    table.apply(e);
  const pullEvents = parseEventLog(eventLog('synthetic_held_image_pull_released.log')).events;
  for (const e of pullEvents.slice(
    0,
    pullEvents.findIndex((e) => e.code === 13),
  ))
    table.apply(e);
  const held = table.list().filter((j) => j.state === 'held');
  assert.equal(
    held.map((j) => j.id),
    ['398.440', '4242.0'],
  );
  const record = { procs: [{ proc: 440, requestMemoryMb: 2048 }, { proc: 0 }] } as never;
  const [memory, pull] = planRelease(held, record, { memoryMb: null, diskKb: null });
  assert.equal(memory, { id: '398.440', resource: 'memory', edits: { RequestMemory: '4096' }, skip: null });
  assert.match(pull!.skip!, /held for image pull, not memory or disk/);
  const [forced] = planRelease(held, record, { memoryMb: 6144, diskKb: null });
  assert.equal(forced!.edits, { RequestMemory: '6144' });
});

let ws: TestWorkspace;
test.before.each(async () => {
  ws = await makeWorkspace();
});
test.after.each(() => ws.cleanup());

async function heldJob(): Promise<void> {
  ws.scenario({
    mode: 'ok',
    log: eventLogPath('htcanalyze_aborted_with_errors.log'),
    untilHold: true,
    afterRelease: eventLogPath('synthetic_held_image_pull_released.log'),
    delayMs: 5,
  });
  const submit = await runScript('submit.ts', ['--no-wait'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(submit.code, 0, submit.stdout + submit.stderr);
  // status stops at the hold (--held-timeout 0) once the replay has written it.
  const status = await runScript('status.ts', ['--held-timeout', '0', ...FOLLOW_FAST], {
    env: ws.env,
    timeoutMs: 30_000,
  });
  assert.is(status.code, 2, status.stdout + status.stderr);
  assert.match(
    status.stderr,
    /hint: .*`pixi run release 4242\.0` raises the request in the queued job \(condor_qedit\)/,
  );
}

test('--dry-run prints the condor_qedit and condor_release commands and runs neither', async () => {
  await heldJob();
  const r = await runScript('release.ts', ['--dry-run'], { env: ws.env, timeoutMs: 20_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /would set RequestMemory = 4096 MB for 4242\.0 \(held for memory\), then release it/);
  assert.match(r.stdout, /would run: condor_qedit 4242\.0 RequestMemory 4096/);
  assert.match(r.stdout, /would run: condor_release 4242\.0/);
  assert.not.ok(ws.calls().some((c) => c.tool === 'condor_qedit' || c.tool === 'condor_release'));
});

test('release: condor_qedit the request, condor_release, and the job runs to the end', async () => {
  await heldJob();
  const r = await runScript('release.ts', ['4242.0', '--memory', '3GB'], { env: ws.env, timeoutMs: 20_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Set attribute "RequestMemory" for 1 matching jobs\./);
  assert.match(r.stdout, /Job 4242\.0 released/);
  const calls = ws.calls().filter((c) => c.tool === 'condor_qedit' || c.tool === 'condor_release');
  assert.equal(
    calls.map((c) => [c.tool, ...c.argv]),
    [
      ['condor_qedit', '4242.0', 'RequestMemory', '3072'],
      ['condor_release', '4242.0'],
    ],
  );
  const after = await runScript('status.ts', FOLLOW_FAST, { env: ws.env, timeoutMs: 30_000 });
  assert.is(after.code, 0, after.stdout + after.stderr);
  assert.match(after.stdout, /4242\.0 +exit 0 .*held 1×/);
  const again = await runScript('release.ts', [], { env: ws.env, timeoutMs: 20_000 });
  assert.match(again.stdout, /nothing to release: no proc of job 4242 is held/);
});

test.run();
