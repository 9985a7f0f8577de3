// The job's Python and shell: compiles everywhere, and answers bad input before it ever
// imports torch (which this machine does not have), so these checks run without a GPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import { runCommand } from '../helpers/process.ts';

const python = process.env.PYTHON ?? 'python3';

test('job/main.py, job/prepare_data.py and the synthetic-data helper compile', async () => {
  const files = ['job/main.py', 'job/prepare_data.py', 'test/job/make_synthetic_mnist.py'];
  // Compile into a temp folder: the checkout stays free of __pycache__.
  const out = mkdtempSync(join(tmpdir(), 'pc-pyc-'));
  try {
    const code = `import py_compile,sys,os\nfor f in sys.argv[2:]: py_compile.compile(f, doraise=True, cfile=os.path.join(sys.argv[1], os.path.basename(f) + 'c'))`;
    const result = await runCommand(python, ['-c', code, out, ...files], { timeoutMs: 20_000 });
    assert.is(result.code, 0, result.stderr);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('main.py --help lists the documented options', async () => {
  const result = await runCommand(python, ['job/main.py', '--help'], { timeoutMs: 20_000 });
  assert.is(result.code, 0, result.stderr);
  for (const option of ['--epochs', '--batch-size', '--lr', '--seed', '--data-dir', '--save-model', '--allow-cpu']) {
    assert.ok(result.stdout.includes(option), `--help lacks ${option}`);
  }
});

test('main.py without data: one clear error with a hint, exit 2, no traceback', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'pc-nodata-'));
  try {
    const result = await runCommand(python, ['job/main.py', '--data-dir', empty], { timeoutMs: 20_000 });
    assert.is(result.code, 2);
    assert.match(result.stderr, /^error: MNIST data not found in .*MNIST\/raw/m);
    assert.match(result.stderr, /^hint: run `pixi run prepare-data`/m);
    assert.not.match(result.stderr, /Traceback/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('main.py rejects a non-positive epoch count', async () => {
  const result = await runCommand(python, ['job/main.py', '--epochs', '0'], { timeoutMs: 20_000 });
  assert.is(result.code, 2);
  assert.match(result.stderr, /--epochs must be at least 1/);
});

test("mnist_gpu.sh: valid bash, strips the entrypoint's exec line, fails clearly without the archive", async () => {
  const script = readFileSync(join(repoRoot, 'job', 'mnist_gpu.sh'), 'utf8');
  assert.match(script, /\. <\(sed '\$d' "\$ENTRYPOINT"\)/);
  const syntax = await runCommand('bash', ['-n', 'job/mnist_gpu.sh'], { timeoutMs: 10_000 });
  assert.is(syntax.code, 0, syntax.stderr);

  // Run it for real in an empty sandbox with a stand-in entrypoint: it must stop at the data check.
  const sandbox = mkdtempSync(join(tmpdir(), 'pc-sandbox-'));
  try {
    const entrypoint = join(sandbox, 'entrypoint.sh');
    writeFileSync(entrypoint, '#!/usr/bin/env bash\nexport PIXI_CONDOR_ACTIVATED=1\nexec "$@"\n');
    const result = await runCommand('bash', [join(repoRoot, 'job', 'mnist_gpu.sh'), '0'], {
      cwd: sandbox,
      env: { PIXI_CONDOR_ENTRYPOINT: entrypoint, PATH: '/usr/bin:/bin' },
      timeoutMs: 10_000,
    });
    assert.is(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /MNIST_data\.tar\.gz is not in the job's sandbox/);
    assert.match(result.stdout, /# Job 0 running on /);
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
});

test('mnist_gpu.sh outside the image says so', async () => {
  const result = await runCommand('bash', [join(repoRoot, 'job', 'mnist_gpu.sh'), '0'], {
    env: { PIXI_CONDOR_ENTRYPOINT: '/nonexistent/entrypoint.sh' },
    timeoutMs: 10_000,
  });
  assert.is(result.code, 3);
  assert.match(result.stderr, /must run in the image built by 'pixi run build-image'/);
});

test.run();
