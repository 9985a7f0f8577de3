// build-image against the real Docker engine and registries that .ci/services.sh starts: the
// template's own Dockerfile, built on a local busybox base with a stand-in pixi, pushed to a
// loopback registry (open, and htpasswd-protected), read back and recorded. Skips, saying why,
// when PIXI_CONDOR_TEST_DOCKER is unset or docker is unreachable.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDockerignore } from '../../scripts/lib/image/dockerignore.ts';
import { walkContext } from '../../scripts/lib/image/context-files.ts';
import type { ImageRecord } from '../../scripts/lib/image-record.ts';
import { runCommand, type RunResult } from '../helpers/process.ts';
import { planImage } from '../../scripts/lib/image/plan.ts';
import { Shell } from '../../scripts/lib/shell.ts';
import {
  baseImageArgs,
  buildTestBaseImage,
  dockerSkipReason,
  ExtraRegistry,
  PublicReadProxy,
  putTestImage,
  registryDigest,
  TEST_BASE_IMAGE,
} from './services.ts';
import { makeWorkspace, uniqueName, type TestWorkspace } from './workspace.ts';

const skipReason = await dockerSkipReason();
if (skipReason) console.log(`image/docker.test.ts: skipping the Docker tests: ${skipReason}`);
const dockerTest = skipReason ? test.skip : test;

const OPEN = process.env.PIXI_CONDOR_TEST_REGISTRY ?? '';
const AUTH = process.env.PIXI_CONDOR_TEST_AUTH_REGISTRY ?? '';
const AUTH_USER = process.env.PIXI_CONDOR_TEST_AUTH_USER ?? '';
const AUTH_PASSWORD = process.env.PIXI_CONDOR_TEST_AUTH_PASSWORD ?? '';
const workspaces: TestWorkspace[] = [];
const extras: ExtraRegistry[] = [];
// Keep /root/.docker untouched: the CLI's own state goes here.
const dockerConfig = mkdtempSync(join(tmpdir(), 'pixi-condor-docker-config-'));

function workspace(registry: string): { ws: TestWorkspace; path: string } {
  const path = `pixi-condor-test/${uniqueName('img')}`;
  const ws = makeWorkspace(`${registry}/${path}`);
  workspaces.push(ws);
  return { ws, path };
}

const run = (ws: TestWorkspace, args: string[] = [], env: Record<string, string | undefined> = {}) =>
  ws.buildImage([...baseImageArgs, ...args], { env: { DOCKER_CONFIG: dockerConfig, ...env }, timeoutMs: 120_000 });

function record(ws: TestWorkspace): ImageRecord {
  return JSON.parse(ws.read('.pixi-condor/image.json')) as ImageRecord;
}

function assertOk(result: RunResult): void {
  assert.is(result.code, 0, `build-image failed:\n${result.stdout}\n${result.stderr}`);
}

/** A user error: exit 1, `error: …` and `hint: …` lines, no stack trace. */
function assertUserError(result: RunResult, pattern: RegExp): void {
  assert.is(result.code, 1, `expected exit 1, got ${result.code}:\n${result.stderr}`);
  const errorLines = result.stderr.split('\n').filter((l) => l.startsWith('error: '));
  assert.is(errorLines.length, 1, result.stderr);
  assert.match(errorLines[0]!, pattern);
  assert.match(result.stderr, /^hint: /m);
  assert.not.match(result.stderr, /^\s+at .*\(.*:\d+:\d+\)$/m, 'no stack trace');
}

async function docker(...args: string[]): Promise<RunResult> {
  return runCommand('docker', args, { timeoutMs: 60_000, env: { DOCKER_CONFIG: dockerConfig } });
}

test.before(async () => {
  if (!skipReason) await buildTestBaseImage();
});

test.after(async () => {
  // Remove the images these tests built (the registries are CI's scratch space).
  const images = await docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}');
  const ours = images.stdout
    .split('\n')
    .filter((ref) => /\/pixi-condor-test\/img-/.test(ref) && ref.includes(`-${process.pid}-`));
  if (ours.length > 0) await docker('image', 'rm', '--force', ...ours);
  for (const ws of workspaces) ws.remove();
  for (const extra of extras) await extra.remove();
  rmSync(dockerConfig, { recursive: true, force: true });
});

let first: { ws: TestWorkspace; path: string; record: ImageRecord } | null = null;

dockerTest('builds the template Dockerfile, pushes both tags and records the registry digest', async () => {
  const { ws, path } = workspace(OPEN);
  const result = await run(ws);
  assertOk(result);
  assert.not.match(result.stderr, /execute points cannot pull/, 'the open registry serves anyone');
  const saved = record(ws);
  assert.match(saved.contentTag, /^default-busybox-cuda12\.9-[0-9a-f]{12}$/);
  assert.equal(saved.tags, [saved.contentTag, 'default-busybox-cuda12.9']);
  assert.is(saved.repository, `${OPEN}/${path}`);
  assert.is(saved.reference, `${OPEN}/${path}@${saved.digest}`);
  assert.is(
    saved.digest,
    await registryDigest(OPEN, path, saved.contentTag),
    'recorded digest = the registry manifest digest',
  );
  assert.is(
    await registryDigest(OPEN, path, 'default-busybox-cuda12.9'),
    saved.digest,
    'moving tag points at the same manifest',
  );
  const head = (await runCommand('git', ['rev-parse', 'HEAD'], { cwd: ws.root })).stdout.trim();
  assert.is(saved.gitRevision, head);
  assert.ok(saved.sizeBytes && saved.sizeBytes > 0);
  assert.equal(saved.buildArgOverrides, { BUILD_IMAGE: TEST_BASE_IMAGE, FINAL_IMAGE: TEST_BASE_IMAGE });
  assert.equal(Object.keys(saved.inputDigests ?? {}).sort(), ['Dockerfile', 'pixi.lock', 'pixi.toml']);
  // Progress and summary
  assert.match(result.stderr, /^build \[\d+\/\d+\] RUN pixi install --locked/m);
  assert.match(result.stderr, /^push layer [0-9a-f]{12} pushed/m);
  assert.match(result.stdout, new RegExp(`image\\s+${saved.reference.replace(/[.]/g, '\\.')}`));
  assert.match(result.stdout, /size\s+.*compressed in the registry, .* unpacked/);
  first = { ws, path, record: saved };
});

dockerTest('sets the OCI labels and the lock hash label; the RUN lines really ran', async () => {
  assert.ok(first, 'needs the first build');
  const { ws, record: saved } = first!;
  const inspect = await docker(
    'image',
    'inspect',
    '--format',
    '{{json .Config.Labels}}',
    `${saved.repository}:${saved.contentTag}`,
  );
  const labels = JSON.parse(inspect.stdout) as Record<string, string>;
  assert.is(labels['org.opencontainers.image.source'], 'https://github.com/Test-Owner/pixi-condor-fork');
  assert.is(labels['org.opencontainers.image.revision'], saved.gitRevision);
  assert.ok(!Number.isNaN(Date.parse(labels['org.opencontainers.image.created'] ?? '')), 'created is a date');
  assert.match(labels['org.opencontainers.image.title'] ?? '', /default, CUDA 12\.9/);
  assert.is(
    labels['io.pixi-condor.pixi-lock.sha256'],
    createHash('sha256')
      .update(readFileSync(join(ws.root, 'pixi.lock')))
      .digest('hex'),
  );
  assert.is(labels['io.pixi-condor.content-hash'], saved.contentHash);
  const entry = await docker(
    'run',
    '--rm',
    '--entrypoint',
    'cat',
    `${saved.repository}@${saved.digest}`,
    '/app/entrypoint.sh',
  );
  assert.is(entry.code, 0, entry.stderr);
  assert.match(entry.stdout, /export PATH="\/app\/\.pixi\/envs\/default\/bin:\$PATH"/);
  assert.match(entry.stdout, /exec "\$@"/);
});

dockerTest('a second run with only job/main.py changed builds and pushes nothing', async () => {
  assert.ok(first, 'needs the first build');
  const { ws, record: before } = first!;
  ws.write('job/main.py', ws.read('job/main.py') + '\n# a change to the job only\n');
  const result = await run(ws);
  assertOk(result);
  assert.match(result.stdout, /^up to date: /m);
  assert.not.match(result.stderr, /^build /m, 'no build');
  assert.not.match(result.stderr, /^push /m, 'no push');
  assert.not.match(result.stderr, /^pointed /m, 'the moving tag already matches');
  const after = record(ws);
  assert.is(after.digest, before.digest);
  assert.is(after.contentTag, before.contentTag);
  assert.is(after.gitRevision, `${before.gitRevision}-dirty`, 'the record says the tree had changes');
});

dockerTest('a changed pixi.lock builds and pushes a new content tag', async () => {
  assert.ok(first, 'needs the first build');
  const { ws, path, record: before } = first!;
  ws.write('pixi.lock', ws.read('pixi.lock') + '# re-locked\n');
  const result = await run(ws);
  assertOk(result);
  const after = record(ws);
  assert.is.not(after.contentTag, before.contentTag);
  assert.is.not(after.contentHash, before.contentHash);
  assert.match(result.stderr, /^build \[/m);
  assert.is(await registryDigest(OPEN, path, after.contentTag), after.digest);
  assert.is(await registryDigest(OPEN, path, before.contentTag), before.digest, 'the old content tag is untouched');
  assert.is(await registryDigest(OPEN, path, 'default-busybox-cuda12.9'), after.digest, 'the moving tag moved');
});

dockerTest('reverting pixi.lock builds nothing and points the moving tag back at the old image', async () => {
  assert.ok(first, 'needs the first build');
  const { ws, path, record: original } = first!;
  ws.write('pixi.lock', ws.read('pixi.lock').replace(/# re-locked\n$/, ''));
  const result = await run(ws);
  assertOk(result);
  assert.match(result.stdout, /^up to date: /m);
  assert.not.match(result.stderr, /^build /m);
  assert.match(result.stderr, /^pointed .*:default-busybox-cuda12\.9 at sha256:/m);
  assert.is(record(ws).digest, original.digest);
  assert.is(
    await registryDigest(OPEN, path, 'default-busybox-cuda12.9'),
    original.digest,
    'moving tag back on the old manifest',
  );
});

dockerTest(
  'up to date on a registry anyone may read: a moving tag it cannot move is a warning; the record is written',
  async () => {
    const auth = { user: AUTH_USER, password: AUTH_PASSWORD };
    const proxy = new PublicReadProxy(AUTH, auth);
    await proxy.start();
    try {
      const { ws, path } = workspace(proxy.address);
      const plan = await planImage({ root: ws.root, shell: new Shell(), env: {}, buildArgs: {} });
      // The content tag is there; the moving tag names another image (a later build, say).
      const digest = await putTestImage(AUTH, path, plan.contentTag, 'content', auth);
      const other = await putTestImage(AUTH, path, plan.movingTag, 'newer', auth);
      const result = await ws.buildImage([], { env: { DOCKER_CONFIG: dockerConfig }, timeoutMs: 60_000 });
      assertOk(result);
      assert.match(result.stdout, /^up to date: /m);
      assert.match(
        result.stderr,
        new RegExp(
          `^warning: .*:${plan.movingTag} still names another image: registry .* needs credentials to move the tag`,
          'm',
        ),
      );
      assert.match(
        result.stderr,
        /^hint: submit pins sha256:[0-9a-f]{64} and is not affected; .*set REGISTRY_USER and REGISTRY_TOKEN in \.env/m,
      );
      const saved = record(ws);
      assert.is(saved.digest, digest);
      assert.equal(saved.tags, [plan.contentTag], 'the record lists only the tag that names this image');
      assert.is(await registryDigest(AUTH, path, plan.movingTag, auth), other, 'the moving tag is where it was');
    } finally {
      await proxy.stop();
    }
  },
);

dockerTest(
  '--force never moves the content tag: refused while the registry has it; --force --no-push rebuilds',
  async () => {
    assert.ok(first, 'needs the first build');
    const { ws, path, record: before } = first!;
    const refused = await run(ws, ['--force']);
    assert.is(refused.code, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /^error: --force would point \S+ at a new build, and a content tag names one image forever/m,
    );
    assert.not.match(refused.stderr, /^(build|push) /m, 'nothing built or pushed');
    assert.is(await registryDigest(OPEN, path, before.contentTag), before.digest, 'the tag names the same image');
    const rebuilt = await run(ws, ['--force', '--no-push']);
    assertOk(rebuilt);
    assert.match(rebuilt.stderr, /^build \[/m, 'built');
    assert.not.match(rebuilt.stderr, /^push /m);
    assert.is(await registryDigest(OPEN, path, before.contentTag), before.digest, 'still the same image');
  },
);

dockerTest('--no-push builds locally only: no login, no push, the record left alone', async () => {
  const { ws, path } = workspace(AUTH);
  ws.write('.env', `REGISTRY_USER=${AUTH_USER}\nREGISTRY_TOKEN=${AUTH_PASSWORD}\n`);
  const result = await run(ws, ['--no-push']);
  assertOk(result);
  assert.match(result.stderr, /^build \[\d+\/\d+\] RUN pixi install --locked/m);
  assert.not.match(result.stderr, /^push /m);
  const tag = /:(default-busybox-cuda12\.9-[0-9a-f]{12})$/m.exec(result.stderr)![1]!;
  assert.match(
    result.stdout,
    new RegExp(
      `^built ${AUTH.replace(/\./g, '\\.')}/${path}:${tag} \\(sha256:[0-9a-f]{12}, [\\d.]+ [KM]iB\\); not pushed`,
      'm',
    ),
  );
  assert.not.ok(existsSync(join(ws.root, '.pixi-condor', 'image.json')), 'no record');
  assert.is(
    await registryDigest(AUTH, path, tag, { user: AUTH_USER, password: AUTH_PASSWORD }),
    null,
    'nothing pushed',
  );
  assert.is((await docker('image', 'inspect', `${AUTH}/${path}:${tag}`)).code, 0, 'the image is in the engine');
});

dockerTest('credentials alone do not log in: an open registry gets no `docker login`', async () => {
  const { ws } = workspace(OPEN);
  ws.write('.env', `REGISTRY_USER=${AUTH_USER}\nREGISTRY_TOKEN=${AUTH_PASSWORD}\n`);
  // A real run (a dry run asks the registry nothing, so it shows the login): a `docker` first on
  // PATH notes each subcommand, then runs the real one.
  const real = (await runCommand('sh', ['-c', 'command -v docker'])).stdout.trim();
  const bin = mkdtempSync(join(tmpdir(), 'pixi-condor-docker-log-'));
  const log = join(bin, 'commands');
  writeFileSync(join(bin, 'docker'), `#!/bin/sh\necho "$1" >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(join(bin, 'docker'), 0o755);
  try {
    const result = await run(ws, [], { PATH: `${bin}:${process.env.PATH}` });
    assertOk(result);
    const commands = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    assert.ok(commands.includes('push'), `docker was run: ${commands.join(', ')}`);
    assert.not.ok(commands.includes('login'), `docker login ran: ${commands.join(', ')}`);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

dockerTest('logs in with the .env token on stdin; the token is in no output, layer or build context', async () => {
  const { ws, path } = workspace(AUTH);
  ws.write('.env', `REGISTRY_USER=${AUTH_USER}\nREGISTRY_TOKEN=${AUTH_PASSWORD}\n`);
  const result = await run(ws);
  assertOk(result);
  assert.not.ok(`${result.stdout}${result.stderr}`.includes(AUTH_PASSWORD), 'token printed');
  // The htpasswd registry lets no one read anonymously: execute points could not pull it.
  assert.match(result.stderr, /^warning: execute points cannot pull \S+@sha256:[0-9a-f]{64} without credentials: /m);
  assert.match(result.stderr, /^hint: make \S+ readable without credentials/m);
  const saved = record(ws);
  assert.is(
    saved.digest,
    await registryDigest(AUTH, path, saved.contentTag, { user: AUTH_USER, password: AUTH_PASSWORD }),
  );
  // Not in any layer or the config: docker save holds both, uncompressed.
  const out = join(ws.root, 'image.tar');
  const save = await docker('save', '-o', out, `${saved.repository}:${saved.contentTag}`);
  assert.is(save.code, 0, save.stderr);
  assert.not.ok(readFileSync(out).includes(Buffer.from(AUTH_PASSWORD)), 'token found in the saved image');
  rmSync(out);
  // Not in the build context, and no credentials left in the CLI config.
  const ignore = await loadDockerignore(ws.root, 'Dockerfile');
  const context = await walkContext(ws.root, '.', ignore);
  assert.not.ok(context.includes('.env'));
  for (const file of context)
    assert.not.ok(readFileSync(join(ws.root, file)).includes(Buffer.from(AUTH_PASSWORD)), file);
  assert.not.ok(
    existsSync(join(dockerConfig, 'config.json')) &&
      readFileSync(join(dockerConfig, 'config.json'), 'utf8').includes(AUTH),
    'login left in the user config',
  );
});

dockerTest('a wrong password is one line: login rejected, exit 1', async () => {
  const { ws } = workspace(AUTH);
  ws.write('.env', `REGISTRY_USER=${AUTH_USER}\nREGISTRY_TOKEN=not-the-password\n`);
  const result = await run(ws);
  assertUserError(result, /registry 127\.0\.0\.1:\d+ rejected the login of 'ciuser'/);
  assert.not.ok(result.stderr.includes('not-the-password'));
});

dockerTest('a stopped registry is one line: unreachable, exit 1', async () => {
  const extra = new ExtraRegistry();
  extras.push(extra);
  await extra.start();
  const { ws } = workspace(extra.address);
  await extra.stop();
  const result = await run(ws);
  assertUserError(result, /registry 127\.0\.0\.1:\d+ is unreachable/);
});

dockerTest('a registry that refuses the push is one line: tag refused, exit 1', async () => {
  const extra = new ExtraRegistry();
  extras.push(extra);
  await extra.start({ readOnly: true });
  const { ws } = workspace(extra.address);
  const result = await run(ws);
  assertUserError(
    result,
    /refused the tag 127\.0\.0\.1:\d+\/pixi-condor-test\/img-.*:default-busybox-cuda12\.9-[0-9a-f]{12}/,
  );
  await extra.stop();
});

dockerTest('a stopped daemon is one line: daemon not running, exit 1', async () => {
  const { ws } = workspace(OPEN);
  const socketDir = mkdtempSync(join(tmpdir(), 'pixi-condor-nodaemon-'));
  const result = await run(ws, [], { DOCKER_HOST: `unix://${join(socketDir, 'docker.sock')}` });
  rmSync(socketDir, { recursive: true, force: true });
  assertUserError(result, /the Docker daemon is not running \(DOCKER_HOST=unix:\/\/.*docker\.sock\)/);
});

dockerTest('a lock out of date with pixi.toml is one line pointing at `pixi lock`', async () => {
  const { ws } = workspace(OPEN);
  ws.write(
    'pixi.toml',
    ws
      .read('pixi.toml')
      .replace('[target.linux-64.dependencies]\n', '[target.linux-64.dependencies]\nscipy = ">=1.14"\n'),
  );
  const result = await run(ws, ['--no-push']);
  assertUserError(result, /pixi\.lock.*out of date/);
  assert.match(result.stderr, /hint: run `pixi lock`/);
});

dockerTest('--dry-run prints the tag and every command, and writes nothing', async () => {
  const { ws, path } = workspace(AUTH);
  ws.write('.env', `REGISTRY_USER=${AUTH_USER}\nREGISTRY_TOKEN=${AUTH_PASSWORD}\n`);
  const result = await run(ws, ['--dry-run']);
  assertOk(result);
  const all = `${result.stdout}${result.stderr}`;
  assert.match(
    result.stderr,
    /^content tag: 127\.0\.0\.1:\d+\/pixi-condor-test\/img-\S+:default-busybox-cuda12\.9-[0-9a-f]{12}$/m,
  );
  assert.match(result.stderr, /^would run: docker build --platform linux\/amd64 /m);
  assert.match(
    result.stderr,
    /^would run: docker login --username ciuser --password-stdin 127\.0\.0\.1:\d+ \(with input on stdin\)$/m,
  );
  assert.equal(result.stderr.match(/^would run: docker push /gm)?.length, 2);
  assert.match(result.stderr, /^would write \.pixi-condor\/image\.json$/m);
  assert.not.ok(all.includes(AUTH_PASSWORD));
  assert.not.ok(existsSync(join(ws.root, '.pixi-condor')), 'no state folder: no record, no validate cache');
  const tag = /:(default-busybox-cuda12\.9-[0-9a-f]{12})$/m.exec(result.stderr)![1]!;
  assert.is(
    await registryDigest(AUTH, path, tag, { user: AUTH_USER, password: AUTH_PASSWORD }),
    null,
    'nothing pushed',
  );
  const inspect = await docker('image', 'inspect', `${AUTH}/${path}:${tag}`);
  assert.is.not(inspect.code, 0, 'nothing built');
});

// The BuildKit path needs the Debian 20.10 CLI at /usr/bin/docker (it drives BuildKit with
// DOCKER_BUILDKIT=1); elsewhere the test is skipped, saying why.
const buildkitSkip =
  skipReason ?? (existsSync('/usr/bin/docker') ? null : 'no /usr/bin/docker (the Debian 20.10 CLI) here');
if (buildkitSkip && !skipReason) console.log(`image/docker.test.ts: skipping the BuildKit test: ${buildkitSkip}`);

(buildkitSkip ? test.skip : test)(
  'BuildKit: the 20.10 CLI with DOCKER_BUILDKIT builds with --network host and plain progress',
  async () => {
    const { ws, path } = workspace(OPEN);
    // --explain names the builder and stops; the build itself is a second run.
    const explained = await run(ws, ['--engine', '/usr/bin/docker', '--network', 'host', '--explain']);
    assertOk(explained);
    assert.match(explained.stderr, /builder\s+buildkit/);
    const result = await run(ws, ['--engine', '/usr/bin/docker', '--network', 'host']);
    assertOk(result);
    assert.match(result.stderr, /^build \[build \d+\/\d+\] RUN pixi install --locked/m);
    const saved = record(ws);
    assert.is(saved.digest, await registryDigest(OPEN, path, saved.contentTag));
  },
);

test.run();
