// A fixed-seed fuzz run of the submit-language reader over the classes of issue 13 (mutated real
// files, growing macros, long keys, odd files, queue-from tables, credentials): every case ends in
// a plan or a UserError, fast, and never shows the planted token. In a child process so a hang is a
// bounded failure. More cases: node --import tsx test/submit-language/fuzz.ts SEED COUNT
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/paths.ts';
import { runJsonScript } from '../helpers/process.ts';
import { CLASSES, type FuzzResult } from './fuzz.ts';

test('180 generated submit files (30 per class): no crash, no hang, no credential shown', async () => {
  const result = await runJsonScript<FuzzResult>(
    join(repoRoot, 'test', 'submit-language', 'fuzz.ts'),
    ['20261130', '180'],
    150_000,
    'fuzz',
  );
  console.log(
    `  submit-language fuzz: ${result.cases} cases (${CLASSES.map((c) => `${c} ${result.byClass[c]}`).join(', ')}); ${result.plans} planned, ${result.userErrors} refused, slowest ${result.slowestMs} ms (${result.slowestClass})`,
  );
  assert.is(result.cases, 180);
  assert.equal(result.crashes, []);
  assert.equal(result.leaks, []);
  assert.ok(result.plans > 20 && result.userErrors > 20, 'the cases should both plan and fail');
});

test.run();
