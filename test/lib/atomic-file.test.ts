// writeChunksAtomicIfChanged: the same bytes are not written again (no new file, no fsync); any
// difference, a missing file or something else in its place is written whole.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers/paths.ts';
import { typeScriptNodeArgs } from '../helpers/process.ts';
import { writeChunksAtomicIfChanged } from '../../scripts/lib/atomic-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-atomic-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const chunks = () => ['proc,loss\r\n', Buffer.from('0,0.5\r\n'), '1,0.25 é\r\n'];

test('the same bytes are left as they are; a change, a longer or shorter file is written', () => {
  const path = join(dir, 'results.csv');
  assert.ok(writeChunksAtomicIfChanged(path, chunks), 'missing: written');
  const first = statSync(path);
  assert.not.ok(writeChunksAtomicIfChanged(path, chunks), 'same bytes: not written');
  assert.is(statSync(path).ino, first.ino, 'the same file');
  for (const other of [
    ['proc,loss\r\n', '0,0.5\r\n', '1,0.26 é\r\n'],
    ['proc,loss\r\n', '0,0.5\r\n'],
    [...chunks(), '2,0.1\r\n'],
  ]) {
    assert.ok(
      writeChunksAtomicIfChanged(path, () => other),
      JSON.stringify(other),
    );
    assert.is(readFileSync(path, 'utf8'), other.join(''));
  }
});

test('a folder in its place is not taken for the file: the write fails plainly', () => {
  const path = join(dir, 'folder.csv');
  mkdirSync(path);
  assert.throws(() => writeChunksAtomicIfChanged(path, chunks));
  writeFileSync(join(dir, 'plain.csv'), 'x');
  assert.ok(writeChunksAtomicIfChanged(join(dir, 'plain.csv'), chunks));
});

test('compared a chunk at a time and made again only to write: never held whole', () => {
  const path = join(dir, 'counted.csv');
  // A chunk past the compare buffer's first size, with multi-byte characters, and bytes as they are.
  const big = `${'0.123456789,é€,'.repeat(6000)}\r\n`;
  const made: string[] = [];
  const counted = (tag: string, last: string) => () => {
    made.push(tag);
    return ['proc,loss\r\n', big, Buffer.from('0,0.5\r\n'), last];
  };
  assert.ok(writeChunksAtomicIfChanged(path, counted('missing', '1\r\n')));
  assert.equal(made, ['missing'], 'no file: made once, to write');
  assert.not.ok(writeChunksAtomicIfChanged(path, counted('same', '1\r\n')));
  assert.equal(made.slice(1), ['same'], 'the same bytes: made once, to compare');
  assert.ok(writeChunksAtomicIfChanged(path, counted('changed', '2\r\n')));
  assert.equal(made.slice(2), ['changed', 'changed'], 'a difference: made again to write');
  assert.is(readFileSync(path, 'utf8'), `proc,loss\r\n${big}0,0.5\r\n2\r\n`);
});

test('a FIFO in its place is not read (nothing hangs): it is replaced', () => {
  const path = join(dir, 'fifo.csv');
  try {
    execFileSync('mkfifo', [path]);
  } catch {
    console.log('  skipped: mkfifo is not available here');
    return;
  }
  // In a child process with a bound: a blocking open of a FIFO without a writer never returns.
  const module = pathToFileURL(join(repoRoot, 'scripts', 'lib', 'atomic-file.ts')).href;
  const code = `const { writeChunksAtomicIfChanged } = await import(${JSON.stringify(module)});
process.stdout.write(String(writeChunksAtomicIfChanged(${JSON.stringify(path)}, () => ['a,b\\r\\n', '1,2\\r\\n'])));`;
  const child = spawnSync(process.execPath, [...typeScriptNodeArgs, '--input-type=module', '-e', code], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.is(child.signal, null, 'it returned (a blocking open would hang until killed)');
  assert.is(child.stdout, 'true', child.stderr);
  assert.ok(statSync(path).isFile());
  assert.is(readFileSync(path, 'utf8'), 'a,b\r\n1,2\r\n');
});

test.run();
