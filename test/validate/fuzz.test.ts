// A fixed-seed, small fuzz run (bench/validate runs 10,000 cases): no crash, no hang, and every
// finding is a clean error with a rule and a position. Runs in a child process so a hang is a
// bounded failure, not a stuck test run.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/paths.ts';
import { runJsonScript } from '../helpers/process.ts';
import type { FuzzResult } from './fuzz.ts';

test('300 random mutations of real manifests: no crash, no hang, clean findings', async () => {
  const result = await runJsonScript<FuzzResult>(
    join(repoRoot, 'test', 'validate', 'fuzz.ts'),
    ['20260825', '300'],
    60_000,
    'fuzz',
  );
  console.log(
    `manifest fuzz: ${result.cases} cases, ${result.invalid} invalid, slowest ${result.slowestMs.toFixed(0)} ms`,
  );
  assert.is(result.cases, 300);
  assert.equal(result.crashes, []);
  assert.equal(result.badFindings, []);
  assert.is(result.prototypePolluted, false);
  assert.ok(result.invalid > 30, `only ${result.invalid} of 300 mutants were invalid: the mutations are too gentle`);
});

test.run();
