// The engine command lines build-image runs, for docker (classic and BuildKit) and podman, and
// the login that carries the token on stdin only. Dry-run shells print instead of running.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildArgv } from '../../scripts/lib/image/build.ts';
import type { Engine } from '../../scripts/lib/image/engine.ts';
import { login, tlsFlags } from '../../scripts/lib/image/login.ts';
import { Shell } from '../../scripts/lib/shell.ts';

const docker = (builder: Engine['builder']): Engine => ({
  kind: 'docker',
  bin: 'docker',
  builder,
  clientVersion: '28.2.2',
  serverVersion: '20.10.24',
  buildEnv: {},
});
const podman: Engine = {
  kind: 'podman',
  bin: 'podman',
  builder: 'buildah',
  clientVersion: '4.3.1',
  serverVersion: '4.3.1',
  buildEnv: {},
};
const request = {
  root: '/ws',
  dockerfile: 'Dockerfile',
  platform: 'linux/amd64',
  tags: ['r/x:a-1', 'r/x:a'],
  buildArgs: new Map([['ENVIRONMENT', 'default']]),
  labels: { 'org.opencontainers.image.revision': 'abc-dirty' },
};

test('docker build: platform, both tags, build args, labels, iidfile, context last', () => {
  const argv = buildArgv(docker('classic'), request, '/tmp/iid');
  assert.equal(argv, [
    'docker',
    'build',
    '--platform',
    'linux/amd64',
    '--file',
    '/ws/Dockerfile',
    '--tag',
    'r/x:a-1',
    '--tag',
    'r/x:a',
    '--build-arg',
    'ENVIRONMENT=default',
    '--label',
    'org.opencontainers.image.revision=abc-dirty',
    '--iidfile',
    '/tmp/iid',
    '/ws',
  ]);
  const kit = buildArgv(docker('buildkit'), { ...request, network: 'host', noCache: true }, '/tmp/iid');
  assert.ok(kit.join(' ').includes('--progress plain --network host --no-cache'));
});

test('podman builds docker-format images and skips TLS only for loopback registries', () => {
  assert.ok(buildArgv(podman, request, '/tmp/iid').join(' ').includes('--format docker'));
  assert.equal(tlsFlags(podman, '127.0.0.1:5001'), ['--tls-verify=false']);
  assert.equal(tlsFlags(podman, 'ghcr.io'), []);
  assert.equal(tlsFlags(docker('classic'), '127.0.0.1:5001'), []);
});

test('login puts the token on stdin, never in argv or the printed command', async () => {
  const printed: string[] = [];
  const shell = new Shell({ dryRun: true, log: (line) => printed.push(line) });
  const auth = await login(shell, docker('classic'), 'ghcr.io', { username: 'alice', token: 'ghp_secretTokenValue42' });
  assert.equal(printed, ['would run: docker login --username alice --password-stdin ghcr.io (with input on stdin)']);
  assert.ok(auth.env.DOCKER_CONFIG, 'a private credentials folder');
  await auth.dispose();
  const refused = await shell.run(['docker', 'login', '-p', 'ghp_secretTokenValue42', 'ghcr.io']).then(
    () => null,
    (error: Error) => error,
  );
  assert.match(refused?.message ?? '', /refusing to put a secret in argv/);
});

test.run();
