// A finished job's table kept beside its record (recorded-outcomes.ts): taken instead of the
// logs only while every log is the very file it was made from; anything odd about the kept file
// and the logs are read, never an error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEventLog } from '../../scripts/lib/event-log/event-log.ts';
import { JobTable } from '../../scripts/lib/jobs/job-state.ts';
import type { ProcRecord } from '../../scripts/lib/jobs/job-store.ts';
import { outcomesPath, recordedOutcomes, recordOutcomes } from '../../scripts/lib/jobs/recorded-outcomes.ts';
import { readJobAhead, readJobOnce, track } from '../../scripts/lib/jobs/tracker.ts';
import { watchJob } from '../../scripts/lib/jobs/watch.ts';
import { LogSet } from '../../scripts/lib/jobs/log-set.ts';
import { eventLog, eventLogNames } from '../condor/fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'pixi-condor-outcomes-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** A fixture log whose every proc of its first cluster ended, with that cluster and its procs. */
const finished = (() => {
  for (const name of eventLogNames()) {
    const text = eventLog(name);
    const events = parseEventLog(text).events.filter((e) => e.proc >= 0);
    if (events.length === 0) continue;
    const cluster = events[0]!.cluster;
    const table = new JobTable([cluster]);
    for (const e of events) table.apply(e);
    if (table.allDone() && table.size >= 1 && table.events > 5)
      return { name, text, cluster, procs: table.list().map((j) => j.proc) };
  }
  throw new Error('no fixture log of a finished job');
})();

const logPath = join(root, 'job.log');

function record(procs = finished.procs) {
  const proc = (n: number) => ({ proc: n, log: logPath }) as ProcRecord;
  return { cluster: finished.cluster, procs: procs.map(proc) };
}

/** What a reader reads of each proc: everything (status), or outcomes only (results). */
type Reading = { usage: boolean; hostsAndMessages: boolean };
const EVERYTHING: Reading = { usage: true, hostsAndMessages: true };
const OUTCOMES: Reading = { usage: false, hostsAndMessages: false };

const plain = async (reading = EVERYTHING) => {
  const result = await readJobAhead(record(), root, { ...reading, ahead: false }).finish();
  return {
    jobs: JSON.parse(JSON.stringify(result.table.list())),
    events: result.table.events,
    junk: result.junk,
    samples: result.junkSamples,
    missing: result.missing,
  };
};

const key = (reading = EVERYTHING) => ({
  cluster: finished.cluster,
  procs: finished.procs,
  logs: [logPath],
  ...reading,
});

/** A fresh log and no kept table; then a read that keeps one. */
async function keptFromFreshLog(reading = EVERYTHING): Promise<void> {
  writeFileSync(logPath, `${finished.text}\nnot an event\n...\n`);
  rmSync(outcomesPath(root, finished.cluster), { force: true });
  await readJobAhead(record(), root, { ...reading, ahead: false, record: true }).finish();
}

test(`a finished job's table is kept and taken back as read from the log (${finished.name})`, async () => {
  for (const reading of [EVERYTHING, OUTCOMES]) {
    await keptFromFreshLog(reading);
    assert.ok(existsSync(outcomesPath(root, finished.cluster)), 'kept');
    assert.ok(recordedOutcomes(root, key(reading)), 'taken back');
    const fromKept = await plain(reading);
    rmSync(outcomesPath(root, finished.cluster));
    assert.equal(fromKept, await plain(reading));
    assert.ok(fromKept.junk >= 1, 'the junk count is kept too');
  }
});

/** The recorded job watched as status and submit follow it (watchJob; `--once` or not), its output kept quiet. */
async function followOnce(once = true): Promise<string> {
  let shown = '';
  const write = (text: string) => {
    shown += text;
    return true;
  };
  const out = { write, isTTY: false, columns: 120, rows: 40 } as unknown as NodeJS.WriteStream;
  await watchJob({
    ...{ root, logs: [logPath], cluster: finished.cluster, procs: record().procs, title: 'test' },
    once,
    json: false,
    heldTimeoutMs: Number.POSITIVE_INFINITY,
    intervalMs: 0,
    out,
  });
  return shown;
}

test('a job followed to its end (status, submit) is kept as a read of its logs gives it, and results takes it', async () => {
  writeFileSync(logPath, finished.text);
  rmSync(outcomesPath(root, finished.cluster), { force: true });
  await followOnce(false);
  assert.ok(existsSync(outcomesPath(root, finished.cluster)), 'kept by a follow to the end');
  rmSync(outcomesPath(root, finished.cluster));
  await followOnce();
  assert.ok(existsSync(outcomesPath(root, finished.cluster)), 'kept by --once');
  assert.ok(recordedOutcomes(root, key(OUTCOMES)), 'results (outcomes only) takes it');
  assert.ok(recordedOutcomes(root, key(EVERYTHING)), 'and so does a reader of everything');
  const fromKept = await plain(EVERYTHING);
  const kept = statSync(outcomesPath(root, finished.cluster));
  await followOnce();
  const again = statSync(outcomesPath(root, finished.cluster));
  assert.equal([again.ino, again.mtimeMs], [kept.ino, kept.mtimeMs], 'followed again: not written again');
  rmSync(outcomesPath(root, finished.cluster));
  assert.equal(fromKept, await plain(EVERYTHING));

  // A table results kept (outcomes only) is replaced by the fuller one a follow reads.
  await keptFromFreshLog(OUTCOMES);
  assert.not.ok(recordedOutcomes(root, key(EVERYTHING)), 'results kept less');
  await followOnce();
  assert.ok(recordedOutcomes(root, key(EVERYTHING)), 'the follow kept everything');
});

test('a follow of an ended job kept already shows the kept table; the line-per-change output reads the log', async () => {
  writeFileSync(logPath, `${finished.text}\nnot an event\n...\n`);
  rmSync(outcomesPath(root, finished.cluster), { force: true });
  const fromLog = await followOnce();
  assert.match(fromLog, /skipped 1 unreadable event/);
  // Mark the kept table: a junk count no read of the log gives.
  const path = outcomesPath(root, finished.cluster);
  writeFileSync(path, readFileSync(path, 'latin1').replace(/"junk":1,/, '"junk":99,'), 'latin1');
  assert.ok(recordedOutcomes(root, key(EVERYTHING)), 'the marked file holds together');
  const fromKept = await followOnce();
  assert.match(fromKept, /skipped 99 unreadable events/, 'the kept table was shown');
  assert.equal(fromKept.replaceAll('skipped 99 unreadable events', 'skipped 1 unreadable event'), fromLog);
  assert.not.match(await followOnce(false), /skipped 99/, 'the line-per-change output read the log');
});

test('every ended fixture job: a later follow shows from the kept table what a read of the log shows', async () => {
  let compared = 0;
  for (const name of eventLogNames()) {
    const text = eventLog(name);
    const events = parseEventLog(text).events.filter((e) => e.proc >= 0);
    if (events.length === 0 || /^\d{3} \([-\d.]+\) \d\d\/\d\d /m.test(text)) continue; // MM/DD logs are never kept
    const cluster = events[0]!.cluster;
    const table = new JobTable([cluster]);
    for (const e of events) table.apply(e);
    if (!table.allDone()) continue;
    const procs = table.list().map((j) => ({ proc: j.proc, log: logPath }) as ProcRecord);
    for (const json of [false, true]) {
      writeFileSync(logPath, text);
      rmSync(outcomesPath(root, cluster), { force: true });
      const follow = async () => {
        let shown = '';
        const write = (t: string) => {
          shown += t;
          return true;
        };
        const out = { write, isTTY: false, columns: 120, rows: 40 };
        const code = await watchJob({
          ...{ root, logs: [logPath], cluster, procs, title: name, once: true, json },
          ...{ heldTimeoutMs: Number.POSITIVE_INFINITY, intervalMs: 0, out: out as unknown as NodeJS.WriteStream },
        });
        return { code, shown };
      };
      const fromLog = await follow();
      assert.ok(existsSync(outcomesPath(root, cluster)), `${name}: kept`);
      assert.equal(await follow(), fromLog, `${name}${json ? ' --json' : ''}`);
      compared++;
    }
  }
  assert.ok(compared >= 10, `${compared} comparisons`);
});

test('a job followed before its end, or whose log ends in an event still being written, is not kept', async () => {
  const events = finished.text.split(/^\.\.\.\r?\n/m);
  const cutShort = `${events.slice(0, -2).join('...\n')}...\n`;
  const unfinished = `${finished.text}\n006 (${finished.cluster}.${finished.procs[0]}.000) 2026-01-01 00:00:00 Image size of job updated: 1\n`;
  // MM/DD dates: their year follows from the reference time, which another reader may take otherwise.
  const legacyDates = finished.text.replace(/^(\d{3} \([^)]*\) )\d{4}-(\d\d)-(\d\d)[ T]/gm, '$1$2/$3 ');
  assert.ok(parseEventLog(legacyDates).events.length > 5, 'the MM/DD copy parses');
  for (const [what, text] of [
    ['procs still running', cutShort],
    ['an event still being written', unfinished],
    ['MM/DD dates', legacyDates],
  ] as const) {
    writeFileSync(logPath, text);
    rmSync(outcomesPath(root, finished.cluster), { force: true });
    await followOnce();
    assert.not.ok(existsSync(outcomesPath(root, finished.cluster)), what);
  }
});

test('a log that grows between the last read of a follow and the keeping: nothing kept', async () => {
  writeFileSync(logPath, finished.text);
  rmSync(outcomesPath(root, finished.cluster), { force: true });
  const read = () =>
    track({
      ...{ logs: [logPath], cluster: finished.cluster, procs: finished.procs, root, title: '' },
      ...{ once: true, heldTimeoutMs: Number.POSITIVE_INFINITY, intervalMs: 0, view: null },
    });
  recordOutcomes(root, key(), await read());
  assert.ok(existsSync(outcomesPath(root, finished.cluster)), 'kept when the log is as read');
  rmSync(outcomesPath(root, finished.cluster));
  const result = await read();
  appendFileSync(logPath, `006 (${finished.cluster}.${finished.procs[0]}.000) 2026-01-01 00:00:00 Image size\n...\n`);
  recordOutcomes(root, key(), result);
  assert.not.ok(existsSync(outcomesPath(root, finished.cluster)), 'the log grew after the read');
});

test('results reads outcomes only: no host, no message', async () => {
  writeFileSync(logPath, finished.text);
  rmSync(outcomesPath(root, finished.cluster), { force: true });
  const everything = await plain(EVERYTHING);
  const outcomes = await plain(OUTCOMES);
  assert.ok(
    everything.jobs.some((job: { host: string | null }) => job.host !== null),
    'the log names hosts',
  );
  assert.ok(outcomes.jobs.every((job: { host: string | null }) => job.host === null));
});

test('a log that grew, was rewritten or replaced: the kept table is not taken, the log is read', async () => {
  const extra = `000 (${finished.cluster}.999.000) 2026-01-01 00:00:00 Job submitted from host: <10.0.0.1:9618>\n...\n`;
  await keptFromFreshLog();
  appendFileSync(logPath, extra);
  assert.is(recordedOutcomes(root, key()), null, 'grown');
  const grown = await readJobOnce(record([...finished.procs, 999]), root);
  assert.ok(grown.table.get(finished.cluster, 999), 'the new event is read');

  await keptFromFreshLog();
  const same = readFileSync(logPath);
  rmSync(logPath);
  writeFileSync(logPath, same);
  assert.is(recordedOutcomes(root, key()), null, 'replaced by a copy (another inode)');
});

test('only a finished job is kept, and a table kept for other procs, without usage or without hosts is not taken', async () => {
  writeFileSync(logPath, finished.text);
  rmSync(outcomesPath(root, finished.cluster), { force: true });
  // One more proc expected, never in the log: not every proc ended.
  await readJobAhead(record([...finished.procs, 998]), root, { ahead: false, record: true }).finish();
  assert.not.ok(existsSync(outcomesPath(root, finished.cluster)), 'an unfinished job is not kept');
  await keptFromFreshLog(OUTCOMES);
  assert.is(recordedOutcomes(root, { ...key(), procs: [...finished.procs, 7777] }), null, 'other procs');
  assert.is(recordedOutcomes(root, key({ ...OUTCOMES, usage: true })), null, 'kept without usage, asked with');
  assert.is(
    recordedOutcomes(root, key({ ...OUTCOMES, hostsAndMessages: true })),
    null,
    'kept without hosts, asked with',
  );
  assert.ok(recordedOutcomes(root, key(OUTCOMES)));
});

test('a log replaced during a follow: its junk is counted once, as a fresh read counts it', async () => {
  writeFileSync(logPath, `${finished.text}\nnot an event\n...\n`);
  rmSync(outcomesPath(root, finished.cluster), { force: true });
  const fresh = await plain();
  const logs = new LogSet({
    ...{ logs: [logPath], cluster: finished.cluster, procs: finished.procs, changes: false },
    ...{ usage: true, hostsAndMessages: true, now: Date.now },
  });
  logs.poll(false);
  // Replaced by a copy (another inode): the set reads it again from its start.
  const copy = `${logPath}.new`;
  writeFileSync(copy, readFileSync(logPath));
  renameSync(copy, logPath);
  assert.ok(logs.poll(false).reset, 'the replacement was seen');
  assert.is(logs.junk, fresh.junk);
  assert.is(logs.junkSamples.length, fresh.samples?.length);
  logs.close();
});

test('a kept file that does not hold together is ignored: the log is read', async () => {
  const expected = await (async () => {
    await keptFromFreshLog();
    rmSync(outcomesPath(root, finished.cluster));
    return plain();
  })();
  const damage: [string, (path: string, bytes: Buffer) => void][] = [
    ['cut short', (path, bytes) => truncateSync(path, bytes.length - 3)],
    [
      'another format',
      (path, bytes) =>
        writeFileSync(path, Buffer.concat([Buffer.from('pixi-condor outcomes 9\n'), bytes.subarray(23)])),
    ],
    [
      'header not JSON',
      (path, bytes) =>
        writeFileSync(
          path,
          Buffer.concat([bytes.subarray(0, 23), Buffer.from('{oops\n'), bytes.subarray(bytes.indexOf(10, 23) + 1)]),
        ),
    ],
    [
      'a text id past the texts',
      (path, bytes) => {
        const header = JSON.parse(bytes.toString('utf8', 23, bytes.indexOf(10, 23)));
        header.strings = [];
        writeFileSync(
          path,
          Buffer.concat([
            bytes.subarray(0, 23),
            Buffer.from(`${JSON.stringify(header)}\n`),
            bytes.subarray(bytes.indexOf(10, 23) + 1),
          ]),
        );
      },
    ],
    [
      'a proc not ended',
      (path, bytes) => {
        // Each proc's state byte (column `f.state`) set to 1, running: a table of a job not finished.
        const headerEnd = bytes.indexOf(10, 23);
        const header = JSON.parse(bytes.toString('utf8', 23, headerEnd)) as { columns: [string, number][] };
        let at = headerEnd + 1;
        for (const [name, length] of header.columns) {
          if (name === 'f.state') bytes.fill(1, at, at + length);
          at += length;
        }
        writeFileSync(path, bytes);
      },
    ],
    [
      'a folder',
      (path) => {
        rmSync(path);
        mkdirSync(path);
      },
    ],
  ];
  for (const [what, spoil] of damage) {
    await keptFromFreshLog();
    const path = outcomesPath(root, finished.cluster);
    spoil(path, readFileSync(path));
    assert.is(recordedOutcomes(root, key()), null, what);
    assert.equal(await plain(), expected, what);
    rmSync(path, { recursive: true, force: true });
  }
});

test.run();
