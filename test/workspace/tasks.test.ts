// pixi.toml's tasks: every script a task runs exists, every task says what it does, the tools
// environment stays free of CUDA, and each script answers --help.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { repoRoot } from '../helpers/paths.ts';
import { runScript } from '../helpers/process.ts';

// biome-ignore lint/suspicious/noExplicitAny: a TOML table read for assertions, any shape
type Table = Record<string, any>;
const manifestText = readFileSync(join(repoRoot, 'pixi.toml'), 'utf8');
// smol-toml builds null-prototype tables; a JSON round trip gives plain objects for deep equality.
const manifest = JSON.parse(JSON.stringify(parse(manifestText))) as Table;

/** Every task of the manifest with where it is defined: [tasks] and [feature.X.tasks]. */
function allTasks(): { where: string; name: string; task: Table | string }[] {
  const found: { where: string; name: string; task: Table | string }[] = [];
  for (const [name, task] of Object.entries((manifest.tasks ?? {}) as Table))
    found.push({ where: 'tasks', name, task });
  for (const [feature, body] of Object.entries((manifest.feature ?? {}) as Table)) {
    for (const [name, task] of Object.entries(((body as Table).tasks ?? {}) as Table)) {
      found.push({ where: `feature.${feature}.tasks`, name, task });
    }
  }
  return found;
}

const scriptOf = (task: Table | string): string | null => {
  const cmd = typeof task === 'string' ? task : task.cmd;
  // `node scripts/run.mjs <task>` runs scripts/<task>.ts (see scripts/run.mjs).
  const match = typeof cmd === 'string' ? /^node scripts\/run\.mjs ([\w-]+)$/.exec(cmd) : null;
  return match ? `scripts/${match[1]}.ts` : null;
};

test('the manifest starts with the #:schema directive editors read', () => {
  assert.match(manifestText.split('\n')[0]!, /^#:schema https:\/\/pixi\.sh\/v[\d.]+\/schema\/manifest\/schema\.json$/);
});

test('every task has a description', () => {
  const missing = allTasks().filter(
    ({ task }) => typeof task === 'string' || typeof task.description !== 'string' || task.description === '',
  );
  assert.equal(
    missing.map(({ where, name }) => `${where}.${name}`),
    [],
  );
});

test('every task that runs a script points at a script that exists', () => {
  const scripts = allTasks()
    .map(({ task }) => scriptOf(task))
    .filter((s): s is string => s !== null);
  assert.ok(scripts.length >= 6, `expected the tool tasks to run scripts, found ${scripts.length}`);
  const missing = scripts.filter((script) => !existsSync(join(repoRoot, script)));
  assert.equal(missing, [], `tasks point at missing scripts: ${missing.join(', ')}`);
});

test('the tools environment has the tool tasks and no default feature (no CUDA on a laptop)', () => {
  const tools = manifest.environments?.tools as Table;
  assert.equal(tools['no-default-feature'], true);
  assert.equal(tools.features, ['tools']);
  const toolTasks = Object.keys(manifest.feature.tools.tasks as Table).sort();
  for (const name of ['validate', 'build-image', 'submit', 'status', 'test', '_install']) {
    assert.ok(toolTasks.includes(name), `tools feature lacks task ${name}`);
  }
  assert.equal(manifest.feature.tools.dependencies, { nodejs: '>=24.3' });
});

test('script tasks run _install first: npm ci when the lock changed, the bundles when a script did', () => {
  const tasks = manifest.feature.tools.tasks as Table;
  for (const [name, task] of Object.entries(tasks)) {
    if (name.startsWith('_')) continue;
    assert.equal((task as Table)['depends-on'], ['_install'], `${name} must depend on _install`);
  }
  assert.equal(tasks['_npm-ci'].inputs, ['package.json', 'package-lock.json']);
  assert.ok((tasks['_npm-ci'].outputs as string[]).length > 0);
  assert.equal(tasks._install['depends-on'], ['_npm-ci']);
  // --best-effort: a script esbuild cannot build must not stop every task (they run from source).
  assert.is(tasks._install.cmd, 'node scripts/run.mjs bundle --best-effort');
  // pixi reruns a task whose inputs changed: every file a bundle is built from is among them.
  for (const input of ['scripts/**/*.ts', 'schema/manifest-validator.cjs'])
    assert.ok((tasks._install.inputs as string[]).includes(input), input);
  assert.equal(tasks._install.outputs, ['.build/bundles/inputs.json']);
});

test("the training environment is the seed's: CUDA 12.9 pins on linux-64", () => {
  // The CUDA is on the linux-64 platform entry, as the seed has it since templates-GPUs#43.
  assert.equal(manifest['system-requirements'], undefined);
  assert.is(manifest.workspace['requires-pixi'], '>=0.71');
  assert.equal(manifest.target['linux-64'].dependencies, {
    'pytorch-gpu': '>=2.9.1,<3',
    torchvision: '>=0.24.1,<0.25',
    'cuda-version': '12.9.*',
  });
  assert.equal(manifest.workspace.platforms, [
    { platform: 'linux-64', cuda: '12.9' },
    'linux-aarch64',
    'osx-arm64',
    'osx-64',
  ]);
  assert.equal(manifest.workspace.channels, ['conda-forge']);
});

for (const { name, task } of allTasks()) {
  const script = scriptOf(task);
  if (!script || !existsSync(join(repoRoot, script))) continue;
  test(`${script} --help exits 0 and prints usage`, async () => {
    const result = await runScript(script.replace(/^scripts\//, ''), ['--help'], { timeoutMs: 20_000 });
    assert.is(result.timedOut, false, `${name}: --help timed out`);
    assert.is(result.code, 0, `${name}: --help exited ${result.code}: ${result.stderr}`);
    assert.match(result.stdout, /usage:/i);
  });
}

test.run();
