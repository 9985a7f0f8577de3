// A run cut short during the push (Ctrl-C, SIGTERM) must not leave the registry login on disk.
// build-image runs for real against a registry stand-in that asks for Basic auth (all the
// login step needs) with a stand-in `docker` first on PATH: its login writes config.json as
// docker's does, and its push sleeps, so the signal lands while the credentials folder exists.
// No Docker needed: this runs everywhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import { taskCommand, bound } from '../helpers/process.ts';
import { makeWorkspace, type TestWorkspace } from './workspace.ts';

const USER = 'signal-user';

/** Logs in by writing base64(user:password) to $DOCKER_CONFIG/config.json; pushes by sleeping. */
const STAND_IN_DOCKER = `#!/bin/bash
case "$1" in
  version) echo '{"Client":{"Version":"24.0.0"},"Server":{"Version":"24.0.0"}}' ;;
  buildx) exit 1 ;;
  build)
    while [ $# -gt 0 ]; do
      if [ "$1" = --iidfile ]; then echo "sha256:$(printf '%064d' 7)" > "$2"; fi
      shift
    done
    echo "Step 1/1 : FROM scratch" ;;
  image) echo 1024 ;;
  login)
    user=$3; password=$(cat); registry=\${@: -1}
    printf '{"auths":{"%s":{"auth":"%s"}}}\\n' "$registry" "$(printf '%s:%s' "$user" "$password" | base64 -w0)" > "$DOCKER_CONFIG/config.json"
    echo "Login Succeeded" ;;
  push)
    echo "$DOCKER_CONFIG" > "$STAND_IN_MARKER"
    exec sleep 30 ;;
  *) echo "stand-in docker: unexpected $*" >&2; exit 1 ;;
esac
`;

let registry: Server;
let registryAddress: string;

test.before(async () => {
  // Every request without credentials gets a Basic challenge; with them, no tag exists.
  registry = createServer((req, res) => {
    if (!req.headers.authorization) return res.writeHead(401, { 'www-authenticate': 'Basic realm="stand-in"' }).end();
    res.writeHead(req.url === '/v2/' ? 200 : 404).end();
  });
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  registryAddress = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
});
test.after(() => new Promise<void>((resolve) => registry.close(() => resolve())));

/** Every file under `dir`, recursively (what the run left in its temporary folder). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path, { throwIfNoEntry: false })?.isFile());
}

async function waitFor<T>(what: string, probe: () => T | null, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + bound(timeoutMs);
  for (;;) {
    const value = probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${bound(timeoutMs)} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Start build-image, wait until its push runs with the login on disk, deliver `signal` (to the
 * whole process group, as a terminal's Ctrl-C does, or to build-image alone), and report.
 */
async function interruptPush(signal: NodeJS.Signals, to: 'group' | 'process') {
  const ws: TestWorkspace = makeWorkspace(`${registryAddress}/test/signals`, { git: false });
  const scratch = mkdtempSync(join(tmpdir(), 'pixi-condor-signal-test-'));
  const runTmp = join(scratch, 'tmp');
  const bin = join(scratch, 'bin');
  mkdirSync(runTmp);
  mkdirSync(bin);
  writeFileSync(join(bin, 'docker'), STAND_IN_DOCKER);
  chmodSync(join(bin, 'docker'), 0o755);
  const marker = join(scratch, 'pushing');
  const token = `tok-${process.pid}-${Math.random().toString(36).slice(2)}`;
  ws.write('.env', `REGISTRY_USER=${USER}\nREGISTRY_TOKEN=${token}\n`);

  const [node, task] = taskCommand('build-image');
  const child = spawn(node, task, {
    cwd: repoRoot,
    // A private TMPDIR: everything the run creates in "/tmp" lands here, to be searched after.
    env: {
      ...process.env,
      NO_COLOR: '1',
      PIXI_PROJECT_ROOT: ws.root,
      TMPDIR: runTmp,
      PATH: `${bin}:${process.env.PATH}`,
      STAND_IN_MARKER: marker,
      REGISTRY_USER: '',
      REGISTRY_TOKEN: '',
      PIXI_CONDOR_ENGINE: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, sig) => resolve({ code, signal: sig })),
  );
  let status: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  void exited.then((s) => (status = s));
  try {
    const authDir = await waitFor(
      'the push to start',
      () => {
        if (status) throw new Error(`build-image ended before its push (${JSON.stringify(status)}):\n${output}`);
        return existsSync(marker) ? readFileSync(marker, 'utf8').trim() || null : null;
      },
      60_000,
    );
    const basic = Buffer.from(`${USER}:${token}`).toString('base64');
    // The stand-in really logged in where build-image pointed it: the token is on disk now.
    assert.match(authDir, new RegExp(`^${runTmp}/pixi-condor-auth-`));
    assert.ok(readFileSync(join(authDir, 'config.json'), 'utf8').includes(basic), 'login wrote the credentials');

    process.kill(to === 'group' ? -child.pid! : child.pid!, signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const result = await exited;
    clearTimeout(timer);
    const left = filesUnder(runTmp).filter((file) => {
      const bytes = readFileSync(file);
      return bytes.includes(token) || bytes.includes(basic);
    });
    const authFolders = readdirSync(runTmp).filter((name) => name.startsWith('pixi-condor-auth-'));
    return { ...result, output, authDirLeft: existsSync(authDir), authFolders, left, token };
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL'); // the stand-in's sleep, when only build-image was signalled
    } catch {
      // the group is gone already
    }
    ws.remove();
    rmSync(scratch, { recursive: true, force: true });
  }
}

for (const [signal, to] of [
  ['SIGINT', 'group'],
  ['SIGTERM', 'process'],
  ['SIGHUP', 'process'],
] as const) {
  test(`${signal} to the ${to === 'group' ? 'process group (Ctrl-C)' : 'build-image process'} during the push removes the login, exit ${128 + constants.signals[signal]}`, async () => {
    const run = await interruptPush(signal, to);
    assert.is(run.code, 128 + constants.signals[signal], `exit code; output:\n${run.output}`);
    assert.not.ok(run.authDirLeft, 'the credentials folder is gone');
    assert.equal(run.authFolders, []);
    assert.equal(run.left, [], 'no file the run created holds the token');
    assert.match(run.output, new RegExp(`interrupted \\(${signal}\\): removed the temporary registry login`));
    assert.not.ok(run.output.includes(run.token), 'token printed');
  });
}

test.run();
