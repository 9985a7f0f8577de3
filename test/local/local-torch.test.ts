// The template's own job, trained for real: the template Dockerfile built by build-image with
// BUILD_IMAGE = the busybox + stand-in pixi test base and FINAL_IMAGE = a Debian image holding
// Debian's CPU PyTorch ($PIXI_CONDOR_TEST_TORCH_IMAGE, .ci/services.sh), pushed to the local
// registry; a small synthetic MNIST packed as prepare-data packs it; then
// `submit --local --allow-cpu` of mnist_gpu_docker.sub for one epoch. What ran: Debian's
// PyTorch on the CPU. What did not: conda-forge's CUDA build (the stand-in pixi installs no
// packages) and a GPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEventLog } from '../../scripts/lib/event-log/event-log.ts';
import { JobTable } from '../../scripts/lib/jobs/job-state.ts';
import { repoRoot } from '../helpers/paths.ts';
import { runCommand, runScript } from '../helpers/process.ts';
import { buildTestBaseImage, dockerSkipReason, TEST_BASE_IMAGE } from '../image/services.ts';
import { makeWorkspace, uniqueName, type TestWorkspace } from '../image/workspace.ts';

const torchImage = process.env.PIXI_CONDOR_TEST_TORCH_IMAGE;
// --allow-cpu reaches job/main.py as PIXI_CONDOR_ALLOW_CPU=1 (the interface between the runner
// and the template job); a main.py from before that would refuse the CPU.
const mainReadsAllowCpu = readFileSync(join(repoRoot, 'job', 'main.py'), 'utf8').includes('PIXI_CONDOR_ALLOW_CPU');
const skip =
  (await dockerSkipReason()) ??
  (torchImage ? null : 'PIXI_CONDOR_TEST_TORCH_IMAGE is not set (.ci/services.sh builds the Debian PyTorch image)') ??
  (mainReadsAllowCpu
    ? null
    : 'job/main.py does not read PIXI_CONDOR_ALLOW_CPU yet, so it would refuse to train on the CPU');
if (skip) console.log(`local/local-torch.test.ts: skipping the real PyTorch run: ${skip}`);
const torchTest = skip ? test.skip : test;

// The stand-in pixi puts a fake `python` in the environment's bin, which the entrypoint puts
// first on PATH: a build base whose stand-in leaves it out lets Debian's python3 run the job.
const buildBase = `localhost/pixi-condor-local-torch-base:${uniqueName('b').toLowerCase()}`;
let ws: TestWorkspace;
let dockerConfig: string;

test.before(async () => {
  if (skip) return;
  await buildTestBaseImage();
  const context = mkdtempSync(join(tmpdir(), 'pixi-condor-torch-base-'));
  writeFileSync(
    join(context, 'Dockerfile'),
    `FROM ${TEST_BASE_IMAGE}\nRUN sed -i '/bin\\/python/d' /usr/local/bin/pixi\n`,
  );
  const built = await runCommand('docker', ['build', '-q', '-t', buildBase, context], { timeoutMs: 120_000 });
  rmSync(context, { recursive: true, force: true });
  assert.is(built.code, 0, built.stderr);
  ws = makeWorkspace(`${process.env.PIXI_CONDOR_TEST_REGISTRY}/${uniqueName('torch')}`);
  cpSync(join(repoRoot, 'mnist_gpu_docker.sub'), join(ws.root, 'mnist_gpu_docker.sub'));
  writeFileSync(
    join(ws.root, 'pixi.toml'),
    `${ws.read('pixi.toml').trimEnd()}\nbuild-args = { BUILD_IMAGE = "${buildBase}", FINAL_IMAGE = "${torchImage}" }\n`,
  );
  dockerConfig = mkdtempSync(join(tmpdir(), 'pixi-condor-torch-docker-'));
});

test.after(async () => {
  if (skip) return;
  ws?.remove();
  rmSync(dockerConfig, { recursive: true, force: true });
  if (freshImage) await runCommand('docker', ['rmi', freshImage], { timeoutMs: 60_000 });
  await runCommand('docker', ['rmi', buildBase], { timeoutMs: 60_000 });
});

/** `python3 ARGS` in the torch image as this user, `root` at /w (the working folder), no network. */
function pythonInTorchImage(root: string, args: string[], mounts: string[] = []) {
  return runCommand(
    'docker',
    [
      'run',
      '--rm',
      '--network',
      'none',
      '--user',
      `${process.getuid!()}:${process.getgid!()}`,
      '-v',
      `${root}:/w`,
      ...mounts,
      '-w',
      '/w',
      torchImage!,
      'python3',
      ...args,
    ],
    { timeoutMs: 120_000 },
  );
}

torchTest('the template job trains one epoch on CPU PyTorch; mnist_cnn.pt comes back and loads', async () => {
  const build = await ws.buildImage([], { env: { DOCKER_CONFIG: dockerConfig }, timeoutMs: 300_000 });
  assert.is(build.code, 0, build.stdout + build.stderr);
  const image = JSON.parse(ws.read('.pixi-condor/image.json'));

  // Synthetic MNIST, packed as prepare-data packs it (data/MNIST/raw/* in MNIST_data.tar.gz).
  const made = await pythonInTorchImage(
    ws.root,
    ['/tools/make_synthetic_mnist.py', 'data', '600', '200'],
    ['-v', `${join(repoRoot, 'test', 'job')}:/tools:ro`],
  );
  assert.is(made.code, 0, made.stderr);
  const packed = await runCommand('tar', ['-czf', 'MNIST_data.tar.gz', 'data/MNIST/raw'], { cwd: ws.root });
  assert.is(packed.code, 0, packed.stderr);
  rmSync(join(ws.root, 'data'), { recursive: true, force: true });

  // One epoch, as `condor_submit -append 'epochs = 1'` sets it: the submit file's `epochs` macro.
  const submit = await runScript(
    'submit.ts',
    ['--local', '--allow-cpu', '--append', 'epochs = 1', '--interval', '100'],
    {
      env: { PIXI_PROJECT_ROOT: ws.root },
      timeoutMs: 600_000,
    },
  );
  const cluster = /running job (\d+) here/.exec(submit.stdout)?.[1];
  const out = cluster ? readFileSync(join(ws.root, `mnist_gpu_${cluster}_0.out.txt`), 'utf8') : '';
  const err = cluster ? readFileSync(join(ws.root, `mnist_gpu_${cluster}_0.err.txt`), 'utf8') : '';
  assert.is(submit.code, 0, `${submit.stdout}${submit.stderr}\n--- job stdout\n${out}\n--- job stderr\n${err}`);
  assert.match(out, /# device: cpu/);

  const record = JSON.parse(ws.read(`.pixi-condor/jobs/${cluster}.json`));
  assert.is(record.image.digest, image.digest);
  assert.ok(record.local);
  const { events } = parseEventLog(readFileSync(join(ws.root, `mnist_gpu_${cluster}_0.log.txt`)));
  const table = new JobTable([Number(cluster)]);
  for (const e of events) table.apply(e);
  assert.equal(
    table.list().map((j) => [j.state, j.exitCode]),
    [['completed', 0]],
  );

  // The model loads (Debian's python in the torch image).
  const load = await runCommand(
    'docker',
    [
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${ws.root}:/w:ro`,
      torchImage!,
      'python3',
      '-c',
      "import torch; s = torch.load('/w/mnist_cnn.pt', map_location='cpu'); print('tensors', len(s))",
    ],
    { timeoutMs: 120_000 },
  );
  assert.is(load.code, 0, load.stderr);
  assert.match(load.stdout, /tensors \d+/);
});

// The README's one command on a fresh machine (issue 18, item 6): a fresh copy of the template,
// no .pixi-condor/image.json, no registry, no login, no network for the data: `prepare-data
// --synthetic` (job/prepare_data.py, run by the torch image's python as pixi would run it), then
// `submit --local --allow-cpu`, which builds the image here and pins the job to its image ID.
let freshImage: string | null = null;
torchTest(
  'a fresh copy with no image record: submit --local --allow-cpu builds the image here and trains',
  async () => {
    const fresh = makeWorkspace('ghcr.io/{owner}/pixi-condor');
    try {
      writeFileSync(
        join(fresh.root, 'pixi.toml'),
        `${fresh.read('pixi.toml').trimEnd()}\nbuild-args = { BUILD_IMAGE = "${buildBase}", FINAL_IMAGE = "${torchImage}" }\n`,
      );
      assert.not.ok(existsSync(join(fresh.root, '.pixi-condor', 'image.json')));
      const data = await pythonInTorchImage(fresh.root, [
        'job/prepare_data.py',
        '--data-dir',
        'data',
        '--archive',
        'MNIST_data.tar.gz',
        '--synthetic',
        '--train-count',
        '600',
        '--test-count',
        '200',
      ]);
      assert.is(data.code, 0, data.stdout + data.stderr);
      assert.ok(existsSync(join(fresh.root, 'MNIST_data.tar.gz')));
      rmSync(join(fresh.root, 'data'), { recursive: true, force: true });

      const submit = await runScript(
        'submit.ts',
        ['--local', '--allow-cpu', '--append', 'epochs = 1', '--interval', '100'],
        {
          env: { PIXI_PROJECT_ROOT: fresh.root, REGISTRY_TOKEN: undefined, GITHUB_TOKEN: undefined },
          timeoutMs: 600_000,
        },
      );
      const cluster = /running job (\d+) here/.exec(submit.stdout)?.[1];
      const err = cluster ? readFileSync(join(fresh.root, `mnist_gpu_${cluster}_0.err.txt`), 'utf8') : '';
      assert.is(submit.code, 0, `${submit.stdout}${submit.stderr}\n--- job stderr\n${err}`);
      assert.match(
        submit.stdout + submit.stderr,
        /no image record \(\.pixi-condor\/image\.json\): building the image here/,
      );
      // Built here, never recorded as a pushed image; the job ran the image ID it was pinned to.
      assert.not.ok(existsSync(join(fresh.root, '.pixi-condor', 'image.json')));
      const local = JSON.parse(fresh.read('.pixi-condor/local-image.json'));
      freshImage = local.reference;
      assert.match(local.imageId, /^sha256:[0-9a-f]{64}$/);
      const record = JSON.parse(fresh.read(`.pixi-condor/jobs/${cluster}.json`));
      assert.is(record.image.digest, local.imageId);
      assert.ok(existsSync(join(fresh.root, 'mnist_cnn.pt')));
    } finally {
      fresh.remove();
    }
  },
);

test.run();
