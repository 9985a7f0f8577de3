// Run a script the way a pixi task does (`node scripts/run.mjs <task>`, the command every task in
// pixi.toml runs; test/workspace/tasks.test.ts holds the two together), always with a time limit:
// uvu has no per-test timeout, so every wait in a test must bound itself.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './paths.ts';

/**
 * A test's time limits bound a hang; they never check speed. A shared CI runner or a laptop
 * building an image can be several times slower than a quiet machine (load 8 on 2 cores), so
 * every limit the helpers enforce is stretched by this factor (PIXI_CONDOR_TEST_SLACK, default
 * 4): a hung run still fails, only later.
 */
export const SLACK = Math.max(1, Number(process.env.PIXI_CONDOR_TEST_SLACK) || 4);

/** A time limit `ms` as the helpers enforce it (see SLACK). */
export const bound = (ms: number): number => ms * SLACK;

/** Resolve once `check()` holds (looked at every 20 ms); throw after `timeoutMs` (stretched by SLACK). */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + bound(timeoutMs);
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${bound(timeoutMs)} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
}

/**
 * tsx's loader by absolute URL: a bare `--import tsx` resolves from the child's cwd, which
 * fails when a test runs a script inside a temporary workspace outside the checkout.
 */
export const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/**
 * Node options to run a TypeScript file other than a task (a test's own child script): none
 * where Node strips types itself (>= 22.18), tsx's loader on an older Node (20).
 */
export const typeScriptNodeArgs: string[] = process.features.typescript ? [] : ['--import', tsxLoader];

/** The command a pixi task runs, `node scripts/run.mjs <task>`, with this test's node. */
export function taskCommand(task: string): [string, string[]] {
  return [process.execPath, [join(repoRoot, 'scripts', 'run.mjs'), task]];
}

/** Run the task whose script is scripts/<script> (e.g. 'validate.ts') exactly as pixi runs it. */
export function runScript(script: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const [command, argv] = taskCommand(script.replace(/\.ts$/, ''));
  return runCommand(command, [...argv, ...args], options);
}

export function runCommand(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, NO_COLOR: '1', ...options.env } as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(
      () => {
        timedOut = true;
        child.kill('SIGKILL');
      },
      bound(options.timeoutMs ?? 30_000),
    );
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: stderr + String(error), timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    // A child that exits before reading its input must not crash the test run.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Run a TypeScript fuzz driver (or any script printing one JSON result) in a child process with
 * a time limit, so a hang is a bounded failure; asserts it neither hung nor failed.
 */
export async function runJsonScript<T>(file: string, args: string[], timeoutMs: number, what: string): Promise<T> {
  const run = await runCommand(process.execPath, [...typeScriptNodeArgs, file, ...args], { timeoutMs });
  assert.is(run.timedOut, false, `the ${what} run hung`);
  assert.is(run.code, 0, run.stderr.slice(0, 2000));
  return JSON.parse(run.stdout) as T;
}

/** A temp folder holding links to these tools only (e.g. git and bash: no docker, no podman), for PATH. */
export function pathWithOnly(tools: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-path-'));
  for (const tool of tools)
    symlinkSync(
      execFileSync('sh', ['-c', `command -v ${tool}`])
        .toString()
        .trim(),
      join(dir, tool),
    );
  return dir;
}
