// The job's Python and shell and the template's submit files: compiles everywhere, answers
// bad input before it ever imports torch (which this machine need not have), and the submit
// files plan as the job expects. The real training runs are in test/job/train.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProcSpec, planSubmit, readSubmitStatements } from '../../scripts/lib/submit-language/submit-plan.ts';
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
  const options = [
    '--epochs',
    '--batch-size',
    '--lr',
    '--seed',
    '--data-dir',
    '--save-model',
    '--allow-cpu',
    '--metrics',
  ];
  options.push(
    '--checkpoint',
    '--no-checkpoint',
    '--checkpoint-every',
    '--checkpoint-every-minutes',
    '--checkpoint-exit',
  );
  for (const option of options) {
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

/** Run Python against job/main.py imported as a module (no torch needed for these parts). */
async function mainPy(code: string, env: Record<string, string> = {}) {
  const prelude = "import sys, json; sys.path.insert(0, 'job'); import main\n";
  return runCommand(python, ['-c', prelude + code], { timeoutMs: 20_000, env });
}

test('main.py rejects checkpoint settings that would misbehave under HTCondor, exit 2', async () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    // 1 is what Python exits with on a crash: a crash must never look like a checkpoint.
    [['--checkpoint-exit', '1'], {}, /--checkpoint-exit must be between 4 and 255/],
    [['--checkpoint-exit', '3'], {}, /--checkpoint-exit must be between 4 and 255/],
    [['--checkpoint-exit', '256'], {}, /--checkpoint-exit must be between 4 and 255/],
    [['--checkpoint-exit', '85', '--no-checkpoint'], {}, /--checkpoint-exit needs checkpoints/],
    [['--checkpoint-every', '0'], {}, /--checkpoint-every must be at least 1/],
    [['--checkpoint-every-minutes', '-5'], {}, /--checkpoint-every-minutes must be a positive number/],
    [['--checkpoint', ''], {}, /--checkpoint needs a path/],
    [['--lr', 'nan'], {}, /--lr must be a positive number/],
    [
      [],
      { PIXI_CONDOR_CHECKPOINT_EXIT_CODE: 'eighty-five' },
      /PIXI_CONDOR_CHECKPOINT_EXIT_CODE='eighty-five' is not an integer/,
    ],
  ];
  for (const [args, env, message] of cases) {
    const result = await runCommand(python, ['job/main.py', ...args], { timeoutMs: 20_000, env });
    assert.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.not.match(result.stderr, /Traceback/);
  }
});

test('main.py reads PIXI_CONDOR_ALLOW_CPU and PIXI_CONDOR_CHECKPOINT_EXIT_CODE; flags win', async () => {
  const code = [
    "for argv, env in [([], {}), ([], {'PIXI_CONDOR_ALLOW_CPU': '1'}), ([], {'PIXI_CONDOR_ALLOW_CPU': '0'}),",
    "                  (['--allow-cpu'], {}), ([], {'PIXI_CONDOR_CHECKPOINT_EXIT_CODE': '85'}),",
    "                  (['--checkpoint-exit', '86'], {'PIXI_CONDOR_CHECKPOINT_EXIT_CODE': '85'})]:",
    '    a = main.parse_args(argv, env)',
    '    print(a.allow_cpu, a.checkpoint_exit)',
  ].join('\n');
  const result = await mainPy(code);
  assert.is(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim().split('\n'), [
    'False None',
    'True None',
    'False None',
    'True None',
    'False 85',
    'False 86',
  ]);
});

test('the progress line is the marker, one space and compact JSON; a diverged loss is null', async () => {
  const result = await mainPy(
    "print(main.progress_line(3, 20, 0.0312345678, 0.9871, 12345.678))\nprint(main.progress_line(1, 2, float('nan'), 0.1, 5))",
  );
  assert.is(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim().split('\n'), [
    'PIXI_CONDOR_PROGRESS {"epoch":3,"epochs":20,"loss":0.031235,"accuracy":0.9871,"images_per_s":12345.7}',
    'PIXI_CONDOR_PROGRESS {"epoch":1,"epochs":2,"loss":null,"accuracy":0.1,"images_per_s":5.0}',
  ]);
});

test('write_atomically: a writer that fails leaves the old file whole and no temporary behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-atomic-'));
  try {
    const target = join(dir, 'checkpoint.pt');
    writeFileSync(target, 'old');
    const code = [
      `target = ${JSON.stringify(target)}`,
      'def broken(handle):',
      "    handle.write(b'half of a new checkpoint')",
      "    raise OSError('disk full')",
      'try:',
      '    main.write_atomically(target, broken)',
      'except OSError as error:',
      "    print('raised', error)",
      "main.write_json(target + '.json', {'a': 1})",
    ].join('\n');
    const result = await mainPy(code);
    assert.is(result.code, 0, result.stderr);
    assert.is(result.stdout.trim(), 'raised disk full');
    assert.is(readFileSync(target, 'utf8'), 'old');
    assert.equal(JSON.parse(readFileSync(`${target}.json`, 'utf8')), { a: 1 });
    const { readdirSync } = await import('node:fs');
    assert.equal(readdirSync(dir).sort(), ['checkpoint.pt', 'checkpoint.pt.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mnist_gpu.sh passes everything after $(Process) to main.py and exits with its code (85)', async () => {
  const sandbox = mkdtempSync(join(tmpdir(), 'pc-sandbox-'));
  try {
    const entrypoint = join(sandbox, 'entrypoint.sh');
    writeFileSync(entrypoint, '#!/usr/bin/env bash\nexport PIXI_CONDOR_ACTIVATED=1\nexec "$@"\n');
    // A stand-in python that shows its argv and exits as main.py does after a checkpoint.
    const bin = join(sandbox, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'python'), '#!/bin/sh\necho "python $*"\nexit 85\n');
    chmodSync(join(bin, 'python'), 0o755);
    mkdirSync(join(sandbox, 'data'));
    writeFileSync(join(sandbox, 'data', 'x'), 'x');
    const tar = await runCommand('tar', ['-czf', 'MNIST_data.tar.gz', 'data'], { cwd: sandbox, timeoutMs: 10_000 });
    assert.is(tar.code, 0, tar.stderr);
    const result = await runCommand(
      'bash',
      [join(repoRoot, 'job', 'mnist_gpu.sh'), '4', '--epochs', '3', '--lr', '0.5', '--checkpoint-exit', '85'],
      { cwd: sandbox, env: { PIXI_CONDOR_ENTRYPOINT: entrypoint, PATH: `${bin}:/usr/bin:/bin` }, timeoutMs: 10_000 },
    );
    assert.is(result.code, 85, result.stdout + result.stderr);
    assert.match(result.stdout, /# Job 4 running on /);
    assert.match(
      result.stdout,
      /^python \.\/main\.py --data-dir data --save-model --epochs 3 --lr 0\.5 --checkpoint-exit 85$/m,
    );
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
});

function plan(file: string, options: { append?: string[]; defines?: Record<string, string> } = {}): ProcSpec[] {
  const path = join(repoRoot, file);
  return planSubmit(readSubmitStatements(path, file), {
    submitFile: path,
    cwd: repoRoot,
    cluster: 42,
    env: process.env,
    ...options,
  }).procs;
}

function onlyProc(file: string, options: { append?: string[]; defines?: Record<string, string> } = {}): ProcSpec {
  const procs = plan(file, options);
  assert.is(procs.length, 1, `${file} queues one proc`);
  return procs[0] as ProcSpec;
}

/** `--flag value` pairs of a proc's arguments after $(Process). */
function flags(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; i + 1 < args.length; i += 2) out[args[i] as string] = args[i + 1] as string;
  return out;
}

test('mnist_gpu_docker.sub: settings reach main.py through arguments; -append and the OSPool switch work', async () => {
  const proc = onlyProc('mnist_gpu_docker.sub');
  assert.is(proc.arguments[0], '0');
  const given = flags(proc.arguments);
  assert.equal(given, {
    '--epochs': '20',
    '--lr': '1.0',
    '--batch-size': '64',
    '--seed': '1',
    '--checkpoint-every-minutes': '60',
    '--checkpoint-exit': '85',
  });
  assert.equal(proc.transferOutputFiles, ['mnist_cnn.pt', 'metrics.json']);
  // CHTC's GPU guide stopped asking for +WantGPULab on 2026-05-07 (field-2026.md §6).
  assert.is(proc.classAd.WantGPULab, undefined);
  assert.is(proc.classAd.GPUJobLength, '"short"');
  assert.is(proc.classAd.is_resumable, 'true');
  assert.is(proc.classAd.JobDurationCategory, undefined);

  const short = onlyProc('mnist_gpu_docker.sub', { append: ['epochs = 3'] });
  assert.is(flags(short.arguments)['--epochs'], '3');

  const ospool = onlyProc('mnist_gpu_docker.sub', { defines: { ospool: 'true' } });
  assert.is(ospool.classAd.JobDurationCategory, '"Medium"');
  for (const chtcOnly of ['WantGPULab', 'GPUJobLength', 'is_resumable']) assert.is(ospool.classAd[chtcOnly], undefined);
});

/** The value of a plain `key = value` line (the planner does not model every command). */
function command(file: string, key: string): string | undefined {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  return new RegExp(`^${key}\\s*=\\s*(.*)$`, 'mi').exec(text)?.[1]?.trim();
}

test('both submit files checkpoint the file main.py writes, with the code main.py is given', async () => {
  for (const file of ['mnist_gpu_docker.sub', 'mnist_sweep.sub']) {
    const code = command(file, 'checkpoint_exit_code');
    assert.is(code, '85', file);
    for (const proc of plan(file)) assert.is(flags(proc.arguments)['--checkpoint-exit'], code, file);
    // main.py's default --checkpoint, in the sandbox: what HTCondor must carry across restarts.
    assert.is(command(file, 'transfer_checkpoint_files'), 'checkpoint.pt', file);
    assert.match(command(file, 'retry_request_memory') ?? '', /^\d+GB$/, file);
  }
});

test('mnist_sweep.sub: one proc per sweep.csv row with its values, outputs remapped per proc', async () => {
  const rows = readFileSync(join(repoRoot, 'sweep.csv'), 'utf8').trimEnd().split('\n');
  assert.ok(rows.length >= 4, 'a few rows');
  // condor_submit reads every line of the table as a row: no header, no comments, no blanks.
  for (const row of rows) assert.match(row, /^\d+(\.\d+)?,\d+$/, `row ${JSON.stringify(row)}`);
  const procs = plan('mnist_sweep.sub');
  assert.is(procs.length, rows.length);
  procs.forEach((proc, index) => {
    const [lr, seed] = (rows[index] ?? '').split(',');
    assert.is(proc.arguments[0], String(index));
    assert.is(flags(proc.arguments)['--lr'], lr);
    assert.is(flags(proc.arguments)['--seed'], seed);
  });
  assert.is(new Set(procs.map((proc) => proc.output)).size, procs.length, 'distinct stdout files');

  const outputs = (command('mnist_sweep.sub', 'transfer_output_files') ?? '').split(/\s*,\s*/);
  assert.equal(outputs, ['mnist_cnn.pt', 'metrics.json']);
  const remaps = Object.fromEntries(
    (command('mnist_sweep.sub', 'transfer_output_remaps') ?? '')
      .replace(/^"|"$/g, '')
      .split(';')
      .map((pair) => pair.split('=').map((part) => part.trim())),
  );
  for (const name of outputs) assert.is(remaps[name], `results/$(Cluster)/$(Process)/${name}`, name);
});

test.run();
