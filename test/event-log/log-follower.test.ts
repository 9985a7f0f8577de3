// Following a log that grows, appears late, is truncated or replaced; and `status --log`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEvent } from '../../scripts/lib/event-log/event-log.ts';
import { LogFollower, type ResetReason } from '../../scripts/lib/event-log/log-follower.ts';
import { runScript } from '../helpers/process.ts';
import { eventLog, eventLogDir } from '../condor/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-follow-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function follower(path: string) {
  const events: LogEvent[] = [];
  const resets: ResetReason[] = [];
  const f = new LogFollower(path, { onEvent: (e) => events.push(e), onReset: (r) => resets.push(r), chunkBytes: 64 });
  return { f, events, resets };
}

const SUBMIT = '000 (5.000.000) 2026-01-01 00:00:00 Job submitted from host: <10.0.0.1:9618>\n...\n';
const EXECUTE = '001 (5.000.000) 2026-01-01 00:00:05 Job executing on host: <10.0.0.2:9618?alias=gpu7&noUDP>\n...\n';

test('waits for a missing log, then reads only new bytes, never half an event', () => {
  const path = join(dir, 'late.log');
  const { f, events } = follower(path);
  assert.equal(f.poll(), { missing: true, bytes: 0, reset: null });
  writeFileSync(path, SUBMIT);
  assert.is(f.poll().bytes, SUBMIT.length);
  assert.is(events.length, 1);
  assert.is(f.poll().bytes, 0, 'nothing new, nothing read');
  appendFileSync(path, EXECUTE.slice(0, 40));
  f.poll();
  assert.is(events.length, 1, 'half an event is not consumed');
  appendFileSync(path, EXECUTE.slice(40));
  assert.is(f.poll().bytes, EXECUTE.length - 40);
  assert.equal(
    events.map((e) => [e.code, e.details.host ?? null]),
    [
      [0, null],
      [1, 'gpu7'],
    ],
  );
  assert.is(f.offset, SUBMIT.length + EXECUTE.length);
  f.close();
});

test('a truncated log and a replaced log are read again from the start', () => {
  const path = join(dir, 'reset.log');
  writeFileSync(path, SUBMIT + EXECUTE);
  const { f, events, resets } = follower(path);
  f.poll();
  assert.is(events.length, 2);
  writeFileSync(path, SUBMIT); // truncated in place
  f.poll();
  assert.equal(resets, ['truncated']);
  assert.is(events.length, 3);
  const other = join(dir, 'reset.log.new');
  writeFileSync(other, SUBMIT.replace('5.000', '6.000'));
  renameSync(other, path); // replaced (new inode)
  f.poll();
  assert.equal(resets, ['truncated', 'replaced']);
  assert.equal(
    events.map((e) => e.cluster),
    [5, 5, 5, 6],
  );
  f.close();
});

test('a log rewritten in place past the old offset (same size or larger) is caught by its first bytes', () => {
  const path = join(dir, 'rewrite.log');
  writeFileSync(path, SUBMIT);
  const { f, events, resets } = follower(path);
  f.poll();
  writeFileSync(path, SUBMIT.replace('5.000', '7.000') + EXECUTE);
  f.poll();
  assert.equal(resets, ['truncated']);
  assert.equal(
    events.map((e) => e.cluster),
    [5, 7, 5],
  );
  f.close();
});

test('a quiet poll costs one stat: the first bytes are read again only when size or mtime changed', () => {
  const path = join(dir, 'quiet.log');
  writeFileSync(path, SUBMIT);
  const { f, events } = follower(path);
  f.poll();
  const original = fs.readSync;
  let reads = 0;
  fs.readSync = ((...args: Parameters<typeof fs.readSync>) => {
    reads++;
    return original(...args);
  }) as typeof fs.readSync;
  syncBuiltinESMExports();
  try {
    for (let i = 0; i < 5; i++) assert.is(f.poll().bytes, 0);
    assert.is(reads, 0, 'no read while the log is unchanged');
    appendFileSync(path, EXECUTE);
    f.poll();
    assert.ok(reads >= 2, 'a grown log: its first bytes are checked and the new bytes read');
  } finally {
    fs.readSync = original;
    syncBuiltinESMExports();
  }
  assert.is(events.length, 2);
  f.close();
});

const TERMINATED = (value: number) =>
  `005 (5.000.000) 2026-01-01 00:01:00 Job terminated.\n\t(1) Normal termination (return value ${value})\n...\n`;

test('a same-size rewrite in place with its mtime put back is caught (ctime moved; first/last bytes differ)', async () => {
  const path = join(dir, 'same-size.log');
  writeFileSync(path, SUBMIT + EXECUTE + TERMINATED(0));
  fs.utimesSync(path, 1_700_000_000, 1_700_000_000); // whole seconds: put back exactly below
  const { f, events, resets } = follower(path);
  f.poll();
  const before = fs.statSync(path);
  // Past the clock tick that stamped the first write, so ctime can move.
  await new Promise((resolve) => setTimeout(resolve, 30));
  writeFileSync(path, SUBMIT + EXECUTE + TERMINATED(1));
  fs.utimesSync(path, 1_700_000_000, 1_700_000_000);
  const after = fs.statSync(path);
  assert.equal([after.size, after.mtimeMs], [before.size, before.mtimeMs], 'the rewrite hides in size and mtime');
  f.poll();
  assert.equal(resets, ['rewritten']);
  assert.equal(
    events.filter((e) => e.code === 5).map((e) => e.details.returnValue),
    [0, 1],
  );
  f.close();
});

test('even with ctime unchanged, every 8th quiet poll compares the first and last bytes (two small reads)', () => {
  const path = join(dir, 'fingerprint.log');
  writeFileSync(path, SUBMIT + EXECUTE);
  const { f } = follower(path);
  f.poll();
  const original = fs.readSync;
  const sizes: number[] = [];
  fs.readSync = ((...args: Parameters<typeof fs.readSync>) => {
    sizes.push((args as unknown[])[3] as number);
    return original(...args);
  }) as typeof fs.readSync;
  syncBuiltinESMExports();
  try {
    for (let i = 0; i < 16; i++) f.poll();
  } finally {
    fs.readSync = original;
    syncBuiltinESMExports();
  }
  assert.equal(sizes, [64, 64, 64, 64], 'two 64-byte reads on the 8th and the 16th quiet poll, nothing else');
  f.close();
});

test('a folder or a FIFO is refused with one line (a FIFO would block the open forever)', async () => {
  const folder = join(dir, 'a-folder.log');
  fs.mkdirSync(folder);
  const asFolder = await runScript('status.ts', ['--log', folder], { timeoutMs: 20_000 });
  assert.is(asFolder.code, 2, asFolder.stdout + asFolder.stderr);
  assert.match(asFolder.stderr, /^error: .*a-folder\.log is a folder, not an event log\nhint: /);
  assert.not.match(asFolder.stderr, /at |internal error/);
  const fifo = join(dir, 'a-fifo.log');
  execFileSync('mkfifo', [fifo]);
  const asFifo = await runScript('status.ts', ['--log', fifo, '--once'], { timeoutMs: 20_000 });
  assert.not.ok(asFifo.timedOut, 'status --log FIFO --once must not block');
  assert.is(asFifo.code, 2, asFifo.stdout + asFifo.stderr);
  assert.match(asFifo.stderr, /a-fifo\.log is not a regular file \(a FIFO, socket or device\), not an event log/);
  // --follow on a path that turns out to be a FIFO: the follower refuses it too.
  const followed = new LogFollower(fifo, { onEvent: () => {} });
  assert.throws(() => followed.poll(), /not a regular file/);
});

test('an event whose date cannot be read (a 5-digit year) is reported, not dropped silently', async () => {
  const path = join(dir, 'year.log');
  writeFileSync(
    path,
    `${SUBMIT}${EXECUTE}005 (5.000.000) 20260-01-01 00:01:00 Job terminated.\n\t(1) Normal termination (return value 0)\n...\n`,
  );
  const plain = await runScript('status.ts', ['--log', path], { timeoutMs: 20_000 });
  assert.match(plain.stdout, /skipped 1 unreadable event: `005 \(5\.000\.000\) 20260-01-01 .*` in year\.log/);
  const json = await runScript('status.ts', ['--log', path, '--json'], { timeoutMs: 20_000 });
  const doc = JSON.parse(json.stdout);
  assert.is(doc.unreadableEvents, 1);
  assert.is(doc.jobs[0].state, 'running', 'the terminate event was not read');
});

test('status --log PATH --json works on any event log, no HTCondor needed', async () => {
  const result = await runScript(
    'status.ts',
    ['--log', join(eventLogDir, 'synthetic_held_transfer_input.log'), '--json'],
    { timeoutMs: 20_000 },
  );
  assert.is(result.code, 2, result.stderr);
  const doc = JSON.parse(result.stdout);
  assert.equal(doc, {
    jobs: [
      {
        id: '4243.0',
        state: 'held',
        exitCode: null,
        signal: null,
        holdReason: eventLog('synthetic_held_transfer_input.log').split('\n')[6]!.trim(),
        holdCode: 13,
        holdSubcode: 2,
        // Held while its inputs were sent: the 040's `Transferring to host:` names the execute point.
        host: 'gpu2000.chtc.wisc.edu',
        checkpoints: 0,
        starts: 0,
        progress: null,
        vars: null,
      },
    ],
    usage: null,
    unreadableEvents: 0,
  });
  const ok = await runScript('status.ts', ['--log', join(eventLogDir, 'chtc_pytorch_cnn_docker_gpu.log'), '--json'], {
    timeoutMs: 20_000,
  });
  assert.is(ok.code, 0, ok.stderr);
  assert.is(JSON.parse(ok.stdout).jobs[0].state, 'completed');
  const failed = await runScript('status.ts', ['--log', join(eventLogDir, 'htcanalyze_normal_log.log')], {
    timeoutMs: 20_000,
  });
  assert.is(failed.code, 1, "the single job's return value");
  assert.match(failed.stdout, /107799\.0\s+completed/);
  assert.match(failed.stdout, /exit 1/);
});

test('status --log on a log that is not there: an error naming it, exit 2 (waiting is for --follow)', async () => {
  const result = await runScript('status.ts', ['--log', join(eventLogDir, 'no-such.log'), '--json'], {
    timeoutMs: 20_000,
  });
  assert.is(result.code, 2, result.stdout + result.stderr);
  assert.match(result.stderr, /error: event log .*no-such\.log does not exist\nhint: .*--follow/);
  assert.is(result.stdout, '');
});

test.run();
