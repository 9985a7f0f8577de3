// The lock check before a build: a missing, unreadable or stale pixi.lock is one error with
// its own message and hint, and under --dry-run (saveCache: false) validate's lock cache is not
// written. Runs validate for real on copies of the template workspace. No Docker needed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../scripts/lib/errors.ts';
import { checkLockFreshness } from '../../scripts/lib/image/lock-freshness.ts';
import { makeWorkspace, type TestWorkspace } from './workspace.ts';

let ws: TestWorkspace;
test.before.each(() => {
  ws = makeWorkspace('127.0.0.1:5000/unit/lock', { git: false });
});
test.after.each(() => ws.remove());

async function lockError(): Promise<UserError> {
  try {
    await checkLockFreshness(ws.root, { saveCache: false });
  } catch (error) {
    assert.instance(error, UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

test('the template lock passes, with the warning that it lacks the tools environment', async () => {
  const result = await checkLockFreshness(ws.root, { saveCache: false });
  assert.match(result?.warning ?? '', /^pixi\.lock is incomplete: /);
});

test('a missing pixi.lock has its own message and points at `pixi lock` to write it', async () => {
  rmSync(join(ws.root, 'pixi.lock'));
  const error = await lockError();
  assert.match(error.message, /^there is no pixi\.lock/);
  assert.not.match(error.message, /out of date/);
  assert.is(error.file, 'pixi.lock');
  assert.match(error.hint ?? '', /`pixi lock` to write it/);
});

test('an unreadable pixi.lock says so, not "out of date"', async () => {
  ws.write('pixi.lock', 'version: [unclosed\n');
  const error = await lockError();
  assert.match(error.message, /^pixi\.lock cannot be read: /);
});

test('a lock behind pixi.toml is out of date, with `pixi lock` in the hint', async () => {
  ws.write(
    'pixi.toml',
    ws
      .read('pixi.toml')
      .replace('[target.linux-64.dependencies]\n', '[target.linux-64.dependencies]\nscipy = ">=1.14"\n'),
  );
  const error = await lockError();
  assert.match(error.message, /^pixi\.lock is out of date: /);
  assert.match(error.hint ?? '', /^run `pixi lock`/);
});

test("saveCache: false leaves the workspace untouched; true writes validate's lock cache", async () => {
  const state = join(ws.root, '.pixi-condor');
  await checkLockFreshness(ws.root, { saveCache: false });
  assert.not.ok(existsSync(state), '.pixi-condor created under saveCache: false');
  await checkLockFreshness(ws.root, { saveCache: true });
  assert.ok(existsSync(join(state, 'validate-cache.json')), 'the cache is written otherwise');
});

test.run();
