// A proc's spooled checkpoint (scripts/lib/local/checkpoint-spool.ts): every regular file and
// folder the checkpoint names inside the sandbox is kept, a name that merely begins with two
// dots too (`..ckpt` is a file in the sandbox, not a way out of it); a name leading out of the
// sandbox, or a symlink the job made, is not; nor a FIFO (left out, as from the transfer). A spool
// folder a job replaced with a link (it runs in the workspace with should_transfer_files = NO) is
// neither restored from, written through, nor deleted through.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropCheckpoint, restoreCheckpoint, spoolCheckpoint } from '../../scripts/lib/local/checkpoint-spool.ts';

let dir: string;
let sandbox: string;
let spool: string;
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'pixi-condor-spool-'));
  sandbox = join(dir, 'sandbox');
  spool = join(dir, 'ws', '.pixi-condor', 'local', 'spool', '7.0');
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

test('links that stay inside the sandbox are spooled as what they point to, as a pool sends them', async () => {
  mkdirSync(join(sandbox, 'epoch-3'));
  writeFileSync(join(sandbox, 'epoch-3', 'model.pt'), 'epoch 3 weights');
  symlinkSync('epoch-3', join(sandbox, 'latest'));
  symlinkSync(join(sandbox, 'model.pt'), join(sandbox, 'ckpt.bin'));
  await spoolCheckpoint(sandbox, ['latest/', 'ckpt.bin'], new Set(), spool);
  assert.equal(readdirSync(spool).sort(), ['ckpt.bin', 'latest']);
  assert.ok(lstatSync(join(spool, 'ckpt.bin')).isFile(), 'a file, not a link');
  assert.is(readFileSync(join(spool, 'ckpt.bin'), 'utf8'), 'weights');
  assert.ok(lstatSync(join(spool, 'latest')).isDirectory(), 'a folder, not a link');
  assert.is(readFileSync(join(spool, 'latest', 'model.pt'), 'utf8'), 'epoch 3 weights');
});

test('a FIFO in a checkpointed folder is left out, not a failure', async () => {
  execFileSync('mkfifo', [join(sandbox, 'state', 'pipe')]);
  await spoolCheckpoint(sandbox, ['state/', 'model.pt'], new Set(), spool);
  assert.equal(readdirSync(join(spool, 'state')), ['optimizer.pt']);
});

test('a spool folder replaced with a link: not restored from, not written or deleted through', async () => {
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(join(elsewhere, '7.0'), { recursive: true });
  writeFileSync(join(elsewhere, '7.0', 'id_rsa'), 'PRIVATE KEY');
  mkdirSync(join(dir, 'ws', '.pixi-condor', 'local'), { recursive: true });
  symlinkSync(elsewhere, join(dir, 'ws', '.pixi-condor', 'local', 'spool'));
  const fresh = join(dir, 'fresh');
  mkdirSync(fresh);
  assert.not.ok(await restoreCheckpoint(spool, fresh));
  assert.equal(readdirSync(fresh), []);
  try {
    await spoolCheckpoint(sandbox, ['model.pt'], new Set(), spool);
    assert.unreachable('spooled through a link');
  } catch (error) {
    assert.match(String(error), /no longer a real folder/);
  }
  await dropCheckpoint(spool);
  assert.is(readFileSync(join(elsewhere, '7.0', 'id_rsa'), 'utf8'), 'PRIVATE KEY');
  assert.equal(readdirSync(join(elsewhere, '7.0')), ['id_rsa']);
});

test.run();
