// The event-log writer against the reader (every event written reads back with the fields it
// was given), against the format rules of htcondor.md §c (header, ISO date, `...` line, body
// indentation) and against a real 25.x-era fixture's shape, and through the job state table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEventLog } from '../../scripts/lib/event-log/event-log.ts';
import {
  EventLogWriter,
  formatEvent,
  formatEventTime,
  formatResourceTable,
  sinful,
  type WritableEvent,
} from '../../scripts/lib/event-log/writer.ts';
import { JobTable } from '../../scripts/lib/jobs/job-state.ts';
import { eventLogDir } from '../condor/fixtures.ts';

const AT = new Date(2026, 10, 30, 14, 2, 11).getTime();
const id = { cluster: 7, proc: 2 };
const host = sinful('laptop', 'startd_1_local');
const one = (event: WritableEvent, at = AT) => {
  const { events, junk, incomplete } = parseEventLog(formatEvent(event, id, at));
  assert.is(junk.length, 0);
  assert.is(incomplete, '');
  assert.is(events.length, 1);
  return events[0]!;
};

test('header: %03d ids, ISO local date, the first line after one space; ends with a bare ... line', () => {
  const text = formatEvent({ code: 0, submitHost: host }, id, AT);
  assert.is(text, `000 (007.002.000) 2026-11-30 14:02:11 Job submitted from host: ${host}\n...\n`);
  assert.is(formatEvent({ code: 9 }, { cluster: 8949703, proc: 0 }, AT).slice(0, 22), '009 (8949703.000.000) ');
  assert.is(formatEventTime(new Date(2027, 0, 2, 3, 4, 5).getTime()), '2027-01-02 03:04:05');
  const e = one({ code: 0, submitHost: host });
  assert.equal([e.code, e.cluster, e.proc, e.subproc, e.time], [0, 7, 2, 0, AT]);
});

test('every event reads back with the fields it was written with', () => {
  const exec = one({
    code: 1,
    executeHost: host,
    slotName: 'slot1_1@laptop',
    props: { Cpus: 1, CondorScratchDir: '/tmp/x' },
  });
  assert.equal([exec.details.host, exec.details.slot], ['laptop', 'slot1_1@laptop']);
  assert.ok(exec.body.includes('CondorScratchDir = "/tmp/x"'));
  const started = one({ code: 40, what: 'input', stage: 'started', host });
  assert.equal(started.details.transfer, { direction: 'input', stage: 'started' });
  assert.is(started.details.host, 'laptop');
  assert.equal(one({ code: 40, what: 'output', stage: 'finished' }).details.transfer, {
    direction: 'output',
    stage: 'finished',
  });
  const size = one({ code: 6, imageSizeKb: 2048, memoryUsageMb: 2, residentSetKb: 2048 });
  assert.equal([size.details.imageSizeKb, size.details.memoryUsageMb, size.details.residentSetKb], [2048, 2, 2048]);
  const done = one({
    code: 5,
    exit: { returnValue: 3 },
    bytesSent: 10,
    bytesReceived: 20,
    resources: {
      Cpus: { usage: 0.25, request: 1, allocated: 1 },
      Memory: { usage: 12, request: 2048, allocated: 2048 },
      Gpus: { usage: null, request: 1, allocated: 1, assigned: '"GPU-1234"' },
    },
  });
  assert.equal([done.details.returnValue, done.details.bytesSent, done.details.bytesReceived], [3, 10, 20]);
  const rows = done.resources()!;
  assert.equal(rows['Memory (MB)'], { usage: '12', request: '2048', allocated: '2048', assigned: null });
  assert.equal(rows.Cpus, { usage: '0.25', request: '1', allocated: '1', assigned: null });
  assert.equal(rows['Gpus (Average)']!.assigned, '"GPU-1234"');
  const killed = one({ code: 5, exit: { signal: 9 } });
  assert.equal([killed.details.signal, killed.details.returnValue], [9, undefined]);
  const held = one({
    code: 12,
    reason: 'Error from slot1_1@laptop: Docker job has gone over memory limit of 16 Mb',
    holdCode: 34,
    holdSubcode: 102,
  });
  assert.equal([held.details.holdCode, held.details.holdSubcode], [34, 102]);
  assert.is(held.details.reason, 'Error from slot1_1@laptop: Docker job has gone over memory limit of 16 Mb');
  assert.is(one({ code: 12, reason: 'two\nlines', holdCode: 3, holdSubcode: 0 }).details.reason, 'two lines');
  assert.is(
    one({ code: 13, reason: 'via condor_release (by user me)' }).details.reason,
    'via condor_release (by user me)',
  );
  assert.is(one({ code: 9, reason: 'via condor_rm (by user me)' }).details.reason, 'via condor_rm (by user me)');
  const requeued = one({ code: 4, requeued: { returnValue: 1 } });
  assert.equal([requeued.details.requeued, requeued.details.returnValue], [true, 1]);
  assert.is(one({ code: 4, reasonCode: 1025, reasonSubcode: 0 }).details.holdCode, 1025);
});

test('bodies are indented as HTCondor writes them: a tab, two before the usage lines', () => {
  const text = formatEvent(
    { code: 5, exit: { returnValue: 0 }, resources: { Cpus: { usage: null, request: 1, allocated: 1 } } },
    id,
    AT,
  );
  const lines = text.split('\n');
  assert.is(lines[1], '\t(1) Normal termination (return value 0)');
  assert.is(lines[2], '\t\tUsr 0 00:00:00, Sys 0 00:00:00  -  Run Remote Usage');
  assert.is(lines[6], '\t0  -  Run Bytes Sent By Job');
  assert.is(lines[10], '\tPartitionable Resources :    Usage  Request Allocated ');
  assert.is(lines[11], '\t   Cpus                 :                 1         1 ');
  assert.is(lines.at(-2), '...');
  // A usage over a day: D HH:MM:SS
  assert.match(
    formatEvent({ code: 5, exit: { returnValue: 0 }, runRemote: { userSeconds: 90061, systemSeconds: 5 } }, id, AT),
    /\t\tUsr 1 01:01:01, Sys 0 00:00:05 {2}- {2}Run Remote Usage/,
  );
});

test("a written 005 has the real fixture's line shapes, line for line", () => {
  const fixture = readFileSync(join(eventLogDir, 'chtc_pytorch_cnn_docker_gpu.log'), 'utf8');
  const real = fixture.slice(fixture.indexOf('005 (')).split('\n...')[0]!.split('\n');
  const ours = formatEvent(
    {
      code: 5,
      exit: { returnValue: 0 },
      resources: {
        Cpus: { usage: 0, request: 1, allocated: 20 },
        Disk: { usage: 35809, request: 512000, allocated: 725632508 },
        Memory: { usage: 1707, request: 1024, allocated: 256194 },
      },
    },
    { cluster: 8960248, proc: 0 },
    AT,
  )
    .split('\n...')[0]!
    .split('\n');
  const shape = (line: string) => line.replace(/\d+/g, 'N').replace(/ +/g, ' ').trimEnd();
  // Up to the resource table (the 2019 fixture has a column and the pre-25 trailer we leave out).
  assert.equal(ours.slice(1, 10).map(shape), real.slice(1, 10).map(shape));
  for (const row of ['Cpus', 'Disk (KB)', 'Memory (MB)'])
    assert.ok(
      ours.some((l) => l.startsWith(`\t   ${row}`)),
      row,
    );
});

test('the resource table pads whole numbers in a column of fractions, as formatUsageAd does', () => {
  const table = formatResourceTable({
    Cpus: { usage: 0.5, request: 1, allocated: 1 },
    Memory: { usage: 3, request: 2, allocated: 2 },
  });
  assert.ok(table.includes('\n\t   Memory (MB)          :     3           2         2 \n'), JSON.stringify(table));
  assert.ok(table.includes('\n\t   Cpus                 :     0.50        1         1 \n'), JSON.stringify(table));
});

test('written logs drive the job table through a whole life: submit, transfer, run, hold, release, terminate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-writer-'));
  try {
    let now = AT;
    const writer = new EventLogWriter(() => (now += 1000));
    const log = join(dir, 'sub', 'job.log');
    const events: WritableEvent[] = [
      { code: 0, submitHost: host },
      { code: 40, what: 'input', stage: 'started', host },
      { code: 40, what: 'input', stage: 'finished' },
      { code: 1, executeHost: host, slotName: 'slot1_1@laptop' },
      { code: 12, reason: 'r', holdCode: 12, holdSubcode: 2 },
      { code: 13, reason: 'via condor_release (by user me)' },
      { code: 1, executeHost: host, slotName: 'slot1_1@laptop' },
      { code: 5, exit: { returnValue: 0 } },
    ];
    await Promise.all(events.map((e) => writer.write(log, id, e)));
    await writer.flush();
    const { events: read } = parseEventLog(readFileSync(log));
    assert.equal(
      read.map((e) => e.code),
      [0, 40, 40, 1, 12, 13, 1, 5],
    );
    const table = new JobTable([7]);
    for (const e of read) table.apply(e);
    const job = table.list()[0]!;
    assert.equal([job.state, job.exitCode, job.holds, job.starts, job.host], ['completed', 0, 1, 2, 'laptop']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a link at the log's name (left by a job run in initialdir) is not written through: the append fails", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-writer-'));
  try {
    const victim = join(dir, 'profile');
    writeFileSync(victim, 'PRECIOUS\n');
    const log = join(dir, 'job.log');
    symlinkSync(victim, log);
    const writer = new EventLogWriter(() => AT);
    let failed: NodeJS.ErrnoException | null = null;
    await writer.write(log, id, { code: 0, submitHost: host }).catch((error) => (failed = error));
    assert.is((failed as NodeJS.ErrnoException | null)?.code, 'ELOOP');
    assert.is(readFileSync(victim, 'utf8'), 'PRECIOUS\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
