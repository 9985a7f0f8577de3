// Overhead of `submit --local` (issue 18's targets), each as a ratio against a baseline measured
// in the same run:
// - a container job that exits at once, against `docker run --rm` of the same image and command,
//   in paired runs (alternating, so load changes hit both alike), the median of the per-pair
//   ratios against the ≤ 1.5× target: busybox `true`, and `python3 -c pass` in the Debian-torch
//   image when it is present. submit --local pays for two node processes (the watcher and the
//   runner that owns the job), the preflight, the sandbox, the event log, the inspect and the
//   removal; docker run pays for the container alone;
// - a trivial vanilla proc: 100 procs of `true` with --jobs 1 and --jobs 4, the per-proc cost
//   ((100 procs − 1 proc) / 99) against spawning `true` once from node.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, runScript } from '../../test/helpers/process.ts';
import { makeWorkspace } from '../../test/condor/workspace.ts';

const TARGET = 1.5;
const PAIRS = Number(process.env.BENCH_LOCAL_PAIRS ?? 7);
const busybox = process.env.PIXI_CONDOR_TEST_BUSYBOX ?? 'localhost/ci-busybox:latest';
const torch = process.env.PIXI_CONDOR_TEST_TORCH_IMAGE ?? 'localhost/debian-torch:bookworm';

const ws = await makeWorkspace();
rmSync(join(ws.root, '.pixi-condor', 'image.json'), { force: true });
const env = { PIXI_PROJECT_ROOT: ws.root };

async function timed(run: () => Promise<{ code: number | null; stdout: string; stderr: string }>): Promise<number> {
  const start = process.hrtime.bigint();
  const r = await run();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.code !== 0) throw new Error(`a benchmark run failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  return ms;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function imagePresent(image: string): Promise<boolean> {
  const probe = await runCommand('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { timeoutMs: 30_000 });
  return probe.code === 0;
}

/** submit --local of `command` in `image` against docker run --rm of the same, paired. */
async function containerCase(image: string, command: string[], file: string): Promise<void> {
  const network = (await runCommand('docker', ['network', 'ls', '--format', '{{.Name}}'])).stdout
    .split('\n')
    .includes('bridge')
    ? []
    : ['--network', 'none'];
  writeFileSync(
    join(ws.root, file),
    [
      'universe = container',
      `container_image = docker://${image}`,
      `executable = ${command[0]}`,
      `arguments = "${command.slice(1).join(' ')}"`,
      'transfer_executable = false',
      'log = b_$(Cluster).log',
      'transfer_output_files = ""',
      'queue',
      '',
    ].join('\n'),
  );
  const dockerRun = () => runCommand('docker', ['run', '--rm', ...network, image, ...command], { timeoutMs: 60_000 });
  const submit = () => runScript('submit.ts', [file, '--local'], { env, timeoutMs: 120_000 });
  // One warm-up of each (image layers in the page cache, the bundles' code cache).
  await timed(dockerRun);
  await timed(submit);
  const docker: number[] = [];
  const local: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const d = await timed(dockerRun);
    const l = await timed(submit);
    docker.push(d);
    local.push(l);
    ratios.push(l / d);
  }
  const ratio = median(ratios);
  const what = `${image} ${command.join(' ')}`;
  console.log(`docker run --rm ${what}: median ${median(docker).toFixed(0)} ms (${PAIRS} runs)`);
  console.log(`submit --local of the same: median ${median(local).toFixed(0)} ms`);
  console.log(
    `overhead ratio (median of ${PAIRS} pairs): ${ratio.toFixed(2)}x  target <= ${TARGET}x  ${ratio <= TARGET ? 'MET' : 'NOT MET'}`,
  );
}

/** Per-proc cost of a trivial vanilla proc: 100 procs against 1, with --jobs 1 and --jobs 4. */
async function vanillaCase(): Promise<void> {
  writeFileSync(
    join(ws.root, 'v.sub'),
    [
      'universe = vanilla',
      'executable = /bin/true',
      'transfer_executable = false',
      'log = v_$(Cluster).log',
      'transfer_output_files = ""',
      'queue $(N)',
      '',
    ].join('\n'),
  );
  const run = (n: number, jobs: number) => () =>
    runScript('submit.ts', ['v.sub', '--local', '--jobs', String(jobs), `N=${n}`], { env, timeoutMs: 600_000 });
  await timed(run(1, 1));
  const spawns: number[] = [];
  for (let i = 0; i < 20; i++) {
    const start = process.hrtime.bigint();
    spawnSync('/bin/true');
    spawns.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const bare = median(spawns);
  const one = median([await timed(run(1, 1)), await timed(run(1, 1)), await timed(run(1, 1))]);
  for (const jobs of [1, 4]) {
    const hundred = await timed(run(100, jobs));
    const perProc = (hundred - one) / 99;
    console.log(
      `100 vanilla procs of true, --jobs ${jobs}: ${hundred.toFixed(0)} ms; per proc ${perProc.toFixed(1)} ms = ${(perProc / bare).toFixed(1)}x a bare spawn of true (${bare.toFixed(2)} ms)`,
    );
  }
}

try {
  if (await imagePresent(busybox)) await containerCase(busybox, ['/bin/true'], 'b.sub');
  else console.log(`bench/local: busybox case skipped: docker or ${busybox} is not available (source .ci/services.sh)`);
  if (await imagePresent(torch)) await containerCase(torch, ['python3', '-c', 'pass'], 't.sub');
  else console.log(`bench/local: torch case skipped: ${torch} is not present`);
  await vanillaCase();
} finally {
  ws.cleanup();
}
