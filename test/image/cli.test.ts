// build-image's command line and the errors it gives before any engine or registry is asked:
// usage, no engine on PATH, where values come from (--explain), and a context that would carry
// .env. No Docker needed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { pathWithOnly, runCommand, taskCommand } from '../helpers/process.ts';
import { makeWorkspace, type TestWorkspace } from './workspace.ts';

let ws: TestWorkspace;
let gitOnly: string;

test.before(() => {
  // A PATH with git and bash, and nothing else: no docker, no podman.
  gitOnly = pathWithOnly(['git', 'bash']);
});
test.after(() => rmSync(gitOnly, { recursive: true, force: true }));
test.before.each(() => {
  ws = makeWorkspace('ghcr.io/{owner}/pixi-condor');
});
test.after.each(() => ws.remove());

test('--help describes the options and exits 0', async () => {
  const result = await ws.buildImage(['--help']);
  assert.is(result.code, 0);
  for (const flag of ['--dry-run', '--no-push', '--force', '--explain', '--engine', '--build-arg'])
    assert.ok(result.stdout.includes(flag), flag);
});

test('usage mistakes exit 2 with one line', async () => {
  const bad = await ws.buildImage(['--build-arg', 'NOEQUALS']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /^error: --build-arg expects NAME=VALUE, got 'NOEQUALS'$/m);
  const unknown = await ws.buildImage(['--frobnicate']);
  assert.is(unknown.code, 2);
});

test('no engine on PATH: one line and a hint, exit 1', async () => {
  const result = await ws.buildImage(['--no-push'], { env: { PATH: gitOnly } });
  assert.is(result.code, 1, result.stderr);
  assert.match(result.stderr, /^error: no container engine on PATH \(looked for docker and podman\)$/m);
  assert.match(result.stderr, /^hint: install Docker/m);
});

test('--dry-run with no engine and no registry still shows every command, and writes nothing', async () => {
  ws.remove();
  ws = makeWorkspace('127.0.0.1:9/pixi-condor-test/dry'); // nothing listens on the discard port
  const result = await ws.buildImage(['--dry-run'], { env: { PATH: gitOnly } });
  assert.is(result.code, 0, result.stderr);
  // A dry run plans from local facts: it says what it did not ask instead of asking.
  assert.match(
    result.stderr,
    /^dry run: the registry was not asked whether 127\.0\.0\.1:9\/pixi-condor-test\/dry:default-\S+ is there \(a real run builds and pushes nothing when it is\)/m,
  );
  assert.not.match(result.stderr, /could not check the registry|unreachable/);
  assert.match(result.stderr, /^dry run: validate's lock checks ran, its others did not/m);
  assert.match(
    result.stderr,
    /^note: no container engine on PATH .*; showing the commands a docker engine would get$/m,
  );
  assert.match(result.stderr, /^would run: docker build --platform linux\/amd64 /m);
  assert.match(
    result.stderr,
    /^would run: docker push 127\.0\.0\.1:9\/pixi-condor-test\/dry:default-[\w.-]+-[0-9a-f]{12}$/m,
  );
  assert.match(result.stderr, /^warning: pixi\.lock is incomplete/m, 'the lock check ran');
  assert.is(existsSync(join(ws.root, '.pixi-condor')), false, 'no state folder: no record, no validate cache');
});

test('--dry-run runs neither the engine nor `git status`: the plan is local facts, and says so', async () => {
  // A `docker` that leaves a mark when run: a dry run must not run it, not even `docker version`.
  const bin = join(gitOnly, '..', `pixi-condor-dry-engine-${process.pid}`);
  const mark = join(bin, 'ran');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'docker'), `#!/bin/sh\necho "$@" >> '${mark}'\nexit 1\n`);
  chmodSync(join(bin, 'docker'), 0o755);
  ws.write('.env', 'REGISTRY_USER=alice\nREGISTRY_TOKEN=dry-run-token-5678\n');
  try {
    const env = { PATH: `${bin}:${gitOnly}` };
    const result = await ws.buildImage(['--dry-run'], { env });
    assert.is(result.code, 0, result.stderr);
    assert.not.ok(existsSync(mark), `docker was run: ${existsSync(mark) ? readFileSync(mark, 'utf8') : ''}`);
    assert.match(result.stderr, /^dry run: docker was not asked for its version; showing BuildKit commands/m);
    assert.match(result.stderr, /^would run: docker build .* --progress plain /m);
    // With credentials a dry run shows the login a real run makes when the registry asks.
    assert.match(
      result.stderr,
      /^would run: docker login --username alice --password-stdin ghcr\.io \(with input on stdin\)$/m,
    );
    assert.not.ok(result.stderr.includes('dry-run-token-5678'));
    // The revision label comes from .git's files, and the note says the dirty check was not made.
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ws.root }).toString().trim();
    assert.match(result.stderr, new RegExp(`--label org\\.opencontainers\\.image\\.revision=${head} `));
    assert.match(result.stderr, /^dry run: git was not asked whether the work tree has changes/m);

    const classic = await ws.buildImage(['--dry-run'], { env: { ...env, DOCKER_BUILDKIT: '0' } });
    assert.is(classic.code, 0, classic.stderr);
    assert.match(classic.stderr, /showing classic builder commands/);
    assert.not.match(classic.stderr, /--progress plain/);
    assert.not.ok(existsSync(mark), 'docker was run');
    assert.is(existsSync(join(ws.root, '.pixi-condor')), false, 'nothing written');
  } finally {
    rmSync(bin, { recursive: true, force: true });
    rmSync(join(ws.root, '.env'), { force: true });
  }
});

test('a missing pixi.lock is named, with `pixi lock` to write it', async () => {
  rmSync(join(ws.root, 'pixi.lock'));
  const result = await ws.buildImage(['--dry-run'], { env: { PATH: gitOnly } });
  assert.is(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    /^error: Dockerfile:\d+: COPY source 'pixi\.lock' matches no file in the build context$/m,
  );
  assert.match(result.stderr, /^hint: run `pixi lock` to write pixi\.lock/m);
});

test('--explain says where the owner, credentials and tags come from, never the token, and stops', async () => {
  const token = 'ghp_explainTestTokenValue1234';
  // No engine on PATH and a registry never asked: --explain explains and stops (issue 18), exit 0.
  const result = await ws.buildImage(['--explain'], {
    env: { PATH: gitOnly, GITHUB_ACTOR: 'test-owner', GITHUB_TOKEN: token },
  });
  assert.is(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /explained only: nothing was built, pushed or recorded/);
  assert.match(result.stderr, /engine\s+\(none usable\)/);
  assert.not.ok(existsSync(join(ws.root, '.pixi-condor', 'image.json')), 'nothing was recorded');
  assert.match(
    result.stderr,
    /owner\s+test-owner\s+\(the git remote origin \(https:\/\/github\.com\/Test-Owner\/pixi-condor-fork\.git\)\)/,
  );
  assert.match(result.stderr, /repository\s+ghcr\.io\/test-owner\/pixi-condor/);
  assert.match(result.stderr, /registry user\s+test-owner\s+\(\$GITHUB_ACTOR\)/);
  assert.match(result.stderr, /registry token\s+\(set, not shown\)\s+\(\$GITHUB_TOKEN\)/);
  assert.match(result.stderr, /content tag\s+default-noble-cuda12\.9-[0-9a-f]{12}/);
  assert.match(
    result.stderr,
    /content hash\s+[0-9a-f]{64}\s+\(Dockerfile, build args, platform, pixi\.lock, pixi\.toml\)/,
  );
  assert.not.ok(result.stderr.includes(token) || result.stdout.includes(token));
});

test('--explain shows the git remote without the user and token a URL may carry', async () => {
  execFileSync(
    'git',
    ['remote', 'set-url', 'origin', 'https://alice:ghp_PATINREMOTE12345@github.com/Test-Owner/pixi-condor-fork.git'],
    {
      cwd: ws.root,
    },
  );
  const result = await ws.buildImage(['--explain'], { env: { PATH: gitOnly } });
  assert.is(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stderr, /\(the git remote origin \(https:\/\/github\.com\/Test-Owner\/pixi-condor-fork\.git\)\)/);
  assert.not.ok((result.stdout + result.stderr).includes('PATINREMOTE'), 'the token in the remote is never printed');
});

test('half the credentials is an error naming the missing one', async () => {
  ws.write('.env', 'REGISTRY_USER=alice\n');
  const result = await ws.buildImage(['--no-push'], { env: { PATH: gitOnly } });
  assert.is(result.code, 1);
  assert.match(result.stderr, /^error: REGISTRY_USER is set but REGISTRY_TOKEN is not$/m);
});

test('a .dockerignore that would send .env is refused before anything runs', async () => {
  ws.write('.dockerignore', 'node_modules\n');
  ws.write('.env', 'REGISTRY_USER=a\nREGISTRY_TOKEN=secret-value-1234\n');
  const result = await ws.buildImage(['--no-push'], { env: { PATH: gitOnly } });
  assert.is(result.code, 1);
  assert.match(result.stderr, /^error: \.dockerignore: \.env would be sent to the image build/m);
  assert.not.ok(result.stderr.includes('secret-value-1234'));
});

test('a Dockerfile.dockerignore or .containerignore (read by BuildKit, podman instead of .dockerignore) is refused, exit 2', async () => {
  ws.write('.env', 'REGISTRY_USER=a\nREGISTRY_TOKEN=secret-value-1234\n');
  for (const other of ['Dockerfile.dockerignore', '.containerignore']) {
    ws.write(other, '# lets .env through\n');
    const result = await ws.buildImage(['--dry-run'], { env: { PATH: gitOnly } });
    assert.is(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`^error: ${other.replace('.', '\\.')}: an engine reads it instead of \\.dockerignore`, 'm'),
    );
    assert.not.ok((result.stdout + result.stderr).includes('secret-value-1234'));
    rmSync(join(ws.root, other));
  }
});

test('a --build-arg the Dockerfile does not declare is a usage error naming the argument (exit 2)', async () => {
  const result = await ws.buildImage(['--no-push', '--build-arg', 'CUDA_VERSOIN=12.4'], { env: { PATH: gitOnly } });
  assert.is(result.code, 2, result.stderr);
  assert.match(result.stderr, /^error: --build-arg CUDA_VERSOIN=…: Dockerfile declares no ARG CUDA_VERSOIN$/m);
  assert.match(result.stderr, /^hint: the Dockerfile's ARGs: BUILD_IMAGE, CUDA_VERSION, ENVIRONMENT, FINAL_IMAGE/m);
  assert.not.match(result.stderr, /pixi\.toml/);
});

test('a --build-arg holding a token (any of them, not only the one logged in with) is refused by name, the token never shown (exit 2)', async () => {
  ws.write('.env', 'REGISTRY_USER=a\nREGISTRY_TOKEN=dckr_REGTOKEN12345\nGITHUB_TOKEN=ghp_GHTOKEN1234567\n');
  const result = await ws.buildImage(['--dry-run', '--build-arg', 'ENVIRONMENT=ghp_GHTOKEN1234567'], {
    env: { PATH: gitOnly },
  });
  assert.is(result.code, 2, result.stderr);
  assert.match(result.stderr, /^error: the build argument ENVIRONMENT holds a registry or GitHub token$/m);
  assert.not.ok((result.stdout + result.stderr).includes('ghp_GHTOKEN1234567'), 'the token is never printed');
});

test("validate's errors stop the build before any engine is asked (a CUDA version that disagrees)", async () => {
  ws.write('Dockerfile', ws.read('Dockerfile').replace('ARG CUDA_VERSION="12.9"', 'ARG CUDA_VERSION="12.4"'));
  const result = await ws.buildImage(['--no-push'], { env: { PATH: gitOnly } });
  assert.is(result.code, 1, result.stderr);
  assert.match(result.stderr, /^Dockerfile:\d+:\d+: .*12\.4.* \[cuda\/[\w-]+\]$/m);
  assert.match(result.stderr, /^error: validate found \d+ errors? \(listed above\); nothing was built$/m);
  assert.not.match(result.stderr, /no container engine/, 'stopped before looking for an engine');
});

test('an unreadable pixi.lock under --dry-run: one line naming it, no stack (exit 2)', async () => {
  // Root reads any file: run the script as nobody then (setpriv), else chmod is enough.
  const asRoot = process.getuid?.() === 0;
  const setpriv = asRoot ? execFileSync('sh', ['-c', 'command -v setpriv || true']).toString().trim() : '';
  if (asRoot && !setpriv) {
    console.log('  skipped: running as root without setpriv, a file cannot be made unreadable');
    return;
  }
  chmodSync(ws.root, 0o755);
  chmodSync(join(ws.root, 'pixi.lock'), 0o000);
  const [node, task] = taskCommand('build-image');
  const argv = [...task, '--dry-run'];
  const result = await runCommand(
    asRoot ? setpriv : node,
    asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', node, ...argv] : argv,
    { env: { PIXI_PROJECT_ROOT: ws.root, PATH: gitOnly, TMPDIR: tmpdir() }, timeoutMs: 60_000 },
  );
  assert.is(result.code, 2, result.stderr);
  assert.match(result.stderr, /^error: cannot read pixi\.lock: permission denied$/m);
  assert.match(result.stderr, /^hint: make it readable \(`chmod u\+r pixi\.lock`\)$/m);
  assert.not.match(result.stderr, /\n\s+at /);
});

test.run();
