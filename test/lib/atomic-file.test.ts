// writeChunksAtomicIfChanged: the same bytes are not written again (no new file, no fsync); any
// difference, a missing file or something else in its place is written whole.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeChunksAtomicIfChanged } from '../../scripts/lib/atomic-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-atomic-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const chunks = () => ['proc,loss\r\n', Buffer.from('0,0.5\r\n'), '1,0.25 é\r\n'];

test('the same bytes are left as they are; a change, a longer or shorter file is written', () => {
  const path = join(dir, 'results.csv');
  assert.ok(writeChunksAtomicIfChanged(path, chunks()), 'missing: written');
  const first = statSync(path);
  assert.not.ok(writeChunksAtomicIfChanged(path, chunks()), 'same bytes: not written');
  assert.is(statSync(path).ino, first.ino, 'the same file');
  for (const other of [
    ['proc,loss\r\n', '0,0.5\r\n', '1,0.26 é\r\n'],
    ['proc,loss\r\n', '0,0.5\r\n'],
    [...chunks(), '2,0.1\r\n'],
  ]) {
    assert.ok(writeChunksAtomicIfChanged(path, other), JSON.stringify(other));
    assert.is(readFileSync(path, 'utf8'), other.join(''));
  }
});

test('a folder in its place is not taken for the file: the write fails plainly', () => {
  const path = join(dir, 'folder.csv');
  mkdirSync(path);
  assert.throws(() => writeChunksAtomicIfChanged(path, chunks()));
  writeFileSync(join(dir, 'plain.csv'), 'x');
  assert.ok(writeChunksAtomicIfChanged(join(dir, 'plain.csv'), chunks()));
});

test.run();
