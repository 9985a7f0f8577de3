// `pixi condor init`'s files for real, in Docker: a small workspace that is not the template gets
// init's Dockerfile, submit file and wrapper; build-image builds that Dockerfile with a real engine
// and pushes it to the local registry; `submit --local --allow-cpu` runs the submit file in the
// pushed image: the wrapper makes the sandbox the workspace and runs the workspace's own task, whose
// output comes back. The base image is busybox with the stand-in pixi (test/image/base-image) and a
// stand-in `pixi run` (base-image/ here): no real pixi, no conda packages, no GPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEventLog } from '../../scripts/lib/event-log/event-log.ts';
import { runCommand, runScript, type RunResult } from '../helpers/process.ts';
import { buildTestBaseImage, dockerSkipReason, TEST_BASE_IMAGE } from '../image/services.ts';
import { NO_CREDENTIALS_ENV, uniqueName } from '../image/workspace.ts';
import { LOCK, makeWorkspace, PIXI_TOML, type Workspace } from './workspaces.ts';

const skip = await dockerSkipReason();
if (skip) console.log(`extension/docker.test.ts: skipping init's files in Docker: ${skip}`);
const dockerTest = skip ? test.skip : test;

const base = `localhost/pixi-condor-extension-base:${uniqueName('x').toLowerCase()}`;
let ws: Workspace;
let dockerConfig: string;

const env = () => ({
  PIXI_PROJECT_ROOT: undefined,
  ...NO_CREDENTIALS_ENV,
  DOCKER_CONFIG: dockerConfig,
});
const run = (script: string, args: string[], timeoutMs = 60_000): Promise<RunResult> =>
  runScript(script, args, { cwd: ws.root, env: env(), timeoutMs });

test.before(async () => {
  if (skip) return;
  await buildTestBaseImage();
  const built = await runCommand(
    'docker',
    ['build', '-q', '--build-arg', `BASE=${TEST_BASE_IMAGE}`, '-t', base, join(import.meta.dirname, 'base-image')],
    { timeoutMs: 120_000 },
  );
  assert.is(built.code, 0, built.stderr);
  // The task writes its result with the shell: the stand-in environment has no real python.
  ws = makeWorkspace({
    'pixi.toml': PIXI_TOML.replace(
      'hello = { cmd = "python hello.py --out result.txt", outputs = ["result.txt"] }',
      'hello = { cmd = "echo hello from the task > result.txt", outputs = ["result.txt"] }',
    ),
    'pixi.lock': LOCK,
  });
  dockerConfig = mkdtempSync(join(tmpdir(), 'pixi-condor-extension-docker-'));
});

test.after(async () => {
  if (skip) return;
  ws?.remove();
  rmSync(dockerConfig, { recursive: true, force: true });
  await runCommand('docker', ['rmi', base], { timeoutMs: 60_000 });
});

dockerTest('init, validate, build-image, submit --local: the workspace task runs in its image', async () => {
  const init = await run('init.ts', []);
  assert.is(init.code, 0, init.stdout + init.stderr);
  // Push to the local registry instead of ghcr.io: the one line a user would edit.
  const repository = `${process.env.PIXI_CONDOR_TEST_REGISTRY}/${uniqueName('extension')}`;
  ws.write('pixi.toml', ws.read('pixi.toml').replace(/^repository = ".*"$/m, `repository = "${repository}"`));

  const validate = await run('validate.ts', []);
  assert.is(validate.code, 0, validate.stdout + validate.stderr);

  const build = await run(
    'build-image.ts',
    ['--build-arg', `BUILD_IMAGE=${base}`, '--build-arg', `FINAL_IMAGE=${base}`],
    180_000,
  );
  assert.is(build.code, 0, build.stdout + build.stderr);
  const image = JSON.parse(ws.read('.pixi-condor/image.json')) as { repository: string; digest: string };
  assert.is(image.repository, repository);

  const submit = await run('submit.ts', ['--local', '--allow-cpu', '--interval', '40'], 180_000);
  assert.is(submit.code, 0, submit.stdout + submit.stderr);
  assert.is(ws.read('result.txt'), 'hello from the task\n', 'the task ran in the sandbox and its output came back');
  const logs = readdirSync(ws.root).filter((f) => /^hello_\d+_0\.log\.txt$/.test(f));
  assert.is(logs.length, 1, `one event log: ${logs.join(', ')}`);
  const { events } = parseEventLog(readFileSync(join(ws.root, logs[0]!)));
  const terminated = events.find((e) => e.code === 5);
  assert.ok(terminated, 'the job terminated');
  const out = readFileSync(join(ws.root, logs[0]!.replace('.log.txt', '.out.txt')), 'utf8');
  assert.match(out, /stand-in pixi: running task hello in environment default/);
  assert.not.ok(existsSync(join(ws.root, '.pixi')), 'the sandbox workspace stays in the sandbox');
});

test.run();
