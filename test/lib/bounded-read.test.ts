// The one bounded reader every user-controlled file goes through (scripts/lib/bounded-read.ts):
// a regular file within its limit is read; a missing file, a folder, a FIFO, /dev/zero and a
// file over the limit are each refused with their own problem, at once (a FIFO's open would
// block a plain reader forever), and the callers that used to read on their own (.env, the
// Dockerfile) now refuse a FIFO instead of waiting on it (validate used to hang on either).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BoundedReadError, readBounded, readBoundedText } from '../../scripts/lib/bounded-read.ts';
import { repoRoot } from '../helpers/paths.ts';
import { runCommand, runScript, typeScriptNodeArgs } from '../helpers/process.ts';
import { tempWorkspace } from '../validate/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-bounded-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function problemOf(path: string, limit: number): BoundedReadError {
  try {
    readBounded(path, limit);
  } catch (error) {
    assert.instance(error, BoundedReadError);
    return error as BoundedReadError;
  }
  throw new Error(`${path} was read`);
}

test('a regular file within the limit is read whole, bad UTF-8 as U+FFFD', () => {
  const path = join(dir, 'ok.txt');
  writeFileSync(path, Buffer.concat([Buffer.from('héllo '), Buffer.from([0xff])]));
  assert.is(readBoundedText(path, 100), 'héllo \uFFFD');
  assert.is(readBounded(path, 8).length, 8, 'exactly at the limit');
});

test('missing, a folder, /dev/zero and too large: each refused with its problem', () => {
  assert.is(problemOf(join(dir, 'nope'), 10).problem, 'missing');
  assert.is(problemOf(join(dir, 'nope', 'deeper'), 10).code, 'ENOENT');
  const folder = join(dir, 'folder');
  mkdirSync(folder);
  const asFolder = problemOf(folder, 10);
  assert.is(asFolder.problem, 'not-a-file');
  assert.ok(asFolder.isDirectory);
  assert.is(problemOf('/dev/zero', 1 << 20).problem, 'not-a-file');
  const big = join(dir, 'big');
  writeFileSync(big, 'x'.repeat(101));
  const tooLarge = problemOf(big, 100);
  assert.is(tooLarge.problem, 'too-large');
  assert.is(tooLarge.size, 101);
});

// The FIFO cases run in child processes with a time limit: a reader that regressed to a
// blocking open would hang there, and the test fails instead of hanging the suite.
test('a FIFO is refused at once, not waited on', async () => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const probe = join(dir, 'probe.ts');
  writeFileSync(
    probe,
    [
      `import { BoundedReadError, readBounded } from ${JSON.stringify(join(repoRoot, 'scripts', 'lib', 'bounded-read.ts'))};`,
      'try {',
      '  readBounded(process.argv[2]!, 10);',
      "  console.log('read');",
      '} catch (error) {',
      '  const e = error as BoundedReadError;',
      '  console.log(`${e.problem} ${e.isDirectory}`);',
      '}',
      '',
    ].join('\n'),
  );
  const result = await runCommand(process.execPath, [...typeScriptNodeArgs, probe, fifo], { timeoutMs: 20_000 });
  assert.not.ok(result.timedOut, 'the open blocked on the FIFO');
  assert.is(result.stdout.trim(), 'not-a-file false', result.stderr);
});

test('validate names a FIFO .env and a FIFO Dockerfile, and does not wait on either', async () => {
  const ws = tempWorkspace();
  try {
    rmSync(join(ws.root, 'Dockerfile'));
    execFileSync('mkfifo', [join(ws.root, 'Dockerfile')]);
    execFileSync('mkfifo', [join(ws.root, '.env')]);
    const result = await runScript('validate.ts', [], {
      cwd: ws.root,
      env: { PIXI_PROJECT_ROOT: undefined },
      timeoutMs: 30_000,
    });
    assert.not.ok(result.timedOut, 'validate waited on a FIFO');
    assert.is(result.code, 1, result.stderr);
    assert.match(result.stdout, /the Dockerfile 'Dockerfile' is not a regular file/);
    assert.match(result.stdout, /cannot read \.env: not a regular file/);
  } finally {
    ws.remove();
  }
});

test.run();
