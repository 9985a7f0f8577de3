// A fixed-seed fuzz run of the job-record readers (issue 25): every structural mutant of a sweep's
// record is refused with the field named or read without a crash. In a child process with a time
// limit, so a hang is a bounded failure. More cases: node test/jobs/record-fuzz.ts SEED COUNT
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/paths.ts';
import { runJsonScript } from '../helpers/process.ts';
import type { RecordFuzzResult } from './record-fuzz.ts';

test('1,500 mutated job records: refused as user errors or read without a crash', async () => {
  const result = await runJsonScript<RecordFuzzResult>(
    join(repoRoot, 'test', 'jobs', 'record-fuzz.ts'),
    ['20261205', '1500'],
    120_000,
    'record fuzz',
  );
  console.log(`  record fuzz: ${result.cases} cases, ${result.accepted} read, ${result.refused} refused`);
  assert.is(result.cases, 1500);
  assert.equal(result.crashes, []);
  assert.ok(result.accepted > 50 && result.refused > 500, 'the mutants should both pass and fail');
});

test.run();
