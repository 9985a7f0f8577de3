// Overhead of `submit --local` for a container job that exits at once, against a plain
// `docker run --rm` of the same image and command, measured in the same run as paired runs
// (alternating, so load changes hit both alike); the median of the per-pair ratios is printed
// against the ≤ 1.5× target. submit --local pays for node, the preflight (validate included),
// the sandbox and the event log; docker run pays for the container alone.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, runScript } from '../../test/helpers/process.ts';
import { makeWorkspace } from '../../test/condor/workspace.ts';

const TARGET = 1.5;
const PAIRS = Number(process.env.BENCH_LOCAL_PAIRS ?? 7);
const image = process.env.PIXI_CONDOR_TEST_BUSYBOX ?? 'localhost/ci-busybox:latest';

const probe = await runCommand('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { timeoutMs: 30_000 });
if (probe.code !== 0) {
  console.log(`bench/local: skipped: docker or the image ${image} is not available (source .ci/services.sh)`);
  process.exit(0);
}
const network = (await runCommand('docker', ['network', 'ls', '--format', '{{.Name}}'])).stdout
  .split('\n')
  .includes('bridge')
  ? []
  : ['--network', 'none'];

const ws = await makeWorkspace();
rmSync(join(ws.root, '.pixi-condor', 'image.json'), { force: true });
writeFileSync(
  join(ws.root, 'b.sub'),
  [
    'universe = container',
    `container_image = docker://${image}`,
    'executable = /bin/true',
    'transfer_executable = false',
    'log = b_$(Cluster).log',
    'transfer_output_files = ""',
    'queue',
    '',
  ].join('\n'),
);
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

try {
  // One warm-up of each (image layers in the page cache, tsx's cache).
  await timed(() => runCommand('docker', ['run', '--rm', ...network, image, '/bin/true'], { timeoutMs: 60_000 }));
  await timed(() => runScript('submit.ts', ['b.sub', '--local'], { env, timeoutMs: 120_000 }));
  const docker: number[] = [];
  const local: number[] = [];
  const startup: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const d = await timed(() =>
      runCommand('docker', ['run', '--rm', ...network, image, '/bin/true'], { timeoutMs: 60_000 }),
    );
    const l = await timed(() => runScript('submit.ts', ['b.sub', '--local'], { env, timeoutMs: 120_000 }));
    // The floor any task pays: node and the TypeScript loader starting, submit's modules loading.
    startup.push(await timed(() => runScript('submit.ts', ['--help'], { env, timeoutMs: 60_000 })));
    docker.push(d);
    local.push(l);
    ratios.push(l / d);
  }
  const ratio = median(ratios);
  console.log(`docker run --rm ${image} /bin/true: median ${median(docker).toFixed(0)} ms (${PAIRS} runs)`);
  console.log(`submit --local of the same:          median ${median(local).toFixed(0)} ms`);
  console.log(`submit --help (start-up alone):      median ${median(startup).toFixed(0)} ms`);
  console.log(
    `overhead ratio (median of ${PAIRS} pairs): ${ratio.toFixed(2)}x  target <= ${TARGET}x  ${ratio <= TARGET ? 'MET' : 'NOT MET'}`,
  );
  console.log(
    `without the start-up: ${((median(local) - median(startup)) / median(docker)).toFixed(2)}x (preflight, sandbox, event log, docker run, inspect, remove)`,
  );
} finally {
  ws.cleanup();
}
