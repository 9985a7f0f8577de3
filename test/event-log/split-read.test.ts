// A big log's first read on two threads (split-read.ts) leaves the job table exactly as a read
// on one thread does: real fixture logs, junk among them, an unfinished last event, MM/DD dates
// past the seam (the worker's tape is then refused and the stretch read here).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  appendFileSync,
  closeSync,
  fstatSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TrackedEvent } from '../../scripts/lib/event-log/event-log.ts';
import { LogFollower } from '../../scripts/lib/event-log/log-follower.ts';
import { startSplitRead, workerScript } from '../../scripts/lib/event-log/split-read.ts';
import { recordStretch } from '../../scripts/lib/event-log/tape-worker.ts';
import { JobTable } from '../../scripts/lib/jobs/job-state.ts';
import { repoRoot } from '../helpers/paths.ts';
import { waitUntil } from '../helpers/process.ts';
import { eventLog, eventLogNames } from '../condor/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-split-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const legacy = (text: string) => /^\d{3} \([-\d.]+\) \d\d\/\d\d /m.test(text);
const isoLogs = eventLogNames()
  .map(eventLog)
  .filter((text) => !legacy(text));
const mmddLog = eventLogNames().map(eventLog).find(legacy)!;
const JUNK = 'this is not an event\n...\n';

/** The ISO fixture logs, each under its own cluster numbers, with junk, repeated past `bytes`. */
function bigLog(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let round = 0; size < bytes; round++) {
    for (const [i, text] of isoLogs.entries()) {
      const shifted = text.replace(
        /^(\d{3} \()(\d+)\./gm,
        (_, head: string, c: string) => `${head}${Number(c) + round * 1000 + i}.`,
      );
      parts.push(shifted.endsWith('\n') ? shifted : `${shifted}\n`);
      size += shifted.length;
      if (i % 7 === 3) parts.push(JUNK);
    }
  }
  return parts.join('');
}

interface Read {
  table: JobTable;
  junk: string[];
  follower: LogFollower;
}

/** Pieces of 16 KiB: a fixture-sized log is cut in dozens, as a big one is in about 32. */
const PIECE = 16 << 10;

/** What a reader reads of each event: everything (status), no usage, or outcomes only (results). */
type Reading = { usage: boolean; hostsAndMessages: boolean };
const EVERYTHING: Reading = { usage: true, hostsAndMessages: true };
const READINGS: Reading[] = [
  EVERYTHING,
  { usage: false, hostsAndMessages: true },
  { usage: false, hostsAndMessages: false },
];

function follow(path: string, split: boolean, reading = EVERYTHING, script?: string): Read {
  const table = new JobTable(null, { changes: false, ...reading });
  const junk: string[] = [];
  const onTracked = (e: TrackedEvent) => table.apply(e);
  const follower = new LogFollower(path, {
    reuse: true,
    onEvent: (event) => table.apply(event),
    onJunk: (record) => junk.push(record.text),
    ...(split
      ? { split: { ...reading, minBytes: 0, pieceBytes: PIECE, ...(script ? { script } : {}), onTracked } }
      : {}),
  });
  return { table, junk, follower };
}

function read(path: string, split: boolean, reading = EVERYTHING, script?: string): Read {
  const r = follow(path, split, reading, script);
  r.follower.poll();
  return r;
}

/** The worker started before the poll and given time to take every piece: the poll then applies tapes only. */
async function readWorkerFirst(path: string, reading = EVERYTHING, script?: string): Promise<Read> {
  const r = follow(path, true, reading, script);
  const split = r.follower.readAhead(0);
  assert.ok(split, 'the read started');
  await waitUntil(() => split.settled(), 'the worker to take every piece', 20_000);
  r.follower.poll();
  return r;
}

function plain(r: Read) {
  return {
    jobs: r.table.list().map((job) => JSON.parse(JSON.stringify(job))),
    events: r.table.events,
    parsed: r.follower.events,
    offset: r.follower.offset,
    junk: r.junk.length,
    firstJunk: r.junk.slice(0, 3),
  };
}

const canSplit = workerScript() !== null;
if (!canSplit)
  console.log(`split-read: skipped the two-thread cases: ${process.version} runs no TypeScript in a worker`);

test("the worker's tapes give the table, counts and junk one thread gives, whatever the reading", async () => {
  if (!canSplit) return;
  const path = join(dir, 'big.log');
  writeFileSync(path, bigLog(600_000));
  for (const reading of READINGS) {
    const one = read(path, false, reading);
    const two = await readWorkerFirst(path, reading);
    assert.ok(two.follower.splitRead, 'tapes were applied');
    assert.not.ok(one.follower.splitRead);
    assert.ok(one.table.size > 100, `${one.table.size} procs`);
    assert.equal(plain(two), plain(one));
    one.follower.close();
    two.follower.close();
  }
});

test('a tape for a reader of outcomes only (results) holds no host or message; hold reasons it still holds', () => {
  const path = join(dir, 'tape.log');
  writeFileSync(path, bigLog(200_000));
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const strings = (reading: Reading) => recordStretch(fd, 0, size, reading).tape.strings;
    const all = strings(EVERYTHING);
    const outcomes = strings({ usage: false, hostsAndMessages: false });
    const one = read(path, false);
    const hosts = new Set(one.table.list().flatMap((job) => (job.host ? [job.host] : [])));
    const holds = new Set(one.table.list().flatMap((job) => (job.holdReason ? [job.holdReason] : [])));
    one.follower.close();
    assert.ok(hosts.size > 0 && [...hosts].every((host) => all.includes(host)), 'the full tape names the hosts');
    assert.ok(
      outcomes.every((text) => !hosts.has(text)),
      'the outcomes tape names none',
    );
    assert.ok(holds.size > 0 && [...holds].every((reason) => outcomes.includes(reason)), 'hold reasons stay');
  } finally {
    closeSync(fd);
  }
});

test('both threads taking pieces as they come (whoever gets each): the same table', () => {
  if (!canSplit) return;
  const path = join(dir, 'race.log');
  writeFileSync(path, bigLog(2_000_000));
  const one = read(path, false);
  for (let round = 0; round < 3; round++) {
    const two = read(path, true);
    assert.equal(plain(two), plain(one));
    two.follower.close();
  }
  one.follower.close();
});

test('an unfinished last event is left for the next poll, then read once', async () => {
  if (!canSplit) return;
  const path = join(dir, 'growing.log');
  const extra = '000 (9999999.000.000) 2026-01-01 00:00:00 Job submitted from host: <10.0.0.1:9618>\n...\n';
  writeFileSync(path, bigLog(400_000) + extra.slice(0, 30));
  const two = await readWorkerFirst(path);
  assert.ok(two.follower.splitRead);
  const one = read(path, false);
  assert.equal(plain(two), plain(one));
  assert.is(two.table.get(9999999, 0), undefined, 'half an event is not read');
  appendFileSync(path, extra.slice(30));
  two.follower.poll();
  one.follower.poll();
  assert.ok(two.table.get(9999999, 0), 'its end arrived: read');
  assert.equal(plain(two), plain(one));
  two.follower.close();
  one.follower.close();
});

test('a log grown between the read ahead and the poll: the worker stops at the old end, the poll reads on', async () => {
  if (!canSplit) return;
  const path = join(dir, 'ahead.log');
  writeFileSync(path, bigLog(400_000));
  const extra = '000 (9999998.000.000) 2026-01-01 00:00:00 Job submitted from host: <10.0.0.1:9618>\n...\n';
  const two = follow(path, true);
  const split = two.follower.readAhead(0);
  appendFileSync(path, extra);
  await waitUntil(() => split!.settled(), 'the worker to take every piece', 20_000);
  two.follower.poll();
  const one = read(path, false);
  assert.ok(one.table.get(9999998, 0) && two.table.get(9999998, 0));
  assert.equal(plain(two), plain(one));
  two.follower.close();
  one.follower.close();
});

test("MM/DD dates in the worker's pieces: their tapes are refused and the pieces read here, same table", async () => {
  if (!canSplit) return;
  const path = join(dir, 'legacy.log');
  writeFileSync(path, bigLog(300_000) + mmddLog.repeat(Math.ceil(300_000 / mmddLog.length)));
  const two = await readWorkerFirst(path);
  assert.ok(two.follower.splitRead, 'the ISO pieces came from tapes');
  assert.equal(plain(two), plain(read(path, false)));
  two.follower.close();
});

test('a worker script that cannot load answers with its error: the log is read on one thread', async () => {
  const path = join(dir, 'noworker.log');
  writeFileSync(path, bigLog(300_000));
  const two = await readWorkerFirst(path, EVERYTHING, pathToFileURL(join(dir, 'no-such-worker.cjs')).href);
  assert.not.ok(two.follower.splitRead);
  assert.equal(plain(two), plain(read(path, false)));
  two.follower.close();
});

test('a read ahead of a log replaced before the poll: the new log is read, the worker stopped', () => {
  if (!canSplit) return;
  const path = join(dir, 'replaced.log');
  writeFileSync(path, bigLog(400_000));
  const ahead = follow(path, true);
  ahead.follower.readAhead(0);
  const other = join(dir, 'other.log');
  writeFileSync(other, isoLogs[0]!);
  renameSync(other, path);
  ahead.follower.poll();
  assert.equal(plain(ahead), plain(read(path, false)));
  ahead.follower.close();
});

test('a worker that finds the log replaced reads none of it: every piece is read by the main thread', async () => {
  if (!canSplit) return;
  const path = join(dir, 'rotated.log');
  writeFileSync(path, bigLog(300_000));
  const fd = openSync(path, 'r');
  try {
    // The main thread holds the old file open; the path now names another one.
    const other = join(dir, 'rotated.new');
    writeFileSync(other, bigLog(300_000).replace(/Job terminated/g, 'Job terminated.'));
    renameSync(other, path);
    const split = startSplitRead(path, fd, fstatSync(fd).size, { usage: true, minBytes: 0, pieceBytes: PIECE })!;
    await waitUntil(() => split.settled(), 'the worker to stop', 20_000);
    assert.is(split.join().size, 0, 'no tape from the other file');
  } finally {
    closeSync(fd);
  }
});

test('a worker past its tape budget stops taking pieces: the main thread reads the rest, same table', async () => {
  if (!canSplit) return;
  const path = join(dir, 'budget.log');
  writeFileSync(path, bigLog(400_000));
  const table = new JobTable(null, { changes: false });
  const follower = new LogFollower(path, {
    reuse: true,
    onEvent: (event) => table.apply(event),
    split: { usage: true, minBytes: 0, pieceBytes: PIECE, tapeBudget: 1, onTracked: (e) => table.apply(e) },
  });
  const split = follower.readAhead(0)!;
  await waitUntil(() => split.settled(), 'the worker to stop', 20_000);
  follower.poll();
  assert.is(follower.tapedPieces, 1, 'one piece came from a tape, then the worker stopped');
  const one = read(path, false);
  assert.equal(
    [JSON.parse(JSON.stringify(table.list())), table.events],
    [JSON.parse(JSON.stringify(one.table.list())), one.table.events],
  );
  follower.close();
  one.follower.close();
});

test("the bundles' worker (log-worker.cjs) gives the same table", async () => {
  const bundle = pathToFileURL(join(repoRoot, '.build', 'bundles', 'status.cjs')).href;
  const script = workerScript(bundle)!;
  const path = join(dir, 'bundled.log');
  writeFileSync(path, bigLog(300_000));
  const two = await readWorkerFirst(path, EVERYTHING, script);
  assert.ok(two.follower.splitRead, `${script} ran`);
  assert.equal(plain(two), plain(read(path, false)));
  two.follower.close();
});

test.run();
