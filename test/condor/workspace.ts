// A throwaway copy of the template workspace for end-to-end submit tests: the files validate
// reads, a stand-in MNIST_data.tar.gz, and a .pixi-condor/image.json whose content hash
// matches (as build-image would have written it). PATH gets the stand-in condor_* tools.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { computeContentHash } from '../../scripts/lib/image/content-hash.ts';
import { writeImageRecord } from '../../scripts/lib/image-record.ts';
import { readManifest, templateConfig } from '../../scripts/lib/workspace.ts';
import { repoRoot } from '../helpers/paths.ts';
import { bound, taskCommand, type RunResult } from '../helpers/process.ts';

export const standInBin = join(repoRoot, 'test', 'condor', 'bin');
const COPIED = ['pixi.toml', 'pixi.lock', 'Dockerfile', '.dockerignore', 'mnist_gpu_docker.sub', 'job', 'schema'];

export interface Scenario {
  mode: 'ok' | 'reject';
  /** Fixture event log the stand-in replays into the job's log. */
  log?: string;
  delayMs?: number;
  startDelayMs?: number;
  /** condor_submit takes this long after queueing the job. */
  submitDelayMs?: number;
  /** Stop replaying after the first hold (012): the job stays held until condor_release. */
  untilHold?: boolean;
  /** After condor_release: the fixture whose events (past its first 013) the job goes on with. */
  afterRelease?: string;
  /**
   * Gates the test opens with `ws.open(name)` once it has seen what it waits for: condor_submit
   * waits after queueing (submitGate), the replay before its first event (startGate), each proc
   * before its end, 005 or 009 (endGate; condor_rm opens it too). Events, not delays: a busy
   * machine cannot make the job end, or its log appear, before the test looks.
   */
  submitGate?: string;
  startGate?: string;
  endGate?: string;
  /** What condor_submit prints after queueing (default: its usual lines). */
  output?: 'standard' | 'monitor-hint-only' | 'none' | 'killed' | 'killed-before-queue';
}

export interface TestWorkspace {
  root: string;
  condorDir: string;
  env: Record<string, string>;
  scenario(s: Scenario): void;
  /** Open a gate the scenario names (see Scenario.submitGate). */
  open(gate: string): void;
  /** Each stand-in call; condor_submit's also carries the names of its environment. */
  calls(): { tool: string; argv: string[]; envNames?: string[] }[];
  /** The files in .pixi-condor/jobs (records and submission tags), sorted. */
  jobFiles(): string[];
  cleanup(): void;
}

/** Follow the stand-in's replay every 40 ms (`--interval 40`): the tests' jobs end in a second. */
export const FOLLOW_FAST = ['--interval', '40'];

export async function makeWorkspace(): Promise<TestWorkspace> {
  const base = mkdtempSync(join(tmpdir(), 'pixi-condor-e2e-'));
  const root = join(base, 'ws');
  const condorDir = join(base, 'condor');
  mkdirSync(root);
  mkdirSync(condorDir);
  for (const name of COPIED)
    if (existsSync(join(repoRoot, name))) cpSync(join(repoRoot, name), join(root, name), { recursive: true });
  writeFileSync(join(root, 'MNIST_data.tar.gz'), 'stand-in archive');
  const config = templateConfig((await readManifest(root)).data);
  const { hash } = await computeContentHash(root, config);
  const digest = `sha256:${'ab'.repeat(32)}`;
  await writeImageRecord(root, {
    version: 1,
    repository: 'ghcr.io/tester/pixi-condor',
    contentTag: `default-noble-cuda12.9-${hash.slice(0, 12)}`,
    tags: [`default-noble-cuda12.9-${hash.slice(0, 12)}`],
    digest,
    reference: `ghcr.io/tester/pixi-condor@${digest}`,
    contentHash: hash,
    environment: 'default',
    cuda: '12.9',
    platform: 'linux/amd64',
    gitRevision: null,
    recordedAt: new Date().toISOString(),
  });
  return {
    root,
    condorDir,
    env: {
      PIXI_PROJECT_ROOT: root,
      PATH: `${standInBin}${delimiter}${process.env.PATH}`,
      STANDIN_CONDOR_DIR: condorDir,
      STANDIN_NODE: process.execPath,
    },
    scenario: (s) => writeFileSync(join(condorDir, 'scenario.json'), JSON.stringify(s)),
    open: (gate) => writeFileSync(join(condorDir, gate), ''),
    jobFiles: () => {
      const dir = join(root, '.pixi-condor', 'jobs');
      return existsSync(dir) ? readdirSync(dir).sort() : [];
    },
    calls: () =>
      existsSync(join(condorDir, 'calls.jsonl'))
        ? readFileSync(join(condorDir, 'calls.jsonl'), 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l))
        : [],
    cleanup: () => {
      // Stop the replayers the stand-in started for this workspace (by pid, nothing else).
      const pids = existsSync(join(condorDir, 'pids'))
        ? readFileSync(join(condorDir, 'pids'), 'utf8').split('\n').filter(Boolean).map(Number)
        : [];
      for (const pid of pids) {
        try {
          process.kill(pid);
        } catch {
          // already finished
        }
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}

export interface Running {
  child: ChildProcess;
  output(): string;
  /** Resolves when stdout+stderr match, rejects after timeoutMs (stretched by SLACK) or when the script ends. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<RunResult>;
}

/** Start a script (like runScript) but keep hold of it, to signal it mid-run. Always bounded. */
export function startScript(
  script: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
  options: { detached?: boolean } = {},
): Running {
  const [command, argv] = taskCommand(script.replace(/\.ts$/, ''));
  const child = spawn(command, [...argv, ...args], {
    cwd: repoRoot,
    // detached: the script leads a process group of its own, as a shell job in a terminal does,
    // so the test can send the terminal's Ctrl-C to the whole group with process.kill(-pid).
    detached: options.detached ?? false,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, bound(timeoutMs));
  const done = new Promise<RunResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  return {
    child,
    output: () => stdout + stderr,
    done,
    waitFor: (pattern, wait = 15_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const check = (): void => {
          if (pattern.test(stdout + stderr)) {
            resolve();
            return;
          }
          if (Date.now() - started > bound(wait) || child.exitCode !== null) {
            reject(new Error(`never saw ${pattern}; output:\n${stdout}\n${stderr}`));
            return;
          }
          setTimeout(check, 25);
        };
        check();
      }),
  };
}
