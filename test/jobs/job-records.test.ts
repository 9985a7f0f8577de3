// Finding a workspace's jobs (job-store.ts): the newest (latestJobRecord) and a job's
// resubmissions (resubmissionsOf), from each record's head kept in jobs/heads.json, so a record
// is read whole again only when its file changed; an unreadable record is passed over, each time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  JOBS_DIR,
  latestJobRecord,
  recordHeads,
  resubmissionsOf,
  writeJobRecord,
  type JobRecord,
} from '../../scripts/lib/jobs/job-store.ts';
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

/** A workspace of four records (4101 and 4102 resubmit 4100) and one that is not JSON. */
async function workspace(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'pixi-condor-job-records-'));
  await writeJobRecord(root, jobRecord(4100, '2026-12-05T01:00:00.000Z'));
  await writeJobRecord(root, jobRecord(4101, '2026-12-05T03:00:00.000Z', 4100));
  await writeJobRecord(root, jobRecord(4102, '2026-12-05T02:00:00.000Z', 4100));
  await writeJobRecord(root, jobRecord(4103, '2026-12-05T04:00:00.000Z', 4000));
  writeFileSync(join(root, JOBS_DIR, '4104.json'), '{ not json');
  return root;
}

const roots: string[] = [];
test.after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

test('the newest job, the resubmissions oldest first, a bad record skipped with a word each time', async () => {
  const root = await workspace();
  roots.push(root);
  for (let pass = 0; pass < 2; pass++) {
    // The second pass takes the heads kept by the first: the same answers, the bad record still said.
    const skipped: UserError[] = [];
    const heads = await recordHeads(root, (problem) => skipped.push(problem));
    assert.equal(heads.map((h) => h.cluster).sort(), [4100, 4101, 4102, 4103]);
    assert.is(skipped.length, 1);
    assert.match(skipped[0]!.message, /4104\.json is not valid JSON/);
    assert.is((await latestJobRecord(root, () => {}))?.cluster, 4103);
    assert.equal(
      (await resubmissionsOf(root, 4100)).map((r) => r.cluster),
      [4102, 4101],
    );
  }
  assert.is(await latestJobRecord(mkdtempSync(join(tmpdir(), 'pixi-condor-no-jobs-'))), null);
});

test('a record is read again only when its file changed: a kept head is used while the file is as it was', async () => {
  const root = await workspace();
  roots.push(root);
  await recordHeads(root, () => {});
  const headsPath = join(root, JOBS_DIR, 'heads.json');
  const kept = JSON.parse(readFileSync(headsPath, 'utf8')) as { format: number; heads: Record<string, unknown[]> };
  assert.equal(Object.keys(kept.heads).sort(), ['4100', '4101', '4102', '4103']);

  // A kept head that says 4100 is the newest: believed while 4100.json is unchanged (not read again).
  kept.heads['4100']![4] = '2026-12-06T00:00:00.000Z';
  writeFileSync(headsPath, JSON.stringify(kept));
  assert.is((await latestJobRecord(root, () => {}))?.cluster, 4100);

  // 4100.json changed (a byte more): its head is read from it again, and 4103 is the newest again.
  appendFileSync(join(root, JOBS_DIR, '4100.json'), '\n');
  assert.is((await latestJobRecord(root, () => {}))?.cluster, 4103);
  const again = JSON.parse(readFileSync(headsPath, 'utf8')) as { heads: Record<string, unknown[]> };
  assert.is(again.heads['4100']![4], '2026-12-05T01:00:00.000Z');

  // A record rewritten (a new file: resubmit, adopting a submission) is read again too.
  await writeJobRecord(root, jobRecord(4102, '2026-12-07T00:00:00.000Z', 4100));
  assert.is((await latestJobRecord(root, () => {}))?.cluster, 4102);
  assert.equal(
    (await resubmissionsOf(root, 4100)).map((r) => r.cluster),
    [4101, 4102],
  );

  // A record removed leaves the heads; heads.json that is not ours is ignored and written anew.
  rmSync(join(root, JOBS_DIR, '4102.json'));
  assert.is((await latestJobRecord(root, () => {}))?.cluster, 4103);
  assert.equal(Object.keys((JSON.parse(readFileSync(headsPath, 'utf8')) as { heads: object }).heads).sort(), [
    '4100',
    '4101',
    '4103',
  ]);
  writeFileSync(headsPath, '{"format": 1, "heads": {"4103": ["x"]}} trailing');
  assert.is((await latestJobRecord(root, () => {}))?.cluster, 4103);
  assert.ok(existsSync(headsPath));
  assert.equal(Object.keys((JSON.parse(readFileSync(headsPath, 'utf8')) as { heads: object }).heads).sort(), [
    '4100',
    '4101',
    '4103',
  ]);
});

test('the newest record unreadable since its head was kept: said, and the next newest is the job', async () => {
  const root = await workspace();
  roots.push(root);
  await recordHeads(root, () => {});
  const path = join(root, JOBS_DIR, '4103.json');
  // Edited in place (the same file): its head is read again, and it is refused.
  writeFileSync(path, '{ not json either');
  const skipped: UserError[] = [];
  assert.is((await latestJobRecord(root, (problem) => skipped.push(problem)))?.cluster, 4101);
  assert.ok(skipped.some((problem) => /4103\.json is not valid JSON/.test(problem.message)));
});

test.run();
