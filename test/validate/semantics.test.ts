// pixi's rules beyond the schema, one case each (the mutation test covers them on real files).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateManifestSource } from '../../scripts/lib/validate/index.ts';

const BASE =
  '[workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64", "osx-arm64", { platform = "linux-64", cuda = "12.9" }]\n';
const rules = async (toml: string) => {
  const report = await validateManifestSource(BASE + toml);
  return [...report.errors.map((e) => `E ${e.rule}@${e.line}`), ...report.warnings.map((w) => `W ${w.rule}@${w.line}`)];
};

test('a 20,000-task depends-on chain is fine; closing it into a cycle is one warning (pixi runs it, misordered)', async () => {
  const tasks = Array.from({ length: 20_000 }, (_, i) => `t${i} = { cmd = "echo", depends-on = ["t${i + 1}"] }`);
  assert.equal(await rules(`[tasks]\n${tasks.join('\n')}\nt20000 = "echo"\n`), []);
  const cyclic = await rules(`[tasks]\n${tasks.join('\n')}\nt20000 = { cmd = "echo", depends-on = ["t0"] }\n`);
  assert.equal(cyclic, [`W manifest/task-cycle@${20_000 + 5}`]);
});

test('rich platform names (synthesized and explicit) are usable by features; targets accept families', async () => {
  assert.equal(
    await rules(
      '[feature.gpu]\nplatforms = ["linux-64-cuda-12-9"]\n[environments]\ngpu = ["gpu"]\n[target.unix.dependencies]\nx = "*"\n[target.linux-64-cuda-12-9.dependencies]\ny = "*"\n',
    ),
    [],
  );
  // With rich entries a feature's platform must be declared (toml/manifest.rs undeclared_platform_error).
  assert.equal(await rules('[feature.gpu]\nplatforms = ["win-64"]\n[environments]\ngpu = ["gpu"]\n'), [
    'E manifest/unknown-platform@5',
  ]);
});

test('an environment a task names that is not defined is a warning (pixi ignores it)', async () => {
  assert.equal(
    await rules(
      '[tasks]\na = { cmd = "x", default-environment = "gpu" }\nb = { depends-on = [{ task = "a", environment = "cpu" }] }\n',
    ),
    ['W manifest/undefined-environment@5', 'W manifest/undefined-environment@6'],
  );
});

test('[project] is a deprecation warning; with [workspace] as well it is an error; feature "default" is reserved', async () => {
  const project = await validateManifestSource('[project]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n');
  assert.is(project.ok, true);
  assert.equal(
    project.warnings.map((w) => w.rule),
    ['manifest/deprecated-key'],
  );
  assert.equal(await rules('[project]\nchannels = ["conda-forge"]\n'), ['E manifest/workspace-and-project@4']);
  assert.equal(await rules('[feature.default.dependencies]\nx = "*"\n'), ['E manifest/reserved-feature@4']);
});

test('task args: declared ones, pixi.*, loop and set names, literals and defaults are fine; undeclared ones warn (pixi run fails, not the load)', async () => {
  assert.equal(await rules('[tasks.a]\ncmd = "echo {{ name }} {{ pixi.platform }}"\nargs = ["name"]\n'), []);
  assert.equal(await rules('[tasks]\na = "echo {{ name }}"\n'), ['W manifest/undeclared-task-arg@5']);
  assert.equal(
    await rules(
      "[tasks.b]\ncmd = \"{% for f in files %}{{ f }}{% endfor %} {% set n = 2 %}{{ n }} {{ true }} {{ y | default('1') }}\"\nargs = ['files']\n",
    ),
    [],
  );
});

test('{ workspace = true } naming a package the workspace does not define is an error, whatever its name (constructor is a conda package)', async () => {
  assert.equal(await rules('[dependencies]\nconstructor = { workspace = true }\n'), [
    'E manifest/workspace-inheritance@5',
  ]);
});

test('a target key pixi cannot read as a selector is an error (linux_64, 64bit, a glob with other characters); a family, subdir, platform name or * glob is not', async () => {
  assert.equal(await rules('[target.linux_64.dependencies]\nx = "*"\n'), ['E manifest/unknown-platform@4']);
  assert.equal(await rules('[target.64bit.dependencies]\nx = "*"\n'), ['E manifest/unknown-platform@4']);
  assert.equal(await rules('[target."linux-?64".dependencies]\nx = "*"\n'), ['E manifest/unknown-platform@4']);
  assert.equal(await rules('[target.unix.dependencies]\nx = "*"\n[target."linux-*".dependencies]\ny = "*"\n'), []);
});

test('did-you-mean is offered for the first 20 unknown names only (each compares against every name: a hostile manifest cannot make it quadratic)', async () => {
  const features = Array.from({ length: 30 }, (_, i) => `[feature.feature${i}.dependencies]\nx${i} = "*"`).join('\n');
  const envs = Array.from({ length: 30 }, (_, i) => `e${i} = ["featur${i}"]`).join('\n');
  const report = await validateManifestSource(`${BASE}${features}\n[environments]\n${envs}\n`);
  const unknown = report.errors.filter((e) => e.rule === 'manifest/undefined-feature');
  assert.is(unknown.length, 30);
  assert.is(unknown.filter((e) => /did you mean/.test(e.hint ?? '')).length, 20);
});

test("a feature's index-url overrides the workspace's (pixi >= 0.69); two features' differ is an error; so is the workspace's where requires-pixi admits an older pixi", async () => {
  const features =
    '[workspace.pypi-options]\nindex-url = "https://a.example/simple"\n[feature.x.pypi-options]\nindex-url = "https://b.example/simple"\n[feature.y.pypi-options]\nindex-url = "https://c.example/simple"\n';
  assert.equal(await rules(`${features}[environments]\nx = ["x"]\n`), ['W manifest/unused-feature@8']);
  assert.equal(await rules(`${features}[environments]\nxy = ["x", "y"]\n`), ['E manifest/feature-conflict@11']);
  const old = await validateManifestSource(
    `${BASE.replace('[workspace]\n', '[workspace]\nrequires-pixi = ">=0.60"\n')}${features}[environments]\nx = ["x"]\n`,
  );
  assert.ok(
    old.errors.some((e) => e.rule === 'manifest/feature-conflict'),
    JSON.stringify(old.errors),
  );
});

test('task args as pixi reads them: a default among its choices, and a default for every argument after one with a default', async () => {
  assert.equal(
    await rules('[tasks.a]\ncmd = "echo {{ m }}"\nargs = [{ arg = "m", default = "x", choices = ["a", "b"] }]\n'),
    ['E manifest/task-args@6'],
  );
  assert.equal(await rules('[tasks.a]\ncmd = "echo {{ m }} {{ n }}"\nargs = [{ arg = "m", default = "a" }, "n"]\n'), [
    'E manifest/task-args@6',
  ]);
  assert.equal(
    await rules(
      '[tasks.a]\ncmd = "echo {{ m }} {{ n }}"\nargs = ["n", { arg = "m", default = "a", choices = ["a", "b"] }]\n',
    ),
    [],
  );
});

test('depends_on is a deprecation warning; beside depends-on it is an error (pixi refuses it as an unknown key)', async () => {
  assert.equal(await rules('[tasks]\na = "echo"\nb = { cmd = "echo", depends_on = ["a"] }\n'), [
    'W manifest/deprecated-key@6',
  ]);
  assert.equal(await rules('[tasks]\na = "echo"\nb = { cmd = "echo", depends-on = ["a"], depends_on = ["a"] }\n'), [
    'E manifest/deprecated-key@6',
  ]);
});

test.run();
