// Finding a workspace's jobs (record-heads.ts): the newest (latestJobRecord) and a job's
// resubmissions (resubmissionsOf), from each record's head kept in jobs/heads.json, so a record
// is read whole again only when its file changed; an unreadable record is passed over, each time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOBS_DIR, writeJobRecord, type JobRecord } from '../../scripts/lib/jobs/job-store.ts';
import {
  latestJob,
  latestJobRecord,
  recordHeads,
  resubmissionsOf,
  sayOnce,
} from '../../scripts/lib/jobs/record-heads.ts';
import type { UserError } from '../../scripts/lib/errors.ts';

function jobRecord(cluster: number, submittedAt: string, resubmitOf?: number): JobRecord {
  return {
    version: 1,
    cluster,
    submitFile: 'sweep.sub',
    batchName: 'sweep',
    submittedAt,
    image: null,
    gitRevision: null,
    command: ['condor_submit', 'sweep.sub'],
    procs: [],
    ...(resubmitOf !== undefined ? { resubmitOf: { cluster: resubmitOf, procs: [] } } : {}),
  };
}

const roots: string[] = [];
test.after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'pixi-condor-job-records-'));
  roots.push(root);
  return root;
}

/** A workspace of four records (4101 and 4102 resubmit 4100) and one that is not JSON. */
async function workspace(): Promise<string> {
  const root = tempRoot();
  await writeJobRecord(root, jobRecord(4100, '2026-12-05T01:00:00.000Z'));
  await writeJobRecord(root, jobRecord(4101, '2026-12-05T03:00:00.000Z', 4100));
  await writeJobRecord(root, jobRecord(4102, '2026-12-05T02:00:00.000Z', 4100));
  await writeJobRecord(root, jobRecord(4103, '2026-12-05T04:00:00.000Z', 4000));
  writeFileSync(join(root, JOBS_DIR, '4104.json'), '{ not json');
  return root;
}

const quiet = { skipped: () => {} };
const headsPath = (root: string): string => join(root, JOBS_DIR, 'heads.json');
const keptHeads = (root: string): Record<string, unknown[]> =>
  (JSON.parse(readFileSync(headsPath(root), 'utf8')) as { heads: Record<string, unknown[]> }).heads;

test('the newest job, the resubmissions oldest first, a bad record skipped with a word each time', async () => {
  const root = await workspace();
  for (let pass = 0; pass < 2; pass++) {
    // The second pass takes the heads kept by the first: the same answers, the bad record still said.
    const skipped: UserError[] = [];
    const heads = await recordHeads(root, { skipped: (problem) => skipped.push(problem) });
    assert.equal(heads.map((h) => h.cluster).sort(), [4100, 4101, 4102, 4103]);
    assert.equal(
      skipped.map((problem) => problem.message),
      ['.pixi-condor/jobs/4104.json is not valid JSON'],
    );
    assert.is((await latestJobRecord(root, quiet))?.cluster, 4103);
    assert.equal(
      (await resubmissionsOf(root, 4100)).map((r) => r.cluster),
      [4102, 4101],
    );
  }
  assert.equal(Object.keys(keptHeads(root)).sort(), ['4100', '4101', '4102', '4103']);
  // Submitted in the same second: the higher cluster is the newer.
  await writeJobRecord(root, jobRecord(4099, '2026-12-05T04:00:00.000Z'));
  await writeJobRecord(root, jobRecord(4105, '2026-12-05T04:00:00.000Z'));
  assert.is((await latestJobRecord(root, quiet))?.cluster, 4105);
  assert.is(await latestJobRecord(tempRoot()), null);
});

test('a kept head is believed while its file is unchanged, and read again once it changed', async () => {
  const root = await workspace();
  await recordHeads(root, quiet);
  // A kept head that says 4102 resubmitted nothing: believed (4102.json is not read).
  const kept = keptHeads(root);
  kept['4102']![5] = null;
  writeFileSync(headsPath(root), JSON.stringify({ format: 1, heads: kept }));
  assert.equal(
    (await resubmissionsOf(root, 4100)).map((r) => r.cluster),
    [4101],
  );
  // 4102.json grew a byte: read again.
  appendFileSync(join(root, JOBS_DIR, '4102.json'), '\n');
  assert.equal(
    (await resubmissionsOf(root, 4100)).map((r) => r.cluster),
    [4102, 4101],
  );
  assert.is(keptHeads(root)['4102']![5], 4100);

  // Edited in place, the same size, its mtime put back: only its ctime says so, and that is enough.
  // (A whole second for the mtime, which utimes sets exactly, kept before the edit.)
  const path = join(root, JOBS_DIR, '4102.json');
  utimesSync(path, 1_700_000_000, 1_700_000_000);
  await recordHeads(root, quiet);
  const before = statSync(path);
  writeFileSync(path, readFileSync(path, 'utf8').replace('2026-12-05T02:00', '2026-12-05T05:00'));
  utimesSync(path, 1_700_000_000, 1_700_000_000);
  const after = statSync(path);
  assert.equal([after.size, after.mtimeMs, after.ino], [before.size, before.mtimeMs, before.ino]);
  assert.is((await latestJobRecord(root, quiet))?.cluster, 4102);

  // Rewritten (a new file, as pixi-condor writes records) or removed: seen too.
  await writeJobRecord(root, jobRecord(4102, '2026-12-05T02:00:00.000Z', 4100));
  assert.is((await latestJobRecord(root, quiet))?.cluster, 4103);
  rmSync(join(root, JOBS_DIR, '4103.json'));
  assert.is((await latestJobRecord(root, quiet))?.cluster, 4101);
  assert.equal(Object.keys(keptHeads(root)).sort(), ['4100', '4101', '4102']);
});

test("the latest job's record checked against its kept head: a head that is not its record's means every record is read", async () => {
  const root = await workspace();
  await recordHeads(root, quiet);
  const kept = keptHeads(root);
  kept['4100']![4] = '2026-12-06T00:00:00.000Z'; // a head gone stale without its file showing it
  writeFileSync(headsPath(root), JSON.stringify({ format: 1, heads: kept }));
  const skipped: UserError[] = [];
  assert.is((await latestJobRecord(root, { skipped: (problem) => skipped.push(problem) }))?.cluster, 4103);
  assert.is(keptHeads(root)['4100']![4], '2026-12-05T01:00:00.000Z', 'the heads are written anew');
  assert.is(skipped.length, 1, 'the bad record said once, though looked at twice');

  // heads.json that is not ours (cut short, edited): ignored and written anew.
  writeFileSync(headsPath(root), '{"format": 1, "heads": {"4103": ["x"]}} trailing');
  assert.is((await latestJobRecord(root, quiet))?.cluster, 4103);
  assert.equal(Object.keys(keptHeads(root)).sort(), ['4100', '4101', '4102', '4103']);
});

test('a record that cannot even be looked at (a link to itself) is said and passed over; a dry run keeps no heads', async () => {
  const root = await workspace();
  symlinkSync('4200.json', join(root, JOBS_DIR, '4200.json'));
  writeFileSync(join(root, JOBS_DIR, '04103.json'), JSON.stringify(jobRecord(4103, '2027-01-01T00:00:00.000Z')));
  const skipped: UserError[] = [];
  assert.is((await latestJobRecord(root, { skipped: (problem) => skipped.push(problem), keep: false }))?.cluster, 4103);
  assert.equal(skipped.map((problem) => problem.message).sort(), [
    '.pixi-condor/jobs/4104.json is not valid JSON',
    '.pixi-condor/jobs/4200.json cannot be read (ELOOP)',
  ]);
  assert.not.ok(existsSync(headsPath(root)), 'keep: false writes nothing');
  assert.equal((await recordHeads(root, quiet)).map((h) => h.cluster).sort(), [4100, 4101, 4102, 4103]);
  assert.equal(Object.keys(keptHeads(root)).sort(), ['4100', '4101', '4102', '4103'], 'not 04103.json');
});

test("after a stale head, the heads read anew serve the job's resubmissions too; a dry run writes none; resubmissions in their records' order", async () => {
  const root = await workspace();
  await writeJobRecord(root, jobRecord(4103, '2026-12-05T04:00:00.000Z', 4100));
  await recordHeads(root, quiet);
  const kept = keptHeads(root);
  kept['4103']![4] = '2026-12-06T00:00:00.000Z'; // the newest, gone stale
  kept['4101']![5] = null; // and a resubmission whose kept head lost its link
  kept['4102']![4] = '2026-12-05T09:00:00.000Z'; // and one whose kept time is not its record's
  const stale = JSON.stringify({ format: 1, heads: kept });
  writeFileSync(headsPath(root), stale);

  // As `results --dry-run` looks: nothing written, each bad record said once over both looks.
  const said: UserError[] = [];
  const skipped = sayOnce((problem) => said.push(problem));
  const latest = await latestJob(root, { keep: false, skipped });
  assert.is(latest.record?.cluster, 4103);
  assert.equal(
    (await resubmissionsOf(root, 4100, { keep: false, heads: latest.heads, skipped })).map((r) => r.cluster),
    [4102, 4101, 4103],
  );
  assert.is(readFileSync(headsPath(root), 'utf8'), stale, 'a dry run writes no heads, not even after a stale one');
  assert.equal(
    said.map((problem) => problem.message),
    ['.pixi-condor/jobs/4104.json is not valid JSON'],
  );

  // Trusted heads, one kept time not its record's: the records' own times order them.
  rmSync(headsPath(root));
  await recordHeads(root, quiet);
  const again = keptHeads(root);
  again['4102']![4] = '2026-12-05T09:00:00.000Z';
  writeFileSync(headsPath(root), JSON.stringify({ format: 1, heads: again }));
  assert.equal(
    (await resubmissionsOf(root, 4100)).map((r) => r.cluster),
    [4102, 4101, 4103],
  );
});

test.run();
