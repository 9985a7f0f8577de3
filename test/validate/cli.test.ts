// scripts/validate.ts as pixi runs it: exit codes, --json, --manifest, grouped human output
// with a caret, no colour without a TTY, a TOML syntax error with its position and no stack.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateManifestSource, type ValidationReport } from '../../scripts/lib/validate/index.ts';
import { runValidate, tempWorkspace, type TempWorkspace } from './helpers.ts';

let ws: TempWorkspace;
test.before.each(() => {
  ws = tempWorkspace();
});
test.after.each(() => ws.remove());

test('the template: exit 0, "valid", no colour codes when not a TTY', async () => {
  const run = await runValidate([], { cwd: ws.root });
  assert.is(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^valid \(0 errors, \d+ warnings?\)$/m);
  assert.not.match(run.stdout, /\u001b\[/);
});

test('--json prints the report; exit 1 on an invalid workspace; findings carry file, line, column, pointer, rule, hint', async () => {
  ws.edit('pixi.toml', '[target.linux-64.dependencies]', '[targt.linux-64.dependencies]');
  const run = await runValidate(['--json'], { cwd: ws.root });
  assert.is(run.code, 1, run.stderr);
  const report = JSON.parse(run.stdout) as ValidationReport;
  assert.is(report.ok, false);
  const [hit] = report.errors.filter((e) => e.rule === 'schema/unknown-key');
  assert.equal(Object.keys(hit!).sort(), ['column', 'file', 'hint', 'line', 'message', 'pointer', 'rule']);
  assert.is(hit!.file, 'pixi.toml');
  assert.is(hit!.pointer, '/targt');
  assert.is(hit!.line, ws.read('pixi.toml').split('\n').indexOf('[targt.linux-64.dependencies]') + 1);
  assert.is(hit!.column, 2);
  assert.match(hit!.hint, /target/);
  assert.ok(Array.isArray(report.warnings) && Array.isArray(report.skipped));
});

test('human output groups by file and shows the source line with a caret under the column', async () => {
  ws.edit('Dockerfile', 'ARG CUDA_VERSION="12.9"', 'ARG CUDA_VERSION="12.4"');
  const run = await runValidate([], { cwd: ws.root });
  assert.is(run.code, 1);
  const lines = run.stdout.split('\n');
  const header = lines.indexOf('Dockerfile');
  assert.ok(header >= 0, run.stdout);
  const source = lines.findIndex((l) => l.includes('| ARG CUDA_VERSION="12.4"'));
  assert.ok(source > header, run.stdout);
  const caret = lines[source + 1]!;
  assert.is(caret.indexOf('^') - caret.indexOf('|'), lines[source]!.indexOf('12.4') - lines[source]!.indexOf('|'));
});

test('a TOML syntax error: exit 1, file:line:col, no stack trace', async () => {
  writeFileSync(join(ws.root, 'pixi.toml'), '[workspace]\nchannels = ["conda-forge"\nname = "x"\n');
  const run = await runValidate(['--json'], { cwd: ws.root });
  assert.is(run.code, 1, run.stderr);
  const report = JSON.parse(run.stdout) as ValidationReport;
  assert.is(report.errors[0]!.rule, 'toml/syntax');
  assert.ok(report.errors[0]!.line >= 2);
  assert.not.match(run.stderr, /at .*\.ts:\d+/);
  assert.ok(report.skipped.length > 0, 'cross-file checks are skipped, not crashed');
});

test('a string left open at the end of its line is named as such (LF and CRLF), other control characters as they are', async () => {
  for (const eol of ['\n', '\r\n']) {
    const report = await validateManifestSource(['[workspace]', 'name = "x', 'channels = []', ''].join(eol));
    assert.equal(
      report.errors.map((e) => [e.rule, e.line, e.column]),
      [['toml/syntax', 2, 10]],
    );
    assert.match(report.errors[0]!.message, /string is not closed before the end of the line/);
    assert.match(report.errors[0]!.hint, /closing quote/);
  }
  const control = await validateManifestSource('[workspace]\nname = "x\u0001b"\n');
  assert.match(control.errors[0]!.message, /control characters/);
});

test('--manifest PATH validates one manifest alone; a missing file is exit 2', async () => {
  let run = await runValidate(['--manifest', join(ws.root, 'pixi.toml'), '--json'], {});
  assert.is(run.code, 0, run.stdout + run.stderr);
  assert.equal((JSON.parse(run.stdout) as ValidationReport).skipped.map((s) => s.rule).sort(), [
    'cuda',
    'lock',
    'template',
  ]);
  run = await runValidate(['--manifest', join(ws.root, 'nope.toml')], {});
  assert.is(run.code, 2);
  assert.match(run.stderr, /nope\.toml does not exist/);
  assert.not.match(run.stderr, /\n\s+at /);
});

test('usage errors exit 2; --help exits 0', async () => {
  const bad = await runValidate(['--frobnicate'], { cwd: ws.root });
  assert.is(bad.code, 2);
  const help = await runValidate(['--help'], { cwd: ws.root });
  assert.is(help.code, 0);
  assert.match(help.stdout, /--manifest PATH/);
});

test.run();
