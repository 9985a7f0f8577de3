// A fixed-seed run of the hostile-file fuzzer (fuzz-hostile.ts) in a child process with a time
// limit: YAML aliases, long and dotted keys, odd files, bytes pixi refuses in the lock. No crash,
// no hang, no secret shown, and every refused lock byte a lock/encoding error.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/paths.ts';
import { runJsonScript } from '../helpers/process.ts';
import type { HostileResult } from './fuzz-hostile.ts';

test('120 hostile workspaces (aliases, long/dotted keys, odd files, bytes pixi refuses in the lock): bounded, clean findings, no secret shown', async () => {
  const result = await runJsonScript<HostileResult>(
    join(repoRoot, 'test', 'validate', 'fuzz-hostile.ts'),
    ['20261130', '120'],
    240_000,
    'hostile fuzz',
  );
  console.log(
    `hostile fuzz: ${result.cases} cases (${Object.entries(result.byClass)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}); slowest ${result.slowestMs.toFixed(0)} ms, ${result.slowest}`,
  );
  assert.is(result.cases, 120);
  assert.equal(result.byClass, { aliases: 30, keys: 30, 'odd-files': 30, 'lock-bytes': 30 });
  assert.equal(result.crashes, []);
  assert.equal(result.badFindings, []);
  assert.equal(result.leaks, []);
});

test.run();
