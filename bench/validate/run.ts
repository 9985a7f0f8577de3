// bench/validate: whole-process time of `pixi run validate` (node --import tsx scripts/validate.ts)
// on the template, against a bare `node -e ''` measured in the same run; the cost per extra
// 1,000 manifest lines; and the full-size fuzz (10,000 mutations).
// Targets (issue 4): validate <= 6x a bare node start; <= 1 ms per extra 1,000 lines.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fuzz } from '../../test/validate/fuzz.ts';

const repo = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const loader = pathToFileURL(join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const RUNS = Number(process.env.BENCH_RUNS ?? 9);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(args: string[], cwd: string, before?: () => void): number {
  before?.();
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

function workspace(extraLines: number): string {
  const root = mkdtempSync(join(tmpdir(), 'bench-validate-'));
  for (const file of ['pixi.toml', 'pixi.lock', 'Dockerfile', 'mnist_gpu_docker.sub', 'job', '.env.example']) cpSync(join(repo, file), join(root, file), { recursive: true });
  if (extraLines > 0) writeFileSync(join(root, 'pixi.toml'), readFileSync(join(root, 'pixi.toml'), 'utf8') + generatedLines(extraLines));
  return root;
}

/** Realistic extra content: features with dependencies, tasks with args and depends-on, comments. */
function generatedLines(count: number): string {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    out.push(
      '',
      `# extra feature ${i}: a tool environment of its own`,
      `[feature.extra-${i}.dependencies]`,
      `extra-a-${i} = ">=1.${i % 50},<2"`,
      `extra-b-${i} = { version = "2.*", channel = "conda-forge" }`,
      '',
      `[feature.extra-${i}.tasks.extra-task-${i}]`,
      `cmd = "echo {{ name }} ${i}"`,
      `args = [{ arg = "name", default = "x" }]`,
      `depends-on = ["${i === 0 ? 'train' : `extra-task-${i - 1}`}"]`,
    );
  }
  return out.slice(0, count).join('\n') + '\n';
}

const validateArgs = ['--import', loader, join(repo, 'scripts', 'validate.ts')];
const sizes = [0, 10_000, 50_000];
const roots = new Map(sizes.map((n) => [n, workspace(n)]));
try {
  const bare: number[] = [];
  const warm = new Map<number, number[]>(sizes.map((n) => [n, []]));
  const cold: number[] = [];
  for (const n of sizes) time(validateArgs, roots.get(n)!); // fill the cache and tsx's transform cache
  for (let i = 0; i < RUNS; i++) {
    // Interleaved, so machine noise hits every series alike.
    bare.push(time(['-e', ''], repo));
    for (const n of sizes) warm.get(n)!.push(time(validateArgs, roots.get(n)!));
    cold.push(time(validateArgs, roots.get(0)!, () => rmSync(join(roots.get(0)!, '.pixi-condor'), { recursive: true, force: true })));
  }
  const node = median(bare);
  const template = median(warm.get(0)!);
  console.log(`node -e '' (baseline)            ${node.toFixed(0)} ms`);
  console.log(`validate, template (warm cache)  ${template.toFixed(0)} ms = ${(template / node).toFixed(2)}x bare node (target <= 6x)`);
  console.log(`validate, template (cold cache)  ${median(cold).toFixed(0)} ms = ${(median(cold) / node).toFixed(2)}x bare node (first run after a lock change)`);
  for (const n of sizes.slice(1)) {
    const t = median(warm.get(n)!);
    console.log(`validate, +${n} manifest lines  ${t.toFixed(0)} ms: ${(((t - template) / n) * 1000).toFixed(2)} ms per extra 1,000 lines (target <= 1)`);
  }

  const count = Number(process.env.BENCH_FUZZ ?? 10_000);
  const started = performance.now();
  const result = await fuzz(1, count);
  const seconds = (performance.now() - started) / 1000;
  console.log(`fuzz: ${result.cases}/${count} mutants validated in ${seconds.toFixed(1)} s (${result.invalid} invalid), ${result.crashes.length} crashes, ${result.badFindings.length} malformed findings, slowest ${result.slowestMs.toFixed(0)} ms`);
  if (result.crashes.length > 0 || result.badFindings.length > 0 || result.prototypePolluted) {
    console.log([...result.crashes, ...result.badFindings].slice(0, 10).join('\n'));
    process.exitCode = 1;
  }
} finally {
  for (const root of roots.values()) rmSync(root, { recursive: true, force: true });
}
