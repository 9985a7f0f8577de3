// build-image figures, each against a baseline measured in the same run:
//  1. a no-op run (content tag already in the registry), whole process (`node scripts/run.mjs
//     build-image`, the task's command), against `docker version` with the engine up (target
//     <= 8x, issue 14), with a bare `node -e ''` as the floor, and the modules it loads;
//  2. the build-context bytes the template sends (target <= 1 MiB);
//  3. the environment's size against the image's: from pixi.lock (the real CUDA env) and from a
//     real build of the template on the busybox test base (what the final stage adds);
//  4. `build-image --dry-run` on the template (its own repository, ghcr.io/{owner}/pixi-condor),
//     against `node -e ''` (target <= 3x, issues 21 and 24), with validate's lock cache warm (as
//     validate's own target) and cold (the first run after a lock change), and its modules. A dry
//     run asks no registry, engine or git status, so it needs no Docker.
// The Docker parts need .ci/services.sh (PIXI_CONDOR_TEST_*); without them they say so and skip.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { walkContext } from '../../scripts/lib/image/context-files.ts';
import { loadDockerignore } from '../../scripts/lib/image/dockerignore.ts';
import { formatBytes } from '../../scripts/lib/format.ts';
import { repoRoot } from '../../test/helpers/paths.ts';
import { baseImageArgs, buildTestBaseImage, dockerSkipReason, TEST_BASE_IMAGE } from '../../test/image/services.ts';
import { makeWorkspace, uniqueName } from '../../test/image/workspace.ts';
import { bareNode, loadLine, pairedMedians, ratioLine, reportTrace, task } from '../lib/timing.ts';

const ROUNDS = 7;

function timeMs(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = repoRoot): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Interleave the measured commands so drift affects all alike; the first round warms caches. */
function measure(commands: Record<string, () => number>): Record<string, number> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [name, run] of Object.entries(commands)) {
      const ms = run();
      if (round > 0) samples[name]!.push(ms);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

// 2. build context of the template itself
const ignore = await loadDockerignore(repoRoot, 'Dockerfile');
const contextFiles = await walkContext(repoRoot, '.', ignore);
const contextBytes = contextFiles.reduce((sum, file) => sum + statSync(join(repoRoot, file)).size, 0);
console.log(
  `build context (template): ${formatBytes(contextBytes)} in ${contextFiles.length} files (${contextFiles.join(', ')}); ` +
    `ratio to the 1 MiB target: ${(contextBytes / 2 ** 20).toFixed(3)}`,
);

// 3a. the real environment, from the lock: download (compressed) size of default/linux-64
interface Lock {
  environments: Record<string, { packages: Record<string, { conda?: string }[]> }>;
  packages: { conda?: string; size?: number }[];
}
const lock = load(readFileSync(join(repoRoot, 'pixi.lock'), 'utf8')) as Lock;
const urls = new Set((lock.environments.default?.packages['linux-64'] ?? []).map((p) => p.conda).filter(Boolean));
const envBytes = lock.packages.filter((p) => p.conda && urls.has(p.conda)).reduce((sum, p) => sum + (p.size ?? 0), 0);
console.log(`environment default/linux-64 (pixi.lock): ${urls.size} packages, ${formatBytes(envBytes)} compressed`);

// 4. the dry run, in a copy of the template (a git checkout with a GitHub remote, as a fork's)
{
  const dry = makeWorkspace('ghcr.io/{owner}/pixi-condor');
  try {
    const env = { PIXI_PROJECT_ROOT: dry.root };
    const command = task('build-image', ['--dry-run'], env);
    const cold = pairedMedians({ dry: command, node: bareNode }, ROUNDS);
    spawnSync(process.execPath, [join(repoRoot, 'scripts', 'run.mjs'), 'validate'], {
      env: { ...process.env, ...env },
      stdio: 'ignore',
    }); // fills .pixi-condor/validate-cache.json, which a dry run reads and never writes
    const warm = pairedMedians({ dry: command, node: bareNode }, ROUNDS);
    console.log(ratioLine('build-image --dry-run (lock cache warm)', warm.dry, warm.node, "node -e ''", 3));
    console.log(
      `  lock cache cold (first run after a lock change): ${cold.dry.toFixed(0)} ms = ` +
        `${(cold.dry / cold.node).toFixed(2)}x node -e '' ${cold.node.toFixed(0)} ms; ${loadLine()}`,
    );
    // Nothing is spawned and nothing fetched: zx (the gateway's process layer) must not load.
    reportTrace('build-image --dry-run', command, ['zx', 'js-yaml', 'undici', 'tsx']);
  } finally {
    dry.remove();
  }
}

const skip = await dockerSkipReason();
if (skip) {
  console.log(`docker figures skipped: ${skip}`);
  process.exit(0);
}

await buildTestBaseImage();
const ws = makeWorkspace(`${process.env.PIXI_CONDOR_TEST_REGISTRY}/pixi-condor-bench/${uniqueName('noop')}`);
const dockerConfig = mkdtempSync(join(tmpdir(), 'pixi-condor-bench-docker-'));
try {
  const env = { ...process.env, PIXI_PROJECT_ROOT: ws.root, DOCKER_CONFIG: dockerConfig, NO_COLOR: '1' };
  const script = [process.execPath, join(repoRoot, 'scripts', 'run.mjs'), 'build-image', ...baseImageArgs];
  const first = spawnSync(script[0]!, script.slice(1), { env, cwd: repoRoot, encoding: 'utf8', timeout: 300_000 });
  if (first.status !== 0) throw new Error(`first build failed:\n${first.stderr}`);
  const sent = /^build context (.*)$/m.exec(first.stderr)?.[1] ?? 'unknown';
  console.log(`build context the engine reported receiving: ${sent}`);

  const times = measure({
    noop: () => timeMs(script[0]!, script.slice(1), env),
    docker: () => timeMs('docker', ['version'], env),
    node: () => timeMs(process.execPath, ['-e', ''], env),
  });
  const ratio = times.noop! / times.docker!;
  console.log(
    `no-op run (content tag already pushed): ${times.noop!.toFixed(0)} ms, docker version: ${times.docker!.toFixed(0)} ms -> ` +
      `ratio ${ratio.toFixed(2)}x (target <= 8x${ratio <= 8 ? ', met' : ', NOT met'})`,
  );
  console.log(
    `  floor, bare node: ${times.node!.toFixed(0)} ms (${(times.node! / times.docker!).toFixed(2)}x docker version); ` +
      `build-image's own work: ${(times.noop! - times.node!).toFixed(0)} ms`,
  );
  // zx loads here (the gateway runs `docker` through it); the rest must not.
  reportTrace('no-op build-image', { argv: script, env }, ['dockerfile-ast', 'js-yaml', 'undici', 'tsx'], ['zx']);

  // 3b. what the final stage adds over its base, measured on the test build
  const record = JSON.parse(ws.read('.pixi-condor/image.json')) as { repository: string; contentTag: string };
  const size = (ref: string) =>
    Number(spawnSync('docker', ['image', 'inspect', '--format', '{{.Size}}', ref], { encoding: 'utf8' }).stdout.trim());
  const base = size(TEST_BASE_IMAGE);
  const final = size(`${record.repository}:${record.contentTag}`);
  console.log(
    `test image: base ${formatBytes(base)}, final ${formatBytes(final)}, final stage adds ${formatBytes(final - base)} ` +
      `(stand-in env + pixi.toml/pixi.lock + entrypoint)`,
  );
  console.log(
    `real image estimate: final = pixi base + env; env ${formatBytes(envBytes)} compressed is the bulk, ` +
      `the stage's own files ${formatBytes(final - base)} besides it`,
  );
} finally {
  const images = spawnSync('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], {
    encoding: 'utf8',
  }).stdout.split('\n');
  const ours = images.filter((ref) => ref.includes('/pixi-condor-bench/noop-'));
  if (ours.length > 0) spawnSync('docker', ['image', 'rm', '--force', ...ours], { stdio: 'ignore', timeout: 60_000 });
  ws.remove();
  rmSync(dockerConfig, { recursive: true, force: true });
}
