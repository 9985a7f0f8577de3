// pyproject.toml as the manifest (pixi_manifest/src/pyproject.rs): [tool.pixi.*] is the manifest,
// [project] is PEP 621, extras and dependency groups are features. Real files validate with
// positions in pyproject.toml, and a workspace whose manifest is pyproject.toml validates,
// builds (--dry-run) and submits (--dry-run, stand-in condor) like the template's pixi.toml.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateManifestSource, validateWorkspace } from '../../scripts/lib/validate/index.ts';
import { pyprojectView } from '../../scripts/lib/validate/pyproject.ts';
import { computeContentHash } from '../../scripts/lib/image/content-hash.ts';
import { readImageRecord, writeImageRecord } from '../../scripts/lib/image-record.ts';
import { findWorkspaceRoot, readManifest, templateConfig } from '../../scripts/lib/workspace.ts';
import { makeWorkspace as makeSubmitWorkspace } from '../condor/workspace.ts';
import { testFixtures } from '../helpers/paths.ts';
import { pathWithOnly, runScript } from '../helpers/process.ts';
import { makeWorkspace as makeImageWorkspace } from '../image/workspace.ts';
import { summary } from './helpers.ts';

const FIXTURES = join(testFixtures, 'validate', 'pyproject');

/** The template's pixi.toml as a pyproject.toml: [x] -> [tool.pixi.x]; [tool.pixi-condor] stays a tool table. */
export function asPyproject(pixiToml: string): string {
  const body = pixiToml.replace(/^\[([^[\]]+)\]/gm, (_, name: string) =>
    name.startsWith('tool.') ? `[${name}]` : `[tool.pixi.${name}]`,
  );
  return `[project]\nname = "pixi-condor"\nversion = "0.1.0"\n\n${body}`;
}

function convert(root: string): void {
  writeFileSync(join(root, 'pyproject.toml'), asPyproject(readFileSync(join(root, 'pixi.toml'), 'utf8')));
  rmSync(join(root, 'pixi.toml'));
  for (const file of ['Dockerfile', '.dockerignore']) {
    const path = join(root, file);
    try {
      writeFileSync(path, readFileSync(path, 'utf8').replace(/pixi\.toml/g, 'pyproject.toml'));
    } catch {
      // not every workspace copy has both
    }
  }
}

test('real pyproject manifests (pixi docs) validate clean, with their rich platforms and dependency groups', async () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('pyproject.toml'));
  assert.ok(files.length >= 2);
  for (const file of files) {
    const report = await validateManifestSource(readFileSync(join(FIXTURES, file), 'utf8'), 'pyproject.toml');
    assert.is(report.ok, true, `${file}: ${summary(report)}`);
  }
});

test('findings point into pyproject.toml and name its tables; extras and groups are features', async () => {
  const text = [
    '[project]',
    'name = "x"',
    'dependencies = ["numpy>=1.26"]',
    '[project.optional-dependencies]',
    'gpu = ["torch"]',
    '[dependency-groups]',
    'test = ["pytest", { include-group = "lint" }]',
    'lint = ["ruff"]',
    '[tool.pixi.workspace]',
    'channels = ["conda-forge"]',
    'platforms = ["linux-64"]',
    '[tool.pixi.environments]',
    'gpu = ["gpu"]',
    'test = ["test"]',
    'cpu = ["cpuu"]',
    '[tool.pixi.dependencies]',
    'numpy = 3',
    '',
  ].join('\n');
  const report = await validateManifestSource(text, 'pyproject.toml');
  assert.equal(
    report.errors.map((e) => `${e.rule}@${e.line}:${e.column}`),
    ['manifest/undefined-feature@15:8', 'schema/type@17:9'],
    summary(report),
  );
  assert.match(report.errors[1]!.message, /^\[tool\.pixi\.dependencies\.numpy\] must be/);
  const unnamed = await validateManifestSource(text.replace('name = "x"\n', ''), 'pyproject.toml');
  assert.equal(
    unnamed.errors.map((e) => `${e.rule}@${e.line}`),
    ['schema/missing-key@1', 'manifest/undefined-feature@14', 'schema/type@16'],
    summary(unnamed),
  );
  assert.match(unnamed.errors[0]!.message, /missing field `name`/);
  // The same text as pixi.toml is wrong everywhere: [project] is pixi's old table there.
  assert.ok((await validateManifestSource(text, 'pixi.toml')).errors.length > 2);
});

test('a workspace with pyproject.toml validates like the template, and every script finds it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pixi-condor-pyproject-'));
  try {
    for (const file of ['pixi.toml', 'pixi.lock', 'Dockerfile', 'mnist_gpu_docker.sub', '.env.example'])
      writeFileSync(join(root, file), readFileSync(join(testFixtures, '..', '..', file)));
    execFileSync('cp', ['-r', join(testFixtures, '..', '..', 'job'), join(root, 'job')]);
    const before = await validateWorkspace({ root, saveCache: false });
    convert(root);
    assert.is(findWorkspaceRoot(join(root, 'job'), {}), root);
    const manifest = await readManifest(root);
    assert.is(manifest.file, 'pyproject.toml');
    assert.is(
      templateConfig(manifest.data).repository,
      'ghcr.io/{owner}/pixi-condor',
      'the template settings come from [tool.pixi-condor]',
    );
    const after = await validateWorkspace({ root, saveCache: false });
    const rules = (r: typeof before) => [...r.errors, ...r.warnings].map((f) => f.rule).sort();
    assert.is(after.ok, true, summary(after));
    assert.equal(rules(after), rules(before), `${summary(before)}\n---\n${summary(after)}`);
    // A manifest finding points into pyproject.toml at its [tool.pixi.…] header.
    const pyproject = join(root, 'pyproject.toml');
    writeFileSync(pyproject, `${readFileSync(pyproject, 'utf8')}\n[tool.pixi.system-requirements]\nlibc = "2.28"\n`);
    const clash = (await validateWorkspace({ root, saveCache: false })).errors.find(
      (e) => e.rule === 'manifest/system-requirements-with-platforms',
    );
    assert.is(clash?.file, 'pyproject.toml');
    assert.is(readFileSync(pyproject, 'utf8').split('\n')[clash!.line - 1], '[tool.pixi.system-requirements]');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('build-image --dry-run and submit --dry-run run on a pyproject.toml workspace', async () => {
  const gitOnly = pathWithOnly(['git', 'bash']);
  const image = makeImageWorkspace('127.0.0.1:9/pixi-condor-test/pyproject', { git: false });
  try {
    convert(image.root);
    for (const args of [
      ['init', '-q'],
      ['add', '-A'],
      ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', 'commit', '-q', '-m', 'pyproject'],
    ])
      execFileSync('git', args, { cwd: image.root, stdio: 'ignore' });
    execFileSync('git', ['remote', 'add', 'origin', 'https://github.com/Test-Owner/fork.git'], { cwd: image.root });
    const built = await image.buildImage(['--dry-run'], { env: { PATH: gitOnly } });
    assert.is(built.code, 0, built.stderr);
    assert.match(built.stderr, /^would run: docker build --platform linux\/amd64 /m);
    // Where each value came from names the manifest there is: pyproject.toml, not pixi.toml
    // (--explain explains and stops: a run of its own).
    const explain = await image.buildImage(['--explain'], { env: { PATH: gitOnly } });
    assert.is(explain.code, 0, explain.stderr);
    const explained = explain.stdout + explain.stderr;
    assert.match(explained, /\[tool\.pixi-condor\] repository in pyproject\.toml/);
    assert.not.match(explained, /in pixi\.toml/);
  } finally {
    image.remove();
    rmSync(gitOnly, { recursive: true, force: true });
  }
  const ws = await makeSubmitWorkspace();
  try {
    convert(ws.root);
    // The record build-image would write for the converted inputs (as makeSubmitWorkspace does).
    const record = (await readImageRecord(ws.root))!;
    const { hash } = await computeContentHash(ws.root, templateConfig((await readManifest(ws.root)).data));
    const contentTag = `default-noble-cuda12.9-${hash.slice(0, 12)}`;
    await writeImageRecord(ws.root, { ...record, contentHash: hash, contentTag, tags: [contentTag] });
    const dry = await runScript('submit.ts', ['--dry-run'], { env: ws.env, timeoutMs: 30_000 });
    assert.is(dry.code, 0, dry.stdout + dry.stderr);
    assert.match(
      dry.stdout,
      /dry run: nothing was submitted; no check would stop a real submit|✓ image built from the current lock/,
    );
    assert.match(dry.stdout, /condor_submit mnist_gpu_docker\.sub /);
  } finally {
    ws.cleanup();
  }
});

test("requires-python becomes python's spec as pixi makes it: its specifiers without spaces, less a leading ==", () => {
  const python = (requiresPython: string) =>
    (
      pyprojectView({
        project: { name: 'x', 'requires-python': requiresPython },
        tool: { pixi: { workspace: { channels: ['conda-forge'], platforms: ['linux-64'] } } },
      }).data.dependencies as Record<string, unknown>
    ).python;
  assert.is(python('>= 3.11'), '>=3.11');
  assert.is(python('>=3.10, <3.14'), '>=3.10, <3.14');
  assert.is(python('==3.13.*'), '3.13.*');
});

test('extras and dependency groups are features pixi makes itself: never warned as unused; a [tool.pixi.feature] of its own is', async () => {
  const head =
    '[project]\nname = "x"\nrequires-python = ">=3.11"\n[project.optional-dependencies]\ntest = ["pytest"]\n[dependency-groups]\ndev = ["ruff"]\n[tool.pixi.workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n';
  const implicit = await validateManifestSource(head, 'pyproject.toml');
  assert.equal(
    implicit.warnings.filter((w) => w.rule === 'manifest/unused-feature'),
    [],
  );
  const own = await validateManifestSource(
    `${head}[tool.pixi.feature.lint.dependencies]\nruff = "*"\n`,
    'pyproject.toml',
  );
  assert.equal(
    own.warnings.filter((w) => w.rule === 'manifest/unused-feature').map((w) => w.message.includes("'lint'")),
    [true],
  );
});

test.run();
