// Finding and reading the workspace: TOML syntax errors carry their position, the template
// settings get their defaults, and git remotes give the image owner.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_DEFAULTS, findWorkspaceRoot, parseTomlText, templateConfig } from '../../scripts/lib/workspace.ts';
import { UserError } from '../../scripts/lib/errors.ts';
import { githubRepoFromRemote } from '../../scripts/lib/git.ts';

test('a TOML syntax error is a UserError with line and column', () => {
  try {
    parseTomlText('[workspace]\nname = "x"\nchannels = [\n', 'pixi.toml');
    assert.unreachable();
  } catch (error) {
    assert.instance(error, UserError);
    const e = error as UserError;
    assert.is(e.file, 'pixi.toml');
    assert.is(e.exitCode, 1, 'invalid input, as validate exits for it');
    assert.is(e.line, 4);
    assert.type(e.column, 'number');
    assert.match(e.located, /^pixi\.toml:4:\d+: TOML syntax error/);
  }
});

test('TOML 1.1 (multi-line inline table with trailing comma), as pixi accepts', () => {
  const data = parseTomlText('t = {\n  a = 1,\n  b = 2,\n}\n', 'pixi.toml');
  assert.is((data.t as Record<string, number>).b, 2);
});

test('templateConfig fills defaults and maps keys', () => {
  const config = templateConfig({
    tool: {
      'pixi-condor': { repository: 'ghcr.io/a/b', 'submit-file': 'x.sub', 'build-args': { CUDA_VERSION: '12.9' } },
    },
  });
  assert.is(config.repository, 'ghcr.io/a/b');
  assert.is(config.submitFile, 'x.sub');
  assert.equal(config.buildArgs, { CUDA_VERSION: '12.9' });
  assert.is(config.platform, CONFIG_DEFAULTS.platform);
  assert.equal(templateConfig({}), CONFIG_DEFAULTS);
});

test('templateConfig rejects an unknown key and a wrong type', () => {
  assert.throws(() => templateConfig({ tool: { 'pixi-condor': { repo: 'x' } } }), /unknown key 'repo'/);
  assert.throws(
    () => templateConfig({ tool: { 'pixi-condor': { platform: 3 } } }),
    /platform must be a non-empty string/,
  );
});

test('findWorkspaceRoot walks up to pixi.toml, or says where it looked', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-root-'));
  try {
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'pixi.toml'), '');
    assert.is(findWorkspaceRoot(join(dir, 'a', 'b'), {}), dir);
    rmSync(join(dir, 'pixi.toml'));
    assert.throws(() => findWorkspaceRoot(join(dir, 'a'), {}), /no pixi\.toml in /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('githubRepoFromRemote reads https, ssh and scp-like remotes', () => {
  assert.equal(githubRepoFromRemote('https://github.com/alice/mnist.git'), { owner: 'alice', name: 'mnist' });
  assert.equal(githubRepoFromRemote('git@github.com:alice/mnist.git'), { owner: 'alice', name: 'mnist' });
  assert.equal(githubRepoFromRemote('ssh://git@github.com/alice/mnist'), { owner: 'alice', name: 'mnist' });
  assert.is(githubRepoFromRemote('https://gitlab.com/alice/mnist.git'), null);
  assert.is(githubRepoFromRemote(null), null);
});

test.run();
