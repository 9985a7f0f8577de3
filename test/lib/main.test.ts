// runMain (scripts/lib/main.ts), which every entry calls without a top-level await (bundles are
// CommonJS): the exit code is main's, a user error is one line, and a main whose promise never
// settles is an internal error (70), not a silent exit 0.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/paths.ts';
import { runCommand, typeScriptNodeArgs } from '../helpers/process.ts';

const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-main-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Run `void runMain(<body>)` in a child process (bounded), as an entry does. */
async function entry(name: string, body: string) {
  const file = join(dir, `${name}.ts`);
  writeFileSync(
    file,
    [
      `import { runMain } from ${JSON.stringify(join(repoRoot, 'scripts', 'lib', 'main.ts'))};`,
      `import { UserError } from ${JSON.stringify(join(repoRoot, 'scripts', 'lib', 'errors.ts'))};`,
      'void UserError;',
      `void runMain(${body});`,
      '',
    ].join('\n'),
  );
  return runCommand(process.execPath, [...typeScriptNodeArgs, file], { timeoutMs: 20_000 });
}

test("main's number is the exit code", async () => {
  const result = await entry('code', 'async () => 3');
  assert.is(result.code, 3, result.stderr);
  assert.is(result.stderr, '');
});

test('a user error: one line and its exit code, no stack', async () => {
  const result = await entry('user', "async () => { throw new UserError('no such thing', { exitCode: 2 }); }");
  assert.is(result.code, 2);
  assert.match(result.stderr, /^error: no such thing\n$/);
});

test('a main whose promise never settles ends as an internal error, not exit 0', async () => {
  const result = await entry('unsettled', 'async () => { await new Promise(() => {}); return 0; }');
  assert.not.ok(result.timedOut);
  assert.is(result.code, 70, result.stderr);
  assert.match(result.stderr, /internal error .*never settled/);
});

test.run();
