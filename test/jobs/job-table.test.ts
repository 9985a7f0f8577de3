// The table's columns against the events: one reused event (how status and results read) gives
// the same states as an object per event; the counts, groups and usage sums kept as events come
// agree with a walk over every proc; pick() costs the procs it takes, not the table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventLogParser, parseEventLog } from '../../scripts/lib/event-log/event-log.ts';
import { JobTable, jobJson, type JobState, type JobTableOptions } from '../../scripts/lib/jobs/job-state.ts';
import { procUsage, summarizeUsage } from '../../scripts/lib/jobs/usage.ts';
import { eventLog, eventLogNames } from '../condor/fixtures.ts';
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayTape } from '../../scripts/lib/event-log/event-tape.ts';
import { recordStretch } from '../../scripts/lib/event-log/tape-worker.ts';

const REFERENCE = new Date(2026, 5, 1).getTime();

function tableOf(text: string, reuse: boolean, options: JobTableOptions = {}): JobTable {
  const table = new JobTable(null, { changes: !reuse, ...options });
  const parser = new EventLogParser({ referenceTime: REFERENCE, reuse, onEvent: (e) => table.apply(e) });
  parser.pushText(text);
  parser.end();
  return table;
}

function failed(job: JobState): boolean {
  return job.state === 'completed' && (job.exitCode !== 0 || job.signal !== null);
}

test("an output transfer then a 028 (or 022/023) and the 005 is the job's end, not a checkpoint; a 006 or a new transfer after one is", () => {
  const log = eventLog('chtc_hello_gpu_docker_gpu.log');
  const [head, end] = [log.slice(0, log.indexOf('005 (')), log.slice(log.indexOf('005 ('))];
  const adInfo = '028 (8949703.000.000) 2019-08-26 21:27:38 Job ad information event triggered.\n\tProc = 0\n...\n';
  const imageSize =
    '006 (8949703.000.000) 2019-08-26 21:27:38 Image size of job updated: 1\n\t1  -  MemoryUsage of job (MB)\n...\n';
  const disconnected =
    '022 (8949703.000.000) 2019-08-26 21:27:38 Job disconnected, attempting to reconnect\n    Socket between submit and execute hosts closed unexpectedly\n...\n' +
    '023 (8949703.000.000) 2019-08-26 21:27:38 Job reconnected to slot1@ep\n    startd address: <10.0.0.5:9618>\n...\n';
  for (const between of [adInfo, disconnected, `${disconnected}${adInfo}`])
    for (const reuse of [false, true])
      assert.is(tableOf(`${head}${between}${end}`, reuse).list()[0]!.checkpoints, 0, between);
  // A 006 says the job ran on after the upload (the shadow writes one as it grows): a checkpoint,
  // kept when a hold or removal follows.
  const held = '012 (8949703.000.000) 2019-08-26 21:29:00 Job was held.\n\tvia condor_hold\n\tCode 1 Subcode 0\n...\n';
  assert.is(tableOf(`${head}${imageSize}${held}`, true).list()[0]!.checkpoints, 1);
  // A checkpoint upload, a 006, then the final upload: the first was a checkpoint.
  const upload = head.slice(head.lastIndexOf('040 (8949703.000.000) 2019-08-26 21:27:38 Started'));
  assert.is(tableOf(`${head}${imageSize}${upload}${end}`, true).list()[0]!.checkpoints, 1);
  // Two uploads back to back, nothing between: the first was a checkpoint too.
  assert.is(tableOf(`${head}${upload}${end}`, true).list()[0]!.checkpoints, 1);
});

/**
 * The table from a tape (a split read's worker): the log written to a file, read as one stretch,
 * replayed into `table` (by default one of every cluster, with usage, hosts and messages).
 */
function tableOfTape(text: string, table = new JobTable(null, { changes: false })): JobTable {
  const dir = mkdtempSync(join(tmpdir(), 'pc-tape-'));
  try {
    const path = join(dir, 'job.log');
    writeFileSync(path, text);
    const fd = openSync(path, 'r');
    try {
      const { tape } = recordStretch(fd, 0, fstatSync(fd).size, { usage: true, hostsAndMessages: true });
      replayTape(
        tape,
        true,
        (e) => table.apply(e),
        () => {},
      );
      return table;
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const RUN = (time: string) =>
  `001 (77.000.000) 2026-03-01 ${time} Job executing on host: <10.0.0.5:9618?alias=ep5>\n...\n` +
  `040 (77.000.000) 2026-03-01 ${time} Started transferring output files\n...\n` +
  `040 (77.000.000) 2026-03-01 ${time} Finished transferring output files\n...\n`;

test('a 004 written for a requeue (max_retries) is a try that exited and runs again: no eviction, no checkpoint, its exit kept (condor_event.cpp JobEvictedEvent)', () => {
  const requeue =
    '004 (77.000.000) 2026-03-01 08:01:00 Job was evicted.\n' +
    '\t(0) Job terminated and was requeued\n' +
    '\t\tUsr 0 00:00:01, Sys 0 00:00:00  -  Run Remote Usage\n\t\tUsr 0 00:00:00, Sys 0 00:00:00  -  Run Local Usage\n' +
    '\t0  -  Run Bytes Sent By Job\n\t0  -  Run Bytes Received By Job\n' +
    '\t(1) Normal termination (return value 1)\n' +
    "\tThe job attribute OnExitRemove expression 'NumJobStarts > 1' evaluated to FALSE\n...\n";
  const end = '005 (77.000.000) 2026-03-01 08:02:00 Job terminated.\n\t(1) Normal termination (return value 0)\n...\n';
  const log = `000 (77.000.000) 2026-03-01 08:00:00 Job submitted from host: <10.0.0.1:9618>\n...\n${RUN('08:00:30')}${requeue}${RUN('08:01:30')}${end}`;
  for (const [name, table] of [
    ['objects', tableOf(log, false)],
    ['reused', tableOf(log, true)],
    ['tape', tableOfTape(log)],
  ] as const) {
    const job = table.list()[0]!;
    assert.equal(
      [job.state, job.exitCode, job.evictions, job.checkpoints, job.starts],
      ['completed', 0, 0, 0, 2],
      name,
    );
    assert.is(
      job.lastMessage,
      "exit 1, requeued: The job attribute OnExitRemove expression 'NumJobStarts > 1' evaluated to FALSE",
      name,
    );
  }
  // A signal's requeue reads as the signal.
  const signalled = requeue.replace(
    '\t(1) Normal termination (return value 1)\n',
    '\t(0) Abnormal termination (signal 9)\n\t(0) No core file\n',
  );
  const killed = tableOfTape(`${RUN('08:00:30')}${signalled}`).list()[0]!;
  assert.match(killed.lastMessage!, /^killed by signal 9, requeued/);
});

test("a 036 (the factory's cluster removed) ends the procs it never made, so the job ends (ClusterRemoveEvent)", () => {
  const log = [
    '000 (42.000.000) 2026-03-01 08:00:00 Job submitted from host: <10.0.0.1:9618>\n...\n',
    '000 (42.001.000) 2026-03-01 08:00:00 Job submitted from host: <10.0.0.1:9618>\n...\n',
    '009 (42.000.000) 2026-03-01 08:01:00 Job was aborted.\n\tvia condor_rm\n...\n',
    '009 (42.001.000) 2026-03-01 08:01:00 Job was aborted.\n\tvia condor_rm\n...\n',
    '036 (42.-01.000) 2026-03-01 08:01:01 Cluster removed\n\tMaterialized 2 jobs from 2 items.\tIncomplete\n...\n',
  ].join('');
  const build = (tape: boolean, reuse: boolean) => {
    // The procs condor_submit announced, expected before any event (as the tracker does).
    const table = new JobTable([42], { changes: !reuse });
    table.expect(42, [0, 1, 2, 3, 4], 0);
    if (tape) return tableOfTape(log, table);
    const parser = new EventLogParser({ referenceTime: REFERENCE, reuse, onEvent: (e) => table.apply(e) });
    parser.pushText(log);
    parser.end();
    return table;
  };
  for (const [tape, reuse] of [
    [false, false],
    [false, true],
    [true, true],
  ] as const) {
    const table = build(tape, reuse);
    assert.equal(
      table.list().map((j) => j.state),
      ['removed', 'removed', 'removed', 'removed', 'removed'],
      `tape ${tape}, reuse ${reuse}`,
    );
    assert.ok(table.allDone(), 'the job has ended');
    assert.match(table.list()[4]!.lastMessage!, /never made: the cluster was removed/);
  }
});

test("a 005 whose exit cannot be read leaves the job as it was, as HTCondor's reader refuses it (TerminatedEvent::readEventBody)", () => {
  const log = `${RUN('08:00:30')}005 (77.000.000) 2026-03-01 08:01:00 Job terminated.\n\t(1) Normal term\n...\n`;
  for (const [name, table] of [
    ['objects', tableOf(log, false)],
    ['reused', tableOf(log, true)],
    ['tape', tableOfTape(log)],
  ] as const)
    assert.equal([table.list()[0]!.state, table.list()[0]!.exitCode], ['running', null], name);
});

test('a reused event gives every fixture log the same table as an object per event', () => {
  for (const name of eventLogNames()) {
    const text = eventLog(name);
    const fresh = tableOf(text, false).list();
    const reused = tableOf(text, true).list();
    assert.equal(reused.map(jobJson), fresh.map(jobJson), name);
    assert.equal(
      reused.map((j) => [j.usage, j.runMs, j.startedAt, j.endedAt, j.lastMessage]),
      fresh.map((j) => [j.usage, j.runMs, j.startedAt, j.endedAt, j.lastMessage]),
      name,
    );
  }
});

test('a reader of outcomes only (results) gets the same states, exits and holds, without hosts or messages', () => {
  const facts = (job: JobState) => ({
    ...jobJson(job),
    ...{ since: job.since, startedAt: job.startedAt, endedAt: job.endedAt, runMs: job.runMs },
    ...{ evictions: job.evictions, holds: job.holds, activity: job.activity, checkpoints: job.checkpoints },
  });
  let hosts = 0;
  let messages = 0;
  for (const name of eventLogNames()) {
    const text = eventLog(name);
    const all = tableOf(text, true).list();
    const outcomes = tableOf(text, true, { usage: false, hostsAndMessages: false }).list();
    hosts += all.filter((job) => job.host !== null).length;
    messages += all.filter((job) => job.lastMessage !== null).length;
    assert.ok(
      outcomes.every((job) => job.host === null && job.lastMessage === null),
      `${name}: no host or message read`,
    );
    assert.equal(
      outcomes.map((job) => ({ ...facts(job), host: null })),
      all.map((job) => ({ ...facts(job), host: null })),
      name,
    );
  }
  assert.ok(hosts > 0 && messages > 0, 'the fixtures have hosts and messages to leave out');
});

test('counts, groups and usage kept as events come agree with a walk over every proc', () => {
  const text = eventLogNames().map(eventLog).join('');
  const table = new JobTable();
  // The groups exist from the first frame on: they are then kept up to date event by event.
  table.pick('held', 1);
  for (const event of parseEventLog(text, { referenceTime: REFERENCE }).events) table.apply(event);
  const jobs = table.list();
  assert.ok(jobs.length >= 25, `${jobs.length} procs`);
  const walk = { idle: 0, running: 0, held: 0, suspended: 0, completed: 0, removed: 0 };
  for (const job of jobs) walk[job.state]++;
  assert.equal(table.counts(), walk);
  assert.is(table.failed, jobs.filter(failed).length);
  assert.is(
    table.allDone(),
    jobs.every((j) => j.state === 'completed' || j.state === 'removed'),
  );
  const ids = (list: JobState[]) => list.map((j) => j.id).sort();
  assert.equal(ids(table.pick('held', Infinity)), ids(jobs.filter((j) => j.state === 'held')));
  assert.equal(ids(table.pick('failed', Infinity)), ids(jobs.filter(failed)));
  assert.equal(
    ids(table.pick('running', Infinity)),
    ids(jobs.filter((j) => j.state === 'running' || j.state === 'suspended')),
  );
  assert.equal(ids(table.pick('idle', Infinity)), ids(jobs.filter((j) => j.state === 'idle')));
  assert.is(table.pick('running', 2).length, Math.min(2, table.groupSize('running')));
  // The summary's sums from the columns are the sums over the procs.
  assert.equal(summarizeUsage(table), summarizeUsage(jobs));
  assert.ok(
    jobs.some((j) => procUsage(j).memoryMb !== null),
    'some fixture reports its memory',
  );
});

test('a second submit event starts its proc afresh, in the counts too (expected from the record or not)', () => {
  const id = '3.000.000';
  for (const expected of [false, true]) {
    const table = new JobTable();
    if (expected) table.expect(3, [0], 0);
    for (const event of parseEventLog(
      `000 (${id}) 2026-03-01 10:00:00 Job submitted from host: <10.0.0.1:9618>\n...\n` +
        `005 (${id}) 2026-03-01 10:05:00 Job terminated.\n\t(1) Normal termination (return value 3)\n...\n` +
        `000 (${id}) 2026-03-01 11:00:00 Job submitted from host: <10.0.0.1:9618>\n...\n`,
    ).events)
      table.apply(event);
    assert.equal(table.counts(), { idle: 1, running: 0, held: 0, suspended: 0, completed: 0, removed: 0 });
    assert.is(table.failed, 0);
    assert.equal([table.list()[0]!.state, table.list()[0]!.exitCode, table.list()[0]!.usage], ['idle', null, null]);
  }
});

test('a proc expected from the record, then read from its events: as if it had not been expected', () => {
  const text = eventLog('chtc_pytorch_cnn_docker_gpu.log');
  const plain = new JobTable();
  const expected = new JobTable();
  const first = parseEventLog(text).events[0]!;
  expected.expect(first.cluster, [first.proc], 0);
  for (const event of parseEventLog(text).events) {
    plain.apply(event);
    expected.apply(event);
  }
  assert.equal(JSON.parse(JSON.stringify(expected.list())), JSON.parse(JSON.stringify(plain.list())));
});

test.run();
