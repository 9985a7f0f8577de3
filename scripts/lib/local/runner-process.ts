// The process that owns a local job, as a pool's schedd and starter own a queued one. `submit
// --local` starts it detached (its own session: closing the terminal, Ctrl-C or `kill -9` of
// `submit` do not reach it) with the job's spec in .pixi-condor/local/runs/<cluster>/; it runs
// the procs, writes the event logs and, when done, end.json. `submit` and `status` only watch.
// SIGTERM (`pixi run cancel`) removes the job: every proc's family and container end, 009 each.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { readFile, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';
import type { CommandSpec, ParsedCommand } from '../cli.ts';
import { UsageError, UserError } from '../errors.ts';
import { EventLogWriter } from '../event-log/writer.ts';
import { REPO_ROOT } from '../repo-root.ts';
import { Shell } from '../shell.ts';
import { appendRunNote, readRunSpec, runDir, spoolDir, writeRunEnd } from './run-files.ts';
import { LOCAL_DIR } from './cluster-counter.ts';
import { removeContainer } from './container-run.ts';
import { processStartTime } from './process-family.ts';
import { LocalRun } from './runner.ts';

export const RUNNER_SPEC: CommandSpec = {
  usage: 'node scripts/run.mjs local-runner ROOT CLUSTER',
  summary:
    'The process that owns a `submit --local` job (started by submit, detached): runs its procs and writes its event logs. Not for running by hand.',
  positionals: { names: 'ROOT CLUSTER', max: 2 },
  options: {},
  exitCodes: [
    ['0', 'the job ran to its end (or was removed)'],
    ['2', 'usage error, or no run spec for that job'],
  ],
  docs: 'docs/local.md',
};

/** Start the runner for `cluster`, detached; its pid and start time name it from now on. */
export function startRunner(root: string, cluster: number): { pid: number; startTime: number | null } {
  const dir = runDir(root, cluster);
  mkdirSync(dir, { recursive: true });
  const log = openSync(join(dir, 'runner.log'), 'a');
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'scripts', 'run.mjs'), 'local-runner', root, String(cluster)],
    {
      cwd: root,
      detached: true, // setsid(): no terminal, no process group of the watcher's
      stdio: ['ignore', log, log],
      env: process.env,
    },
  );
  closeSync(log);
  child.unref();
  if (child.pid === undefined)
    throw new UserError('the local runner could not be started', { hint: `see ${join(dir, 'runner.log')}` });
  return { pid: child.pid, startTime: processStartTime(child.pid) };
}

const LEFTOVERS = 'leftover-containers.txt';

/** Containers a run could not remove (its engine was gone): try again; keep the ones that still fail. */
export async function removeLeftoverContainers(root: string, shell: Shell): Promise<void> {
  const path = join(root, LOCAL_DIR, LEFTOVERS);
  const names = (await readFile(path, 'utf8').catch(() => ''))
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
  const text = await readFile(path, 'utf8').catch(() => '');
  await writeFileAtomic(path, `${text}${name}\n`);
}

export async function runRunner(parsed: ParsedCommand): Promise<number> {
  const [root, clusterText] = parsed.positionals;
  const cluster = Number(clusterText);
  if (root === undefined || !Number.isInteger(cluster)) throw new UsageError(`'${clusterText}' is not a cluster id`);
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
    writer: new EventLogWriter(Date.now, touch),
    shell,
    onKept: (proc, kept) =>
      void appendRunNote(root, cluster, { kind: 'kept', proc, existing: kept.existing, newPath: kept.newPath }),
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
