// build-image's registry login keeps the token in its own temporary folder only: given a config
// with no auths, the docker CLI would pick the machine's default credential helper (the desktop
// keyring, `pass`) and leave the token there after the run. A stand-in helper on PATH records
// whatever docker hands it; the real docker CLI logs in to a small registry stand-in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { login } from '../../scripts/lib/image/login.ts';
import { Shell, onPath } from '../../scripts/lib/shell.ts';

const docker = await onPath('docker');
if (!docker) console.log('skipping the login credential-store test: no docker CLI on PATH');
const dockerTest = docker ? test : test.skip;

dockerTest('the token is kept in the temporary config only, never handed to a credential helper', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-login-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const helperLog = join(dir, 'helper.log');
  for (const name of ['secretservice', 'pass'])
    writeFileSync(
      join(bin, `docker-credential-${name}`),
      `#!/bin/sh\ninput=$(cat)\necho "$1 $input" >> '${helperLog}'\n[ "$1" = get ] && { echo "credentials not found in native keychain"; exit 1; }\n[ "$1" = list ] && echo "{}"\nexit 0\n`,
      { mode: 0o755 },
    );
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  const server = createServer((req, res) => {
    const headers = { 'docker-distribution-api-version': 'registry/2.0' };
    if (req.headers.authorization) res.writeHead(200, headers).end('{}');
    else res.writeHead(401, { ...headers, 'www-authenticate': 'Basic realm="r"' }).end();
  }).listen(0, '127.0.0.1');
  try {
    await new Promise((resolve) => server.once('listening', resolve));
    const registry = `127.0.0.1:${(server.address() as { port: number }).port}`;
    const engine = {
      kind: 'docker',
      bin: 'docker',
      builder: 'classic',
      clientVersion: '',
      serverVersion: '',
      buildEnv: {},
    };
    const auth = await login(new Shell(), engine as never, registry, {
      username: 'alice',
      token: 'ghp_LOGINTOKEN12345',
    });
    const config = readFileSync(join(auth.env.DOCKER_CONFIG!, 'config.json'), 'utf8');
    assert.not.match(config, /credsStore/, config);
    assert.match(config, new RegExp(registry.replace(/[.]/g, '\\.')), 'the login is in the temporary config');
    await auth.dispose();
    assert.not.ok(existsSync(auth.env.DOCKER_CONFIG!), 'the temporary config is gone');
    const handed = existsSync(helperLog) ? readFileSync(helperLog, 'utf8') : '';
    assert.not.match(handed, /ghp_LOGINTOKEN12345/, `a credential helper was handed the token: ${handed}`);
    assert.not.match(handed, /^store /m, handed);
  } finally {
    process.env.PATH = path;
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
