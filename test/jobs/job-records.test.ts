// The records of a workspace read once (readJobRecords) and what results derives from them: the
// newest (newestJobRecord, as latestJobRecord) and a job's resubmissions (resubmissionsIn, as
// resubmissionsOf reads them itself); an unreadable record is passed over, and `except` is not read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  JOBS_DIR,
  latestJobRecord,
  newestJobRecord,
  readJobRecords,
  writeJobRecord,
  type JobRecord,
} from '../../scripts/lib/jobs/job-store.ts';
import type { UserError } from '../../scripts/lib/errors.ts';
import { resubmissionsIn, resubmissionsOf } from '../../scripts/lib/jobs/results.ts';

const root = mkdtempSync(join(tmpdir(), 'pixi-condor-job-records-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

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

test('records read once: the newest, the resubmissions oldest first, a bad one skipped, `except` left unread', async () => {
  await writeJobRecord(root, jobRecord(4100, '2026-12-05T01:00:00.000Z'));
  await writeJobRecord(root, jobRecord(4101, '2026-12-05T03:00:00.000Z', 4100));
  await writeJobRecord(root, jobRecord(4102, '2026-12-05T02:00:00.000Z', 4100));
  await writeJobRecord(root, jobRecord(4103, '2026-12-05T04:00:00.000Z', 4000));
  writeFileSync(join(root, JOBS_DIR, '4104.json'), '{ not json');

  const skipped: UserError[] = [];
  const records = await readJobRecords(root, (problem) => skipped.push(problem));
  assert.equal(records.map((r) => r.cluster).sort(), [4100, 4101, 4102, 4103]);
  assert.is(skipped.length, 1);
  assert.match(skipped[0]!.message, /4104\.json is not valid JSON/);

  assert.is(newestJobRecord(records)?.cluster, 4103);
  assert.is((await latestJobRecord(root, () => {}))?.cluster, 4103);
  assert.is(newestJobRecord([]), null);

  assert.equal(
    resubmissionsIn(records, 4100).map((r) => r.cluster),
    [4102, 4101],
  );
  assert.equal(
    (await resubmissionsOf(root, 4100)).map((r) => r.cluster),
    [4102, 4101],
  );

  const except = await readJobRecords(root, () => {}, 4100);
  assert.equal(except.map((r) => r.cluster).sort(), [4101, 4102, 4103]);
});

test.run();
