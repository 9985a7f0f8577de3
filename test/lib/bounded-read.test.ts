// The one bounded reader every user-controlled file goes through (scripts/lib/bounded-read.ts):
// a regular file within its limit is read; a missing file, a folder, a FIFO, /dev/zero and a
// file over the limit are each refused with their own problem, at once (a FIFO's open would
// block a plain reader forever), and the callers that used to read on their own (.env, the
// Dockerfile) now refuse a FIFO instead of waiting on it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BoundedReadError, readBounded, readBoundedText } from '../../scripts/lib/bounded-read.ts';
import { readEnvFile } from '../../scripts/lib/validate/env-file.ts';
import { validateWorkspace } from '../../scripts/lib/validate/index.ts';
import { byRule, summary, tempWorkspace } from '../validate/helpers.ts';

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

test('missing, a folder, a FIFO, /dev/zero and too large: each refused with its problem', () => {
  assert.is(problemOf(join(dir, 'nope'), 10).problem, 'missing');
  assert.is(problemOf(join(dir, 'nope', 'deeper'), 10).code, 'ENOENT');
  const folder = join(dir, 'folder');
  mkdirSync(folder);
  const asFolder = problemOf(folder, 10);
  assert.is(asFolder.problem, 'not-a-file');
  assert.ok(asFolder.isDirectory);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const asFifo = problemOf(fifo, 10);
  assert.is(asFifo.problem, 'not-a-file');
  assert.not.ok(asFifo.isDirectory);
  assert.is(problemOf('/dev/zero', 1 << 20).problem, 'not-a-file');
  const big = join(dir, 'big');
  writeFileSync(big, 'x'.repeat(101));
  const tooLarge = problemOf(big, 100);
  assert.is(tooLarge.problem, 'too-large');
  assert.is(tooLarge.size, 101);
});

test('.env as a FIFO is a one-line problem, not a wait for a writer', async () => {
  const root = join(dir, 'env-fifo');
  mkdirSync(root);
  execFileSync('mkfifo', [join(root, '.env')]);
  const read = await readEnvFile(root);
  assert.ok(read && 'problem' in read, JSON.stringify(read));
  assert.match((read as { problem: string }).problem, /^cannot read \.env: not a regular file/);
});

test('a Dockerfile that is a FIFO is named as such by validate, which does not wait on it', async () => {
  const ws = tempWorkspace();
  try {
    rmSync(join(ws.root, 'Dockerfile'));
    execFileSync('mkfifo', [join(ws.root, 'Dockerfile')]);
    const report = await validateWorkspace({ root: ws.root });
    const [finding] = byRule(report, 'template/dockerfile-missing');
    assert.ok(finding, summary(report));
    assert.match(finding!.message, /the Dockerfile 'Dockerfile' is not a regular file/);
  } finally {
    ws.remove();
  }
});

test.run();
