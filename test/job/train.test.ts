// job/main.py trained for real: Debian 12's PyTorch 1.13 (CPU) in the image .ci/services.sh
// builds (PIXI_CONDOR_TEST_TORCH_IMAGE), on a small synthetic MNIST, through plain `docker run`.
// What is proved: training, the progress line per epoch, metrics.json, an exact resume from a
// checkpoint after a checkpoint exit (the saved tensors compared with torch.equal), refusing a
// checkpoint of another run, and exit 3 without CUDA. Every container run is bounded in time
// and removed by its own name when the bound is hit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import { type RunResult, runCommand } from '../helpers/process.ts';

const image = process.env.PIXI_CONDOR_TEST_TORCH_IMAGE;
const runId = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const label = `pixi-condor-test=job-train-${runId}`;

async function skipReason(): Promise<string | null> {
  if (!image) return 'PIXI_CONDOR_TEST_TORCH_IMAGE is not set (source .ci/services.sh to build the Debian torch image)';
  const found = await runCommand('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { timeoutMs: 20_000 });
  if (found.code !== 0) return `docker cannot show ${image}: ${found.stderr.trim().split('\n').pop() ?? found.code}`;
  return null;
}

const skip = await skipReason();
if (skip) console.log(`job/train.test.ts: skipping the real-PyTorch tests: ${skip}`);
const torchTest = skip ? test.skip : test;

const work = mkdtempSync(join(tmpdir(), 'pc-train-'));
let runs = 0;

/** `python ARGS` in the torch image with `work` as /w, as this user, offline, within `timeoutMs`. */
function inImage(args: string[], env: Record<string, string> = {}, timeoutMs = 180_000): Promise<RunResult> {
  return commandInImage(['python', ...args], env, timeoutMs);
}

async function commandInImage(command: string[], env: Record<string, string>, timeoutMs: number): Promise<RunResult> {
  const name = `pc-job-train-${runId}-${++runs}`;
  const user = `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`;
  const envArgs = Object.entries({ HOME: '/tmp', ...env }).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
  const result = await runCommand(
    'docker',
    ['run', '--rm', '--name', name, '--label', label, '--network', 'none', '-u', user, ...envArgs]
      .concat(['-v', `${work}:/w`, '-w', '/w', image as string])
      .concat(command),
    { timeoutMs },
  );
  // Killing the docker CLI at the time limit leaves its container running: remove it by name.
  if (result.timedOut) await runCommand('docker', ['rm', '-f', name], { timeoutMs: 30_000 });
  return result;
}

const progressLines = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('PIXI_CONDOR_PROGRESS'));
const PROGRESS = /^PIXI_CONDOR_PROGRESS (\{.*\})$/;
const train = ['main.py', '--data-dir', 'data', '--epochs', '2', '--batch-size', '32', '--save-model'];

test.before(async () => {
  if (skip) return;
  copyFileSync(join(repoRoot, 'job', 'main.py'), join(work, 'main.py'));
  copyFileSync(join(repoRoot, 'test', 'job', 'make_synthetic_mnist.py'), join(work, 'make_synthetic_mnist.py'));
  // Small on purpose: four batches an epoch keeps each run to seconds on two shared cores.
  const made = await inImage(['make_synthetic_mnist.py', 'data', '128', '64'], {}, 60_000);
  assert.is(made.code, 0, made.stdout + made.stderr);
});

test.after(async () => {
  if (!skip) {
    const left = await runCommand('docker', ['ps', '-aq', '--filter', `label=${label}`], { timeoutMs: 20_000 });
    const ids = left.stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await runCommand('docker', ['rm', '-f', ...ids], { timeoutMs: 30_000 });
  }
  rmSync(work, { recursive: true, force: true });
});

torchTest('an uninterrupted run trains, prints one progress line per epoch and writes metrics.json', async () => {
  const result = await inImage([...train, '--model-path', 'a.pt', '--metrics', 'a.json', '--checkpoint', 'a-ck.pt'], {
    PIXI_CONDOR_ALLOW_CPU: '1',
  });
  assert.is(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^# device: cpu /m);
  assert.not.match(result.stdout, /resumed/);
  assert.match(result.stdout, /^# checkpoint: epoch 1 saved to a-ck\.pt$/m);
  const lines = progressLines(result.stdout);
  assert.is(lines.length, 2, result.stdout);
  lines.forEach((line, index) => {
    const match = PROGRESS.exec(line);
    assert.ok(match, `not a progress line: ${line}`);
    const fields = JSON.parse(match?.[1] ?? '{}');
    assert.equal(Object.keys(fields), ['epoch', 'epochs', 'loss', 'accuracy', 'images_per_s']);
    assert.is(fields.epoch, index + 1);
    assert.is(fields.epochs, 2);
    for (const key of ['loss', 'accuracy', 'images_per_s']) assert.type(fields[key], 'number', `${key} in ${line}`);
    assert.ok(fields.accuracy >= 0 && fields.accuracy <= 1, line);
    assert.ok(fields.images_per_s > 0, line);
  });
  const metrics = JSON.parse(readFileSync(join(work, 'a.json'), 'utf8'));
  const types: Record<string, 'number' | 'string'> = {
    loss: 'number',
    accuracy: 'number',
    epochs: 'number',
    wall_time_s: 'number',
    device: 'string',
    lr: 'number',
    seed: 'number',
    batch_size: 'number',
  };
  for (const [key, type] of Object.entries(types)) assert.type(metrics[key], type, `metrics.json ${key}`);
  assert.is(metrics.epochs, 2);
  assert.is(metrics.device, 'cpu');
  assert.is(metrics.batch_size, 32);
  assert.is(metrics.resumes, 0);
  assert.ok(
    Object.values(metrics).every((value) => ['number', 'string'].includes(typeof value)),
    'flat numbers and strings',
  );
  assert.ok(existsSync(join(work, 'a.pt')), 'the model was saved');
  assert.not.ok(existsSync(join(work, 'a-ck.pt')), 'a complete run leaves no checkpoint to resume');
});

torchTest('a run that exits with the checkpoint code resumes and ends with the same weights', async () => {
  // As HTCondor runs it: the same command line both times, the code from checkpoint_exit_code;
  // saved by the clock, as the template does (--checkpoint-every-minutes), after epoch 1.
  const args = [...train, '--model-path', 'b.pt', '--metrics', 'b.json', '--checkpoint', 'b-ck.pt'];
  args.push('--checkpoint-every-minutes', '0.0001', '--checkpoint-exit', '85');
  const first = await inImage(args, { PIXI_CONDOR_ALLOW_CPU: '1' });
  assert.is(first.code, 85, first.stdout + first.stderr);
  assert.is(progressLines(first.stdout).length, 1, first.stdout);
  assert.ok(existsSync(join(work, 'b-ck.pt')), 'the checkpoint was written');
  assert.not.ok(existsSync(join(work, 'b.pt')), 'no model before the last epoch');
  copyFileSync(join(work, 'b-ck.pt'), join(work, 'b-epoch1.pt'));

  const second = await inImage(args, { PIXI_CONDOR_ALLOW_CPU: '1' });
  assert.is(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /^# resumed from b-ck\.pt: 1 of 2 epochs done/m);
  const lines = progressLines(second.stdout);
  assert.is(lines.length, 1, second.stdout);
  assert.is(JSON.parse(PROGRESS.exec(lines[0] ?? '')?.[1] ?? '{}').epoch, 2);
  assert.is(JSON.parse(readFileSync(join(work, 'b.json'), 'utf8')).resumes, 1);

  // Same tensors, bit for bit; and epoch 2 did change them (the comparison can tell runs apart).
  const compare = [
    'import torch',
    "a = torch.load('a.pt'); b = torch.load('b.pt'); e1 = torch.load('b-epoch1.pt')['model']",
    "assert sorted(a) == sorted(b) == sorted(e1), 'different tensor names'",
    "print('same' if all(torch.equal(a[k], b[k]) for k in a) else 'differ')",
    "print('epoch 2 changed the weights' if not all(torch.equal(a[k], e1[k]) for k in a) else 'epoch 2 changed nothing')",
    // torch >= 2.6 loads with weights_only=True: every global in the pickle must be one it allows
    // (a TorchVersion object slipped in once; this image's torch 1.13 would not have noticed).
    'import pickletools, zipfile',
    "z = zipfile.ZipFile('b-epoch1.pt')",
    "pkl = z.read(next(n for n in z.namelist() if n.endswith('data.pkl')))",
    "found = {arg for op, arg, _ in pickletools.genops(pkl) if op.name in ('GLOBAL', 'STACK_GLOBAL', 'INST')}",
    "allowed = lambda g: g in ('collections OrderedDict', 'torch._utils _rebuild_tensor_v2') or (g.startswith('torch ') and g.endswith('Storage'))",
    "print('globals: ' + (', '.join(sorted(g for g in found if not allowed(g))) or 'all allowed'))",
  ].join('\n');
  const compared = await inImage(['-c', compare], {}, 60_000);
  assert.is(compared.code, 0, compared.stdout + compared.stderr);
  assert.equal(compared.stdout.trim().split('\n'), ['same', 'epoch 2 changed the weights', 'globals: all allowed']);
});

torchTest('a checkpoint of another run (another --lr) is refused with exit 2, not resumed', async () => {
  const result = await inImage([...train, '--lr', '0.5', '--checkpoint', 'b-epoch1.pt', '--model-path', 'c.pt'], {
    PIXI_CONDOR_ALLOW_CPU: '1',
  });
  assert.is(result.code, 2, result.stdout + result.stderr);
  assert.match(
    result.stderr,
    /^error: b-epoch1\.pt belongs to another run: it was written with --lr 1\.0 \(this run: 0\.5\)/m,
  );
  assert.not.match(result.stderr, /Traceback/);
  assert.ok(existsSync(join(work, 'b-epoch1.pt')), 'the checkpoint is left alone');
});

torchTest('without CUDA and without --allow-cpu it exits 3 with a hint', async () => {
  const result = await inImage([...train, '--model-path', 'd.pt', '--checkpoint', 'd-ck.pt'], {
    PIXI_CONDOR_ALLOW_CPU: '0',
  });
  assert.is(result.code, 3, result.stdout + result.stderr);
  assert.match(result.stderr, /^error: no usable CUDA GPU \(torch 1\.13/m);
  assert.match(result.stderr, /^hint: .*PIXI_CONDOR_ALLOW_CPU=1/m);
  assert.not.match(result.stderr, /Traceback/);
  assert.not.ok(existsSync(join(work, 'd.pt')));
});

torchTest(
  "job/mnist_gpu.sh in the image: unpacks the archive, trains with the submit file's flags, exits 0",
  async () => {
    // The job as HTCondor starts it, in a sandbox holding only what transfer_input_files sends;
    // a stand-in for the entrypoint build-image writes (pixi's shell hook, then `exec "$@"`).
    const script = [
      'set -e',
      'mkdir sandbox && cp main.py sandbox/ && tar -czf sandbox/MNIST_data.tar.gz data',
      'printf \'export PIXI_CONDOR_ACTIVATED=1\\nexec "$@"\\n\' > entrypoint.sh',
      'cd sandbox',
      'PIXI_CONDOR_ENTRYPOINT=/w/entrypoint.sh bash /w/mnist_gpu.sh 0 --epochs 1 --batch-size 32 --checkpoint-every-minutes 60 --checkpoint-exit 85',
    ].join('\n');
    copyFileSync(join(repoRoot, 'job', 'mnist_gpu.sh'), join(work, 'mnist_gpu.sh'));
    const result = await commandInImage(['bash', '-c', script], { PIXI_CONDOR_ALLOW_CPU: '1' }, 180_000);
    assert.is(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^# Job 0 running on /m);
    assert.match(result.stdout, /^# Unpacking MNIST_data\.tar\.gz$/m);
    assert.is(progressLines(result.stdout).length, 1, result.stdout);
    for (const output of ['mnist_cnn.pt', 'metrics.json']) {
      assert.ok(existsSync(join(work, 'sandbox', output)), `${output} in the sandbox (transfer_output_files)`);
    }
  },
);

test.run();
