// bench/limits: what the worst input pixi-condor accepts costs, and what a refusal costs (issue 25),
// as ratios against baselines measured in the same run: time against `validate` on the template,
// peak memory against a bare `node -e ''`.
//   lock at the check limits   the template's lock grown to 20,000 package records (validated cold)
//   lock over the limits       a 60 MB lock (counted, not parsed: a lock/not-checked warning)
//   queue 4294967296           refused before any proc is planned
//   queue 100000               the most procs a submission may have (planned)
//   items file, blanks         `queue a, b from` a 32 MiB items file (the read limit) of 1 MiB blank runs
//   4,000 unknown features     4,000 environments each naming a feature that is not defined
//   4,000 missing tasks        4,000 tasks each depending on a task that is not defined
// No targets: these are the bounds a hostile file can cost, printed so a change that moves them shows.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../test/helpers/paths.ts';
import { median } from '../lib/timing.ts';
import { grownLock } from './inputs.ts';

const ROUNDS = Number(process.env.BENCH_RUNS ?? 3);
// The child's own peak (VmHWM): getrusage's maxRSS is kept across fork+exec, so it would report
// this process's size once it holds the 60 MB lock text (bench/lib/peak-rss.mjs).
const rssModule = join(repoRoot, 'bench', 'lib', 'peak-rss.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'bench-limits-'));

function workspace(name: string, edit: (root: string) => void): string {
  const root = join(scratch, name);
  for (const file of ['pixi.toml', 'pixi.lock', 'Dockerfile', '.dockerignore', 'mnist_gpu_docker.sub', 'job'])
    cpSync(join(repoRoot, file), join(root, file), { recursive: true });
  edit(root);
  return root;
}

function setQueue(root: string, queue: string): void {
  const path = join(root, 'mnist_gpu_docker.sub');
  writeFileSync(path, readFileSync(path, 'utf8').replace(/^queue 1$/m, queue));
}

/** One cold validate (no lock cache) in `root`: wall ms and peak RSS in KiB. */
function run(argv: string[], root: string): { ms: number; kb: number } {
  rmSync(join(root, '.pixi-condor'), { recursive: true, force: true });
  const out = join(scratch, 'rss');
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--import', rssModule, ...argv], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', BENCH_PEAK_RSS: out, PIXI_PROJECT_ROOT: root },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 300_000,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status === null) throw new Error(`${argv.join(' ')} did not finish: ${result.error ?? result.signal}`);
  return { ms, kb: Number(readFileSync(out, 'utf8')) };
}

const validate = [join(repoRoot, 'scripts', 'run.mjs'), 'validate'];
try {
  const cases: [string, string][] = [
    ['template (baseline)', workspace('template', () => {})],
    [
      'lock at the check limits',
      workspace('lock-limit', (root) => {
        // Just under 20,000 records: parsed and checked in full.
        writeFileSync(join(root, 'pixi.lock'), grownLock(repoRoot, 8_800_000).text);
      }),
    ],
    [
      'lock over the limits (60 MB)',
      workspace('lock-over', (root) => writeFileSync(join(root, 'pixi.lock'), grownLock(repoRoot, 60_000_000).text)),
    ],
    ['queue 4294967296 (refused)', workspace('queue-huge', (root) => setQueue(root, 'queue 4294967296'))],
    ['queue 100000 (the proc limit)', workspace('queue-limit', (root) => setQueue(root, 'queue 100000'))],
    [
      'items file, 32 MiB of blank runs',
      workspace('items', (root) => {
        const row = `x${' '.repeat(1 << 20)},${' '.repeat(1 << 20)}y\n`;
        writeFileSync(join(root, 'rows.txt'), row.repeat(Math.floor((32 * 1024 * 1024) / row.length)));
        setQueue(root, 'queue a, b from rows.txt');
      }),
    ],
    [
      '4,000 unknown features',
      workspace('unknown-features', (root) => {
        const envs = Array.from({ length: 4000 }, (_, i) => `[environments.e${i}]\nfeatures = ["featur${i}"]`);
        const features = Array.from({ length: 4000 }, (_, i) => `[feature.feature${i}.dependencies]\nx${i} = "*"`);
        appendFileSync(join(root, 'pixi.toml'), `\n${features.join('\n')}\n${envs.join('\n')}\n`);
      }),
    ],
    [
      '4,000 missing tasks',
      workspace('missing-tasks', (root) => {
        const tasks = Array.from({ length: 4000 }, (_, i) => `[tasks.t${i}]\ncmd = "echo"\ndepends-on = ["tusk${i}"]`);
        appendFileSync(join(root, 'pixi.toml'), `\n${tasks.join('\n')}\n`);
      }),
    ],
  ];
  const bare = { ms: [] as number[], kb: [] as number[] };
  const samples = new Map(cases.map(([name]) => [name, { ms: [] as number[], kb: [] as number[] }]));
  for (let round = 0; round < ROUNDS; round++) {
    const node = run(['-e', ''], scratch);
    bare.ms.push(node.ms);
    bare.kb.push(node.kb);
    for (const [name, root] of cases) {
      const r = run(validate, root);
      samples.get(name)!.ms.push(r.ms);
      samples.get(name)!.kb.push(r.kb);
    }
  }
  const template = median(samples.get('template (baseline)')!.ms);
  const nodeKb = median(bare.kb);
  console.log(
    `node -e '' peak ${(nodeKb / 1024).toFixed(0)} MB; validate on the template ${template.toFixed(0)} ms (cold)`,
  );
  for (const [name] of cases.slice(1)) {
    const s = samples.get(name)!;
    const ms = median(s.ms);
    const kb = median(s.kb);
    console.log(
      `${name.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms = ${(ms / template).toFixed(1)}x validate on the template; peak ${(kb / 1024).toFixed(0)} MB = ${(kb / nodeKb).toFixed(1)}x bare node`,
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
