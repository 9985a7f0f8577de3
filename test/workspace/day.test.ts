// A user's day, chained as the README tells it, on a fresh copy of the template: validate,
// build-image (real Docker engine and registry), then submit and status (stand-in condor_*
// tools, test doubles replaying a real CHTC event log). What ties the steps together is checked
// across them: the digest build-image recorded is the one the registry serves and the one
// submit pins, and the job's record points at it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import { runScript } from '../helpers/process.ts';
import { baseImageArgs, buildTestBaseImage, dockerSkipReason, registryDigest } from '../image/services.ts';
import { makeWorkspace, uniqueName, type TestWorkspace } from '../image/workspace.ts';
import { eventLogDir } from '../condor/fixtures.ts';
import { standInBin } from '../condor/workspace.ts';

const skipReason = await dockerSkipReason();
if (skipReason)
  console.log(`workspace/day.test.ts: skipping the chained day (validate -> build-image -> submit): ${skipReason}`);
const dayTest = skipReason ? test.skip : test;

let ws: TestWorkspace;
let condorDir: string;
let dockerConfig: string;

test.before(async () => {
  if (skipReason) return;
  await buildTestBaseImage();
  const registry = process.env.PIXI_CONDOR_TEST_REGISTRY!;
  ws = makeWorkspace(`${registry}/${uniqueName('day')}`);
  // What makeWorkspace leaves out and a fork has: the submit file, and the data prepare-data makes.
  cpSync(join(repoRoot, 'mnist_gpu_docker.sub'), join(ws.root, 'mnist_gpu_docker.sub'));
  writeFileSync(join(ws.root, 'MNIST_data.tar.gz'), 'stand-in archive');
  condorDir = mkdtempSync(join(tmpdir(), 'pixi-condor-day-condor-'));
  dockerConfig = mkdtempSync(join(tmpdir(), 'pixi-condor-day-docker-'));
  writeFileSync(
    join(condorDir, 'scenario.json'),
    JSON.stringify({ mode: 'ok', log: join(eventLogDir, 'chtc_pytorch_cnn_docker_gpu.log'), delayMs: 10 }),
  );
});

test.after(() => {
  if (skipReason) return;
  for (const pid of readFileSync(join(condorDir, 'pids'), { encoding: 'utf8', flag: 'a+' })
    .split('\n')
    .filter(Boolean)) {
    try {
      process.kill(Number(pid));
    } catch {
      // the replayer already finished
    }
  }
  ws.remove();
  rmSync(condorDir, { recursive: true, force: true });
  rmSync(dockerConfig, { recursive: true, force: true });
});

const condorEnv = () => ({
  PIXI_PROJECT_ROOT: ws.root,
  PATH: `${standInBin}${delimiter}${process.env.PATH}`,
  STANDIN_CONDOR_DIR: condorDir,
  STANDIN_NODE: process.execPath,
});

dayTest('validate -> build-image -> submit -> status: one digest from the registry to the job', async () => {
  const validate = await runScript('validate.ts', [], { env: { PIXI_PROJECT_ROOT: ws.root }, timeoutMs: 30_000 });
  assert.is(validate.code, 0, validate.stdout + validate.stderr);

  const build = await ws.buildImage(baseImageArgs, { env: { DOCKER_CONFIG: dockerConfig }, timeoutMs: 120_000 });
  assert.is(build.code, 0, build.stdout + build.stderr);
  const image = JSON.parse(ws.read('.pixi-condor/image.json'));
  const [, path, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(`${image.repository}:${image.contentTag}`)!;
  assert.is(
    await registryDigest(process.env.PIXI_CONDOR_TEST_REGISTRY!, path!, tag!),
    image.digest,
    'the registry serves the recorded digest',
  );

  const submit = await runScript('submit.ts', ['--interval', '40'], { env: condorEnv(), timeoutMs: 60_000 });
  assert.is(submit.code, 0, submit.stdout + submit.stderr);
  const calls = readFileSync(join(condorDir, 'calls.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const submitCall = calls.find((call) => call.tool === 'condor_submit');
  assert.ok(
    submitCall.argv.includes(`container_image = docker://${image.repository}@${image.digest}`),
    'submit pins the recorded digest',
  );
  assert.match(submit.stdout, /completed: exit 0/);

  const job = JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', '4242.json'), 'utf8'));
  assert.is(job.image.digest, image.digest);

  const status = await runScript('status.ts', ['--once', '--json'], { env: condorEnv(), timeoutMs: 30_000 });
  assert.is(status.code, 0, status.stdout + status.stderr);
  const state = JSON.parse(status.stdout);
  assert.equal(
    state.jobs.map((j: { id: string; state: string; exitCode: number }) => [j.id, j.state, j.exitCode]),
    [['4242.0', 'completed', 0]],
  );
});

test.run();
