// Each rule where validate follows pixi rather than the official JSON schema, settled by reading
// pixi's source (prefix-dev/pixi @ 2b25fc76, Aug 2026; crates pixi_manifest and pixi_task). An
// error is what pixi refuses when it loads the manifest; what fails only when a task runs is a
// warning that names the `pixi run` that will fail.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateManifestSource } from '../../scripts/lib/validate/index.ts';
import { testFixtures } from '../helpers/paths.ts';
import { templateConfig } from '../../scripts/lib/workspace.ts';

const BASE = '[workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n';
const found = async (toml: string) => {
  const report = await validateManifestSource(BASE + toml);
  return [
    ...report.errors.map((e) => ({ severity: 'error', ...e })),
    ...report.warnings.map((w) => ({ severity: 'warning', ...w })),
  ];
};

test('depends-on naming no task: pixi loads it, `pixi run` fails (pixi_task task_graph.rs:485): a warning naming the runs', async () => {
  const list = await found(
    '[tasks]\nbuild = { cmd = "make", depends-on = ["configur"] }\ntest = { cmd = "ctest", depends-on = ["build"] }\nconfigure = "cmake"\n',
  );
  assert.is(list.length, 1, JSON.stringify(list));
  const [hit] = list;
  assert.equal([hit!.severity, hit!.rule, hit!.line], ['warning', 'manifest/missing-task', 5]);
  assert.match(hit!.message, /`pixi run build` will fail \(so will `pixi run test`, which depend on it\)/);
  assert.match(hit!.hint, /did you mean 'configure'\?/);
});

test('a task cycle: pixi runs it, each task once, misordered (task_graph.rs:663-690): a warning', async () => {
  const list = await found(
    '[tasks]\na = { cmd = "echo a", depends-on = ["b"] }\nb = { cmd = "echo b", depends-on = ["a"] }\n',
  );
  assert.equal(
    list.map((f) => [f.severity, f.rule]),
    [['warning', 'manifest/task-cycle']],
  );
  assert.match(list[0]!.message, /a -> b -> a; `pixi run a` runs each once/);
});

test("pixi's own cycle test manifest (task_graph.rs:946-955, run in order by pixi) is valid with one warning", async () => {
  const text = readFileSync(
    join(
      testFixtures,
      'validate',
      'classes',
      'prefix-dev__pixi__crates_pixi_task_src_task_graph_rs_L946-955__cycle.pixi.toml',
    ),
    'utf8',
  );
  const report = await validateManifestSource(text);
  assert.is(report.ok, true, JSON.stringify(report.errors));
  assert.equal(
    report.warnings.map((w) => w.rule),
    ['manifest/task-cycle'],
  );
  assert.match(report.warnings[0]!.message, /root -> task1 -> root/);
});

test('task env values may be empty (toml/task.rs:243 reads a map of strings)', async () => {
  assert.equal(await found('[tasks.t]\ncmd = "echo $X"\nenv = { X = "" }\n'), []);
});

test('[package] needs build (toml/package.rs:203) and its backend a name (toml/build_backend.rs:186)', async () => {
  // [package] needs the pixi-build preview (toml/manifest.rs test_package_without_build_section).
  const gated = await found(
    '[package]\nname = "x"\nversion = "1.0"\n[package.build]\nbackend = { name = "b", version = "*" }\n',
  );
  assert.equal(
    gated.map((f) => [f.severity, f.rule, f.line]),
    [['error', 'manifest/pixi-build-preview', 4]],
  );
  const preview = 'preview = ["pixi-build"]\n[package]\nname = "x"\nversion = "1.0"\n';
  const noBuild = await found(preview);
  assert.equal(
    noBuild.map((f) => [f.severity, f.rule, f.line]),
    [['error', 'schema/missing-key', 5]],
  );
  assert.match(noBuild[0]!.message, /\[package\] is missing 'build' \(pixi: missing field `build`\)/);
  const noName = await found(`${preview}[package.build]\nbackend = { version = "*" }\n`);
  assert.ok(
    noName.some((f) => f.rule === 'schema/missing-key' && /missing field `name`/.test(f.message)),
    JSON.stringify(noName),
  );
  assert.equal(await found(`${preview}[package.build]\nbackend = { name = "pixi-build-python", version = "*" }\n`), []);
});

test('an image repository beginning with "-" is refused (it would reach docker as an option)', async () => {
  for (const repository of ['--insecure/pixi-condor', '-x/pixi-condor', '--x.io/y']) {
    const list = await found(`[tool.pixi-condor]\nrepository = "${repository}"\n`);
    assert.ok(
      list.some((f) => f.rule === 'schema/pattern' && f.severity === 'error'),
      `${repository}: ${JSON.stringify(list)}`,
    );
  }
  assert.throws(() => templateConfig({ tool: { 'pixi-condor': { repository: '--help' } } }), /must not begin with '-'/);
  assert.equal(await found('[tool.pixi-condor]\nrepository = "ghcr.io/{owner}/pixi-condor"\n'), []);
});

test('`foo` and `Foo` in one dependency table: pixi refuses it (utils/package_map.rs:244-258, its test at :404)', async () => {
  const list = await found('[dependencies]\nfoo = "1.0"\nbar = "2.0"\nFoo = "1.0"\n');
  assert.equal(
    list.map((f) => [f.severity, f.rule, f.line, f.column]),
    [['error', 'toml/duplicate-key', 7, 1]],
  );
  assert.match(list[0]!.message, /^duplicate key `Foo` in table `dependencies`/);
});

test('value checks pixi makes on load: SPDX license (toml/workspace.rs ~552), two platforms of one name, an empty conda-pypi-map entry (toml/conda_pypi_map.rs ~77)', async () => {
  const rules = async (toml: string) =>
    (await found(toml)).map((f) => `${f.severity === 'error' ? 'E' : 'W'} ${f.rule}@${f.line}`);
  const license = (text: string) =>
    validateManifestSource(`[workspace]\nchannels = []\nplatforms = []\nlicense = "${text}"\n`);
  for (const good of [
    'MIT',
    'MIT OR Apache-2.0',
    '(MIT AND BSD-3-Clause) OR GPL-2.0-or-later WITH Classpath-exception-2.0',
  ])
    assert.equal((await license(good)).errors, [], good);
  for (const bad of ['MIT OR', 'MIT Apache-2.0', '(MIT', 'MIT/Apache'])
    assert.equal(
      (await license(bad)).errors.map((e) => e.rule),
      ['manifest/license'],
      bad,
    );
  const twice = await validateManifestSource(
    '[workspace]\nchannels = []\nplatforms = [{ name = "gpu", platform = "linux-64", cuda = "12" },\n { name = "gpu", platform = "linux-64", cuda = "13" }]\n',
  );
  assert.equal(
    twice.errors.map((e) => `${e.rule}@${e.line}`),
    ['manifest/duplicate-platform@4'],
  );
  assert.equal(await rules('[workspace.conda-pypi-map]\nconda-forge = {}\nbioconda = false\n'), [
    'E manifest/empty-conda-pypi-map@5',
  ]);
});

test('{ workspace = true } may override build and channel but not version or the source (build_backend.rs ~204-221)', async () => {
  const pool = '[workspace.dependencies]\nnumpy = "1.*"\n[dependencies]\n';
  assert.equal(await found(`${pool}numpy = { workspace = true, build = "py311*" }\n`), []);
  const owned = await found(`${pool}numpy = { workspace = true, version = "2.*", path = "x" }\n`);
  assert.equal(
    owned.map((f) => f.rule),
    ['manifest/workspace-inheritance', 'manifest/workspace-inheritance'],
  );
  assert.match(owned[0]!.message, /`version` is mutually exclusive with `workspace`/);
});

test("a feature's 'linux-64' beside a rich linux-64 entry: an error naming the entry's derived name (toml/manifest.rs undeclared_platform_error)", async () => {
  const report = await validateManifestSource(
    '[workspace]\nchannels = []\nplatforms = [{ platform = "linux-64", cuda = "12.9" }]\n[feature.a]\nplatforms = ["linux-64"]\n[environments]\na = ["a"]\n',
  );
  assert.equal(
    report.errors.map((e) => `${e.rule}@${e.line}`),
    ['manifest/unknown-platform@5'],
  );
  assert.match(report.errors[0]!.message, /named 'linux-64-cuda-12-9'/);
  assert.match(report.errors[0]!.hint, /name = "linux-64"/);
});

test('integers past 2^53 are read as pixi reads them (any i64, toml-span); past i64 a syntax error at its line', async () => {
  const big = await validateManifestSource(
    '[workspace]\nchannels = []\nplatforms = []\n[tool.mine]\nseed = 1234567890123456789\nmost = -9223372036854775808\n',
  );
  assert.equal(big.errors, [], JSON.stringify(big.errors));
  const past = await validateManifestSource(
    '[workspace]\nchannels = []\nplatforms = []\n[tool.mine]\nseed = 99999999999999999999\n',
  );
  assert.equal(
    past.errors.map((e) => `${e.rule}@${e.line}:${e.column}`),
    ['toml/syntax@5:8'],
  );
  assert.match(past.errors[0]!.message, /does not fit in 64 bits/);
});

test.run();
