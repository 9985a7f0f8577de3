// Issue 25: limits are checked before the work, and sizes follow one rule. `queue 4294967296`
// planned 100,000 procs (11 s, 715 MB) before refusing; `release --memory 9999999999999999999TB`
// became RequestMemory 1.048576e+25 while `1e30` was refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../scripts/lib/errors.ts';
import { MAX_SIZE_KB, readSize } from '../../scripts/lib/sizes.ts';
import { parseSubmitText } from '../../scripts/lib/submit-language/submit-file.ts';
import { planSubmit } from '../../scripts/lib/submit-language/submit-plan.ts';
import { runScript } from '../helpers/process.ts';
import { makeWorkspace } from '../condor/workspace.ts';

function planError(text: string, cwd = tmpdir()): UserError {
  try {
    planSubmit(parseSubmitText(text, 'limits.sub'), { submitFile: 'limits.sub', cwd, cluster: 1, env: process.env });
  } catch (error) {
    assert.instance(error, UserError);
    return error as UserError;
  }
  throw new Error('planned');
}

test('queue 4294967296: refused before any proc is planned, naming the count and the line', () => {
  const error = planError('executable = /bin/true\n\nqueue 4294967296\n');
  assert.match(error.message, /makes 4294967296 procs, more than 100000/);
  assert.is(error.line, 3);
  // Rows × count is the total: 60,000 rows of `queue 2 ... from` is 120,000.
  const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-limits-'));
  try {
    writeFileSync(join(dir, 'rows.txt'), 'a\n'.repeat(60_000));
    const rows = planError('executable = /bin/true\nqueue 2 x from rows.txt\n', dir);
    assert.match(rows.message, /makes 120000 procs/);
    assert.is(rows.line, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sizes: parsed exactly, rounded up, refused above 1 PiB', () => {
  assert.equal(readSize('1.5GB', 1024), { value: 1536 });
  assert.equal(readSize('2G', 1), { value: 2 * 1024 ** 2 });
  assert.equal(readSize('0.0001KB', 1), { value: 1 });
  assert.equal(readSize('4096', 1024), { value: 4096 });
  assert.equal(readSize('1024TB', 1), { value: Number(MAX_SIZE_KB) });
  assert.equal(readSize('1024.0001TB', 1024), { problem: 'too-large' });
  assert.equal(readSize('9999999999999999999TB', 1024), { problem: 'too-large' });
  assert.equal(readSize('9999999999999999999', 1024), { problem: 'too-large' });
  assert.equal(readSize('1e30', 1024), { problem: 'not-a-size' });
  assert.equal(readSize('lots', 1024), { problem: 'not-a-size' });
});

test('request_memory past the maximum: a submit error at the line that set it', () => {
  const error = planError('executable = /bin/true\nrequest_memory = 9999999999999999999TB\nqueue\n');
  assert.match(error.message, /request_memory = 9999999999999999999TB is more than 1 PiB/);
  assert.is(error.line, 2);
  const disk = planError('executable = /bin/true\nRequestDisk = 2048TB\nqueue\n');
  assert.match(disk.message, /request_disk = 2048TB is more than 1 PiB/);
  assert.is(disk.line, 2);
});

test('release --memory 9999999999999999999TB: refused like 1e30, exit 2, before anything is read', async () => {
  const ws = await makeWorkspace();
  try {
    for (const [size, message] of [
      ['9999999999999999999TB', /--memory 9999999999999999999TB is more than 1 PiB/],
      ['1e30', /--memory 1e30 is not a size/],
    ] as const) {
      const r = await runScript('release.ts', ['--memory', size], { env: ws.env, timeoutMs: 20_000 });
      assert.is(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, message);
      assert.not.match(r.stderr, /\n\s+at /);
    }
  } finally {
    ws.cleanup();
  }
});

test.run();
