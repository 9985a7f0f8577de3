// Linear-time tokenising of every user file (issue 25), in a child process with a generous bound:
// a quadratic tokeniser takes minutes on these 1 MiB runs, a linear one milliseconds.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/paths.ts';
import { runJsonScript } from '../helpers/process.ts';
import type { TokeniserCase } from './tokenisers.ts';

test('queue items, items files, .env and arguments: 1 MiB runs of blanks and separators, right tokens', async () => {
  const cases = await runJsonScript<TokeniserCase[]>(
    join(repoRoot, 'test', 'submit-language', 'tokenisers.ts'),
    [String(1 << 20)],
    120_000,
    'tokeniser',
  );
  assert.is(cases.length, 10);
  for (const c of cases) assert.equal(c.got, c.want, c.name);
  const slowest = cases.reduce((a, b) => (b.ms > a.ms ? b : a));
  console.log(`  tokenisers: ${cases.length} cases on 1 MiB runs, slowest ${slowest.ms} ms (${slowest.name})`);
});

test.run();
