// Issue 25: bytes pixi refuses in pixi.lock were accepted (`ok: true`). rattler_lock parses the
// lock from a Rust `str` (UTF-8 enforced) with serde_yaml, whose libyaml reader refuses control
// characters ("control characters are not allowed"); js-yaml stops at a NUL as at the end of
// input, so both must be caught before parsing, named by byte offset, line and column.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateWorkspace } from '../../scripts/lib/validate/index.ts';
import { lockEncodingProblem } from '../../scripts/lib/validate/lock-check.ts';
import { byRule, runValidate, summary, tempWorkspace } from './helpers.ts';

/** The template's lock with `insert` spliced in after `needle`'s first occurrence. */
function lockWith(ws: { read(file: string): string }, needle: string, insert: Buffer): Buffer {
  const text = Buffer.from(ws.read('pixi.lock'));
  const at = text.indexOf(needle) + needle.length;
  assert.ok(at > needle.length - 1, `${needle} is in the template's lock`);
  return Buffer.concat([text.subarray(0, at), insert, text.subarray(at)]);
}

for (const [name, needle, insert, message] of [
  ['a Latin-1 byte', 'version:', Buffer.from([0xe9]), /not valid UTF-8 \(byte 0xe9 at offset \d+\)/],
  ['a cut-off UTF-8 sequence', 'environments:', Buffer.from([0xe2, 0x82]), /not valid UTF-8 \(byte 0xe2 at offset/],
  ['a NUL', 'environments:', Buffer.from([0]), /control character U\+0000 at byte offset \d+/],
  ['an escape character', 'environments:', Buffer.from([0x1b]), /control character U\+001B/],
  ['a C1 control', 'environments:', Buffer.from([0xc2, 0x9b]), /control character U\+009B/],
  ['U+FFFF', 'environments:', Buffer.from([0xef, 0xbf, 0xbf]), /control character U\+FFFF/],
] as const) {
  test(`pixi.lock with ${name}: lock/encoding at its line and column, not ok`, async () => {
    const ws = tempWorkspace();
    try {
      const bytes = lockWith(ws, needle, insert);
      ws.write('pixi.lock', bytes as unknown as string);
      const report = await validateWorkspace({ root: ws.root, saveCache: false });
      const [finding] = byRule(report, 'lock/encoding');
      assert.ok(finding, summary(report));
      assert.match(finding!.message, message);
      const offset = bytes.indexOf(needle) + needle.length;
      assert.match(finding!.message, new RegExp(`offset ${offset}\\b`));
      const before = bytes.subarray(0, offset).toString('utf8').split('\n');
      assert.is(finding!.line, before.length);
      assert.is(finding!.column, before[before.length - 1]!.length + 1);
      assert.is(report.ok, false);
    } finally {
      ws.remove();
    }
  });
}

test('validate on the command line: one error line with pixi.lock:line:col, exit 1, no stack', async () => {
  const ws = tempWorkspace();
  try {
    ws.write('pixi.lock', lockWith(ws, 'version:', Buffer.from([0])) as unknown as string);
    const r = await runValidate([], { env: { PIXI_PROJECT_ROOT: ws.root } });
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /pixi\.lock\n\s+1:9\s+error pixi\.lock holds the control character U\+0000 at byte offset 8/,
    );
    // The source line is shown with the NUL as its picture, never raw.
    assert.match(r.stdout, /1 \| version:\u2400 6/);
    assert.not.match(r.stdout + r.stderr, /[\x00\x1b]/);
    assert.not.match(r.stderr, /\n\s+at /);
  } finally {
    ws.remove();
  }
});

test('the real locks we hold have no such byte; tabs, CRLF and non-ASCII text stay fine', () => {
  const ws = tempWorkspace();
  try {
    const text = readFileSync(join(ws.root, 'pixi.lock'));
    assert.is(lockEncodingProblem(text), null);
    assert.is(lockEncodingProblem(Buffer.from('version: 6\r\n\tx: "é ✓ 😀 \u0085"\n')), null);
  } finally {
    ws.remove();
  }
});

test.run();
