// Whole-process timing for the start-up benchmarks: commands measured in paired rounds (one run
// of each per round, in turn, so a busy machine slows all alike), medians reported; and a
// module trace of one run, to show what a task loads.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../test/helpers/paths.ts';

export interface Command {
  argv: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Exit statuses that are not a failure (status exits 1 when some proc failed). Default: 0. */
  exits?: number[];
  /** Run before each run of the command, outside its time (e.g. removing what the last run kept). */
  before?: () => void;
}

/** The command a pixi task runs (`node scripts/run.mjs <task> …`), with this node. */
export function task(name: string, args: string[] = [], env: NodeJS.ProcessEnv = {}, cwd?: string): Command {
  return {
    argv: [process.execPath, join(repoRoot, 'scripts', 'run.mjs'), name, ...args],
    env,
    ...(cwd ? { cwd } : {}),
  };
}

/** The same command run from the TypeScript source, not the task's bundle (what an edited, not yet bundled script costs). */
export function fromSource(command: Command): Command {
  return { ...command, env: { ...command.env, PIXI_CONDOR_FROM_SOURCE: '1' } };
}

export const bareNode: Command = { argv: [process.execPath, '-e', ''] };

function once(command: Command): number {
  command.before?.();
  const started = process.hrtime.bigint();
  const result = spawnSync(command.argv[0]!, command.argv.slice(1), {
    cwd: command.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...command.env },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120_000,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!(command.exits ?? [0]).includes(result.status ?? -1))
    throw new Error(`${command.argv.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median ms of each command over `rounds` paired rounds, after one warm-up round. */
export function pairedMedians<K extends string>(commands: Record<K, Command>, rounds: number): Record<K, number> {
  const names = Object.keys(commands) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round <= rounds; round++) {
    for (const name of names) {
      const ms = once(commands[name]);
      if (round > 0) samples[name].push(ms);
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(samples[name])])) as Record<K, number>;
}

/** `value/base` against `target`, as one line: `2.14x (target <= 2.5x, met)`. */
export function ratioLine(label: string, value: number, base: number, baseLabel: string, target: number): string {
  const ratio = value / base;
  return `${label}: ${value.toFixed(0)} ms / ${baseLabel} ${base.toFixed(0)} ms = ${ratio.toFixed(2)}x (target <= ${target}x, ${ratio <= target ? 'met' : 'NOT met'})`;
}

/** The modules one run of `command` loads (needs Node >= 22.15 for module.registerHooks; else null). */
export function moduleTrace(command: Command): string[] | null {
  if (!('registerHooks' in (globalThis.process.getBuiltinModule?.('node:module') ?? {}))) return null;
  const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-trace-'));
  try {
    const out = join(dir, 'modules.json');
    const [node, ...rest] = command.argv;
    once({
      ...command,
      argv: [node!, '--import', join(repoRoot, 'bench', 'lib', 'module-trace.mjs'), ...rest],
      env: { ...command.env, BENCH_MODULE_TRACE: out },
    });
    return JSON.parse(readFileSync(out, 'utf8')) as string[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One line saying which of the `heavy` packages (or internal modules) a run loaded: the proof
 * that a fast path stays light; and that each of `used` (packages the run needs, e.g. zx where
 * it runs a tool) did load, from outside the bundle. Returns false when one it must not load
 * was loaded, or one it must load was not.
 */
export function reportTrace(label: string, command: Command, heavy: string[], used: string[] = []): boolean {
  const modules = moduleTrace(command);
  if (!modules) {
    console.log(`  modules (${label}): not traced (this Node has no module.registerHooks)`);
    return true;
  }
  const ours = modules.filter((url) => url.startsWith('file:'));
  const packages = [...new Set(ours.map((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1]).filter(Boolean))];
  // A package by its node_modules folder; an internal module (undici) by name among Node's own.
  const internal = modules.filter((url) => !url.startsWith('file:'));
  const found = heavy.filter((name) => packages.includes(name) || internal.some((m) => m.includes(name)));
  const missing = used.filter((name) => !packages.includes(name));
  const usedNote =
    used.length === 0
      ? ''
      : `; used here: ${used.map((name) => `${name} ${missing.includes(name) ? 'NOT loaded' : 'loaded'}`).join(', ')}`;
  console.log(
    `  modules (${label}): ${ours.length} files; packages: ${packages.join(', ') || 'none'}; ` +
      `of ${heavy.join(', ')}: ${found.length === 0 ? 'none loaded' : `LOADED ${found.join(', ')}`}${usedNote}`,
  );
  return found.length === 0 && missing.length === 0;
}

/** One run's wall time (ms) and peak resident set (KiB), measured by bench/lib/peak-rss.mjs. */
export function timeAndPeak(command: Command): { ms: number; peakKb: number } {
  const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-peak-'));
  try {
    const out = join(dir, 'peak');
    const [node, ...rest] = command.argv;
    const ms = once({
      ...command,
      argv: [node!, '--import', join(repoRoot, 'bench', 'lib', 'peak-rss.mjs'), ...rest],
      env: { ...command.env, BENCH_PEAK_RSS: out },
    });
    return { ms, peakKb: Number(readFileSync(out, 'utf8')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Paired rounds of a command against its baseline (each round runs both, in turn; one warm-up
 * round first): the median of the rounds' time ratios, and the median peak memory of each.
 */
export function pairedRatio(
  command: Command,
  baseline: Command,
  rounds: number,
): { ratio: number; ms: number; baseMs: number; peakKb: number; basePeakKb: number } {
  const ratios: number[] = [];
  const times: number[] = [];
  const baseTimes: number[] = [];
  const peaks: number[] = [];
  const basePeaks: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const base = timeAndPeak(baseline);
    const run = timeAndPeak(command);
    if (round === 0) continue;
    ratios.push(run.ms / base.ms);
    times.push(run.ms);
    baseTimes.push(base.ms);
    peaks.push(run.peakKb);
    basePeaks.push(base.peakKb);
  }
  return {
    ratio: median(ratios),
    ms: median(times),
    baseMs: median(baseTimes),
    peakKb: median(peaks),
    basePeakKb: median(basePeaks),
  };
}

/** The load average now, to print beside figures measured on a shared machine. */
export function loadLine(): string {
  const [one, five] = loadavg();
  return `load average ${one!.toFixed(2)} (1 min), ${five!.toFixed(2)} (5 min) on ${cpus().length} CPUs`;
}
