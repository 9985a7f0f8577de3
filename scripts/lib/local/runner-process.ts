// The process that owns a local job, as a pool's schedd and starter own a queued one. `submit
// --local` starts it detached (its own session: closing the terminal, Ctrl-C or `kill -9` of
// `submit` do not reach it) with the job's spec in .pixi-condor/local/runs/<cluster>/; it runs
// the procs, writes the event logs and, when done, end.json. `submit` and `status` only watch.
// SIGTERM (`pixi run cancel`) removes the job: every proc's family and container end, 009 each.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { rename, rm, utimes } from 'node:fs/promises';
import { readBoundedText } from '../bounded-read.ts';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';
import { stringOption, type CommandSpec, type ParsedCommand } from '../cli.ts';
import { UsageError, UserError } from '../errors.ts';
import { EventLogWriter } from '../event-log/writer.ts';
import { REPO_ROOT } from '../repo-root.ts';
import { Shell } from '../shell.ts';
import { appendRunNote, readRunSpec, runDir, spoolDir, writeRunEnd } from './run-files.ts';
import { logGuard } from './sandbox-wall.ts';
import { LOCAL_DIR } from './cluster-counter.ts';
import { removeContainer } from './container-run.ts';
import { processStartTime } from './process-family.ts';
import { LocalRun } from './runner.ts';

export const RUNNER_SPEC: CommandSpec = {
  usage: 'node scripts/run.mjs local-runner ROOT [CLUSTER]',
  summary:
    'The process that owns a `submit --local` job (started by submit, detached): runs its procs and writes its event logs. Not for running by hand.',
  positionals: { names: 'ROOT [CLUSTER]', max: 2 },
  options: {
    log: {
      type: 'string',
      value: 'PATH',
      description: 'its own output goes there (moved into the run folder once the cluster is known)',
    },
  },
  epilog:
    'Without CLUSTER it starts at once and reads the cluster from its stdin (submit starts it while the preflight runs); end of input without one: it exits.',
  exitCodes: [
    ['0', 'the job ran to its end (or was removed)'],
    ['2', 'usage error, or no run spec for that job'],
  ],
  docs: 'docs/local.md',
};

export interface StartingRunner {
  pid: number;
  startTime: number | null;
  /** Give it its job: from here on it owns it. */
  hand(cluster: number): void;
  /** No job after all (a refused preflight): it exits. */
  release(): void;
}

/**
 * Start a runner now, detached (setsid: no terminal, no process group of the watcher's), while
 * submit still checks and plans: its start-up (node, the modules) overlaps the preflight. It
 * waits on its stdin for the cluster id. Its pid and start time name it from now on.
 */
export function startRunner(root: string): StartingRunner {
  const dir = join(root, LOCAL_DIR, 'runs');
  mkdirSync(dir, { recursive: true });
  const logPath = join(dir, `runner-${process.pid}-${Date.now()}.log`);
  const log = openSync(logPath, 'a');
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'scripts', 'run.mjs'), 'local-runner', root, '--log', logPath],
    { cwd: root, detached: true, stdio: ['pipe', log, log], env: process.env },
  );
  closeSync(log);
  child.unref();
  child.stdin!.on('error', () => {}); // a runner that already exited
  if (child.pid === undefined) throw new UserError('the local runner could not be started', { hint: `see ${logPath}` });
  const pid = child.pid;
  return {
    pid,
    startTime: processStartTime(pid),
    hand: (cluster) => {
      child.stdin!.end(`${cluster}\n`);
      (child.stdin as unknown as { unref?: () => void }).unref?.();
    },
    release: () => child.stdin!.end(),
  };
}

/** The cluster id submit hands over on stdin; null at end of input without one. */
async function clusterFromStdin(): Promise<number | null> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  const line = text.split('\n')[0]?.trim() ?? '';
  return /^\d+$/.test(line) ? Number(line) : null;
}

const LEFTOVERS = 'leftover-containers.txt';

/** A small state file's text ('' when absent or unreadable), bounded. */
function readSmall(path: string): string {
  try {
    return readBoundedText(path, 1024 * 1024);
  } catch {
    return '';
  }
}

/** Containers a run could not remove (its engine was gone): try again; keep the ones that still fail. */
async function removeLeftoverContainers(root: string, shell: Shell): Promise<void> {
  const path = join(root, LOCAL_DIR, LEFTOVERS);
  const names = readSmall(path)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (names.length === 0) return;
  const left: string[] = [];
  for (const name of new Set(names)) if (!(await removeContainer(shell, name))) left.push(name);
  await writeFileAtomic(path, left.map((n) => `${n}\n`).join(''));
}

export async function noteLeftoverContainer(root: string, name: string): Promise<void> {
  const path = join(root, LOCAL_DIR, LEFTOVERS);
  const text = readSmall(path);
  await writeFileAtomic(path, `${text}${name}\n`);
}

export async function runRunner(parsed: ParsedCommand): Promise<number> {
  const [root, clusterText] = parsed.positionals;
  if (root === undefined) throw new UsageError('name the workspace root');
  const cluster = clusterText !== undefined ? Number(clusterText) : await clusterFromStdin();
  const logPath = stringOption(parsed, 'log');
  if (cluster === null) {
    // submit stopped before handing a job over: nothing to run, nothing to keep.
    if (logPath) await rm(logPath, { force: true });
    return 0;
  }
  if (!Number.isInteger(cluster)) throw new UsageError(`'${clusterText}' is not a cluster id`);
  if (logPath) await rename(logPath, join(runDir(root, cluster), 'runner.log')).catch(() => {});
  const spec = await readRunSpec(root, cluster);
  if (!spec)
    throw new UserError(`no local run spec for job ${cluster} in ${runDir(root, cluster)}`, {
      hint: 'the runner is started by `pixi run submit --local`',
      exitCode: 2,
    });
  const shell = new Shell();
  await removeLeftoverContainers(root, shell).catch(() => {});
  // Touched after each event it logs: a watcher's fs.watch on the run folder reads at once.
  const tick = join(runDir(root, cluster), 'tick');
  writeFileSync(tick, '');
  const touch = (): void => {
    const now = new Date();
    utimes(tick, now, now).catch(() => {});
  };
  const run = new LocalRun({
    ...spec,
    spools: spec.spoolKeys.map((key) => spoolDir(root, key)),
    writer: new EventLogWriter(Date.now, touch, logGuard(spec.procs)),
    shell,
    onKept: (proc, kept) =>
      void appendRunNote(root, cluster, { kind: 'kept', proc, existing: kept.existing, newPath: kept.newPath }),
    onFailedBeforeOutput: (proc, exit, path) =>
      void appendRunNote(root, cluster, { kind: 'failed-before-output', proc, exit, path }),
    onLeftover: (name) => void noteLeftoverContainer(root, name),
  });
  // cancel sends SIGTERM; SIGINT and SIGHUP cannot come from a terminal (no controlling one), only from a kill.
  const onSignal = (signal: NodeJS.Signals): void =>
    void run.remove(signal === 'SIGTERM' ? 'pixi run cancel' : `pixi-condor, ${signal} to the local runner`);
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, onSignal);
  try {
    await run.queue();
    const result = await run.run();
    await writeRunEnd(root, cluster, { removedBy: result.removedBy });
    return 0;
  } catch (error) {
    await writeRunEnd(root, cluster, {
      removedBy: 'pixi-condor after an internal error',
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    throw error;
  } finally {
    await rm(spec.scratch, { recursive: true, force: true });
  }
}
