// Command-line parsing and the top-level handler: usage errors exit 2 with one line, user
// errors exit 1 with a hint, and only bugs print a stack.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helpText, parseCommand, type CommandSpec } from '../../scripts/lib/cli.ts';
import { UsageError, UserError } from '../../scripts/lib/errors.ts';
import { formatUserError } from '../../scripts/lib/main.ts';
import { palette } from '../../scripts/lib/term.ts';
import { writeJsonAtomic } from '../../scripts/lib/atomic-file.ts';
import { runCommand } from '../helpers/process.ts';

const spec: CommandSpec = {
  usage: 'x [FILE]',
  summary: 'A test command.',
  options: {
    'dry-run': { type: 'boolean', description: 'print, do not run' },
    manifest: { type: 'string', value: 'PATH', description: 'the manifest' },
  },
  positionals: { names: 'FILE', max: 1 },
  exitCodes: [
    ['0', 'done'],
    ['2', 'usage error'],
  ],
  docs: 'docs/x.md',
};

test('options and positionals parse', () => {
  const parsed = parseCommand(spec, ['--dry-run', '--manifest', 'a.toml', 'f.sub']);
  assert.is(parsed.values['dry-run'], true);
  assert.is(parsed.values.manifest, 'a.toml');
  assert.equal(parsed.positionals, ['f.sub']);
});

test('an unknown option is a UsageError (exit 2)', () => {
  try {
    parseCommand(spec, ['--nope']);
    assert.unreachable();
  } catch (error) {
    assert.instance(error, UsageError);
    assert.is((error as UsageError).exitCode, 2);
    assert.match((error as Error).message, /Unknown option '--nope'/);
  }
});

test('too many positionals is a UsageError', () => {
  assert.throws(
    () => parseCommand(spec, ['a', 'b']),
    (e: unknown) => e instanceof UsageError && /at most 1/.test((e as Error).message),
  );
});

test('help lists every option', () => {
  const text = helpText(spec);
  assert.match(text, /^usage: x \[FILE\]/);
  assert.match(text, /--dry-run/);
  assert.match(text, /--manifest PATH/);
  assert.match(text, /-h, --help/);
});

test('a located user error prints file:line:col, message and hint', () => {
  const error = new UserError('bad value', { file: 'pixi.toml', line: 3, column: 7, hint: 'fix it' });
  assert.is(formatUserError(error, palette(false)), 'error: pixi.toml:3:7: bad value\nhint: fix it');
});

test('runMain: user error -> one line and its exit code; bug -> stack and 70', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-main-'));
  try {
    const script = join(dir, 's.mts'); // outside the package: .mts makes it ESM
    const lib = join(process.cwd(), 'scripts', 'lib');
    writeFileSync(
      script,
      `import { runMain } from '${lib}/main.ts';\nimport { UserError } from '${lib}/errors.ts';\n` +
        `await runMain(async (args) => { if (args[0] === 'user') throw new UserError('no such file', { hint: 'create it' }); if (args[0] === 'bug') throw new TypeError('oops'); return 5; });\n`,
    );
    const user = await runCommand(process.execPath, ['--import', 'tsx', script, 'user'], { timeoutMs: 20_000 });
    assert.is(user.code, 1);
    assert.is(user.stderr, 'error: no such file\nhint: create it\n');
    const bug = await runCommand(process.execPath, ['--import', 'tsx', script, 'bug'], { timeoutMs: 20_000 });
    assert.is(bug.code, 70);
    assert.match(bug.stderr, /internal error/);
    assert.match(bug.stderr, /TypeError: oops\n\s+at /);
    const ok = await runCommand(process.execPath, ['--import', 'tsx', script], { timeoutMs: 20_000 });
    assert.is(ok.code, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runMain: a reader that stops early (| head) ends the script quietly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-epipe-'));
  try {
    const script = join(dir, 's.mts');
    const lib = join(process.cwd(), 'scripts', 'lib');
    writeFileSync(
      script,
      `import { runMain } from '${lib}/main.ts';\n` +
        `await runMain(async () => { for (let i = 0; i < 20000; i++) process.stdout.write('line ' + i + '\\n'); await new Promise((r) => setTimeout(r, 200)); return 0; });\n`,
    );
    const result = await runCommand(
      'bash',
      ['-c', `set -o pipefail; "${process.execPath}" --import tsx "${script}" | head -n 1`],
      { timeoutMs: 20_000 },
    );
    assert.is(result.stdout, 'line 0\n');
    assert.is(result.stderr, '', 'no stack trace for a closed pipe');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeJsonAtomic leaves the whole document and no temp file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-atomic-'));
  try {
    const path = join(dir, 'state', 'job.json');
    await writeJsonAtomic(path, { a: 1 });
    await writeJsonAtomic(path, { a: 2, b: [1, 2] });
    assert.equal(JSON.parse(readFileSync(path, 'utf8')), { a: 2, b: [1, 2] });
    assert.equal(readdirSync(join(dir, 'state')), ['job.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
