// A proc's spooled checkpoint (scripts/lib/local/checkpoint-spool.ts): every regular file and
// folder the checkpoint names inside the sandbox is kept, a name that merely begins with two
// dots too (`..ckpt` is a file in the sandbox, not a way out of it); a name leading out of the
// sandbox, or a symlink the job made, is not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restoreCheckpoint, spoolCheckpoint } from '../../scripts/lib/local/checkpoint-spool.ts';

let dir: string;
let sandbox: string;
let spool: string;
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'pixi-condor-spool-'));
  sandbox = join(dir, 'sandbox');
  spool = join(dir, 'spool', '7.0');
  mkdirSync(join(sandbox, 'state'), { recursive: true });
  writeFileSync(join(sandbox, '..ckpt'), 'epoch 3');
  writeFileSync(join(sandbox, 'model.pt'), 'weights');
  writeFileSync(join(sandbox, 'state', 'optimizer.pt'), 'moments');
  writeFileSync(join(dir, 'secret'), 'not the job’s');
  symlinkSync(join(dir, 'secret'), join(sandbox, 'link'));
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

test('the named checkpoint files are spooled, `..ckpt` among them; a way out and a symlink are not', async () => {
  await spoolCheckpoint(sandbox, ['..ckpt', 'model.pt', 'state/', 'link', '../secret', '..'], new Set(), spool);
  assert.equal(readdirSync(spool).sort(), ['..ckpt', 'model.pt', 'state']);
  assert.is(readFileSync(join(spool, '..ckpt'), 'utf8'), 'epoch 3');
  assert.is(readFileSync(join(spool, 'state', 'optimizer.pt'), 'utf8'), 'moments');
  const fresh = join(dir, 'again');
  mkdirSync(fresh);
  assert.ok(await restoreCheckpoint(spool, fresh));
  assert.is(readFileSync(join(fresh, '..ckpt'), 'utf8'), 'epoch 3');
  assert.not.ok(existsSync(join(fresh, 'link')));
});

test('without a list, every top-level entry but the excluded ones is spooled, `..ckpt` too', async () => {
  await spoolCheckpoint(sandbox, null, new Set(['model.pt']), spool);
  assert.equal(readdirSync(spool).sort(), ['..ckpt', 'state']);
});

test.run();
