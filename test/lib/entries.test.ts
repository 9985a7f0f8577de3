// Every task's entry, run as pixi runs it (`node scripts/run.mjs <task>`): the tasks in pixi.toml
// are exactly that command, --help has one shape everywhere, and a run from outside any workspace
// or from a checkout without its npm packages ends in one line, not Node's module-not-found trace.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { repoRoot } from '../helpers/paths.ts';
import { runCommand, runScript, taskCommand } from '../helpers/process.ts';

const manifest = parse(readFileSync(join(repoRoot, 'pixi.toml'), 'utf8')) as {
  feature: { tools: { tasks: Record<string, { cmd: string }> } };
};
const tasks = Object.entries(manifest.feature.tools.tasks).filter(([name]) => !name.startsWith('_'));
/** The tasks a user works with (the test runner's own task runs the suite: not from inside it). */
const workTasks = tasks.map(([name]) => name).filter((name) => name !== 'test');

test('every tools task is `node scripts/run.mjs <task>`, the command the tests run', () => {
  assert.ok(tasks.length >= 6, `found ${tasks.length} tasks`);
  for (const [name, task] of tasks) {
    assert.is(task.cmd, `node scripts/run.mjs ${name}`, name);
    const [node, argv] = taskCommand(name);
    assert.is(node, process.execPath);
    assert.equal(argv, [join(repoRoot, 'scripts', 'run.mjs'), name]);
  }
});

/**
 * Entries that are no pixi task of their own (`_install` runs `bundle`; `compile-schema` is for
 * schema edits; `submit --local` starts `local-runner`, the process that owns a local job).
 */
const devEntries = ['bundle', 'compile-schema', 'local-runner'];
/** `pixi condor` itself (scripts/pixi-condor.mjs runs it for --help and --version). */
const extensionEntries = ['extension'];

test('every scripts/*.ts is a pixi task or a listed development entry', () => {
  const entries = readdirSync(join(repoRoot, 'scripts'))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => name.slice(0, -3));
  assert.equal(entries.sort(), [...tasks.map(([name]) => name), ...devEntries, ...extensionEntries].sort());
});

for (const name of [...tasks.map(([task]) => task), ...devEntries, ...extensionEntries]) {
  test(`${name} --help has the one shape`, async () => {
    const result = await runScript(`${name}.ts`, ['--help'], { timeoutMs: 20_000 });
    assert.is(result.code, 0, result.stderr);
    assert.is(result.stderr, '');
    const text = result.stdout;
    const command = devEntries.includes(name)
      ? `node scripts/run.mjs ${name}`
      : extensionEntries.includes(name)
        ? 'pixi condor'
        : `pixi run ${name}`;
    assert.match(text, new RegExp(`^usage: ${command}[ \\n]`));
    assert.match(text, /\n\noptions:\n( {2}.+\n)+/);
    assert.match(text, /\n {2}-h, --help +show this help and exit\n/);
    // Long options only: no script has short flags of its own.
    assert.not.match(text, /^ +-[a-gi-zA-Z][, ]/m, 'a short flag other than -h');
    // One heading, spelled one way, one code per line, 0 and 2 (usage) always listed.
    assert.is(text.match(/exit (codes|status)/gi)?.length, 1, 'the exit-code heading once');
    const codes = /\n\nexit codes:\n((?: {2}\S+ +\S.*\n)+)\ndocs: \S.*\n$/.exec(text);
    assert.ok(codes, `exit codes and docs at the end:\n${text}`);
    const listed = codes![1]!
      .split('\n')
      .filter(Boolean)
      .map((line) => line.trim().split(/\s+/)[0]);
    assert.ok(listed.includes('0') && listed.includes('2'), `codes listed: ${listed.join(', ')}`);
    const docs = /\ndocs: (\S+)/.exec(text)![1]!;
    assert.ok(readFileSync(join(repoRoot, docs), 'utf8').length > 0, `${docs} exists`);
  });
}

test('from outside any workspace, every task says so in one line (exit 2)', async () => {
  const outside = mkdtempSync(join(tmpdir(), 'pixi-condor-outside-'));
  try {
    for (const name of workTasks) {
      const result = await runScript(`${name}.ts`, [], {
        cwd: outside,
        env: { PIXI_PROJECT_ROOT: undefined },
        timeoutMs: 20_000,
      });
      assert.is(result.code, 2, `${name}: ${result.stderr}`);
      assert.match(result.stderr, /^error: no pixi\.toml in \S+ or any folder above it[^\n]*\nhint: .+\n$/, name);
    }
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});

test('a checkout without its npm packages: one line naming the package and `npm ci`', async () => {
  const bare = mkdtempSync(join(tmpdir(), 'pixi-condor-no-modules-'));
  try {
    cpSync(join(repoRoot, 'scripts'), join(bare, 'scripts'), { recursive: true });
    cpSync(join(repoRoot, 'pixi.toml'), join(bare, 'pixi.toml'));
    for (const name of ['validate', 'build-image']) {
      const result = await runCommand(process.execPath, [join(bare, 'scripts', 'run.mjs'), name], {
        cwd: bare,
        env: { PIXI_PROJECT_ROOT: undefined },
        timeoutMs: 20_000,
      });
      assert.is(result.code, 1, `${name}: ${result.stderr}`);
      assert.match(
        result.stderr,
        /^error: the npm package '[\w@/.-]+' that the scripts need is not installed in \S+node_modules\nhint: run `npm ci` in /,
      );
      assert.not.match(result.stderr, /\n\s+at /, 'no stack trace');
    }
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
});

test('an unknown task name is a usage error', async () => {
  const result = await runCommand(process.execPath, [join(repoRoot, 'scripts', 'run.mjs'), 'nope'], {
    timeoutMs: 20_000,
  });
  assert.is(result.code, 2);
  assert.match(result.stderr, /^error: no task script 'nope'\n/);
});

test.run();
