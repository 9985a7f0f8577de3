// Inside a folder is decided by `..` components, never by a text prefix (scripts/lib/path-within.ts):
// `..ckpt`, `...` and `..sub` are names inside it. Its users: the sandbox wall and the checkpoint
// spool, the SIF staging reference, and where `pixi run submit FILE` looks for FILE (INIT_CWD).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { within } from '../../scripts/lib/path-within.ts';
import { invocationDir } from '../../scripts/lib/submit/submit-path.ts';

test('within: the folder and what is below it; `..` and `../x` and other roots are not', () => {
  for (const path of ['/ws', '/ws/a', '/ws/..ckpt', '/ws/...', '/ws/..sub/x', '/ws/a/../b'])
    assert.ok(within('/ws', path), path);
  for (const path of ['/', '/w', '/wsx', '/ws/..', '/ws/../x', '/other/ws']) assert.not.ok(within('/ws', path), path);
});

test('INIT_CWD in a folder whose name begins with two dots is inside the workspace: FILE is looked for there', () => {
  const env = { PIXI_PROJECT_ROOT: '/ws', INIT_CWD: '/ws/..sub' };
  assert.is(invocationDir('/ws', env, '/ws'), '/ws/..sub');
  assert.is(invocationDir('/ws', { ...env, INIT_CWD: '/ws/../elsewhere' }, '/ws'), '/ws');
  assert.is(invocationDir('/ws', { ...env, INIT_CWD: '/elsewhere' }, '/ws'), '/ws');
});

test.run();
