// A throwaway template workspace for `submit --local` tests, plus a job script and a submit
// file written per test. No HTCondor stand-in on PATH: a local run needs none.
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEventLog } from '../../scripts/lib/event-log/event-log.ts';
import { runScript, type RunResult } from '../helpers/process.ts';
import { makeWorkspace, type TestWorkspace } from '../condor/workspace.ts';
import { TEST_BASE_IMAGE } from '../image/services.ts';

export interface LocalWorkspace {
  ws: TestWorkspace;
  root: string;
  env: Record<string, string>;
  file(name: string, text: string, executable?: boolean): string;
  submit(args: string[], timeoutMs?: number): Promise<RunResult>;
  /** Event codes of proc `proc` in `log`, without 006 (informational: how many depends on how long the job ran). */
  codes(log: string, proc?: number): number[];
  read(name: string): string;
}

export async function localWorkspace(): Promise<LocalWorkspace> {
  const ws = await makeWorkspace();
  // No image record: submit would pin its image, and a vanilla job naming an image runs in it
  // (condor_submit's WantContainer); a test that wants a container names its own image.
  rmSync(join(ws.root, '.pixi-condor', 'image.json'), { force: true });
  const env = { PIXI_PROJECT_ROOT: ws.root, PATH: process.env.PATH ?? '' };
  return {
    ws,
    root: ws.root,
    env,
    file(name, text, executable = false) {
      const path = join(ws.root, name);
      writeFileSync(path, text);
      if (executable) chmodSync(path, 0o755);
      return path;
    },
    submit: (args, timeoutMs = 60_000) => runScript('submit.ts', [...args, '--interval', '40'], { env, timeoutMs }),
    codes(log, proc) {
      const { events } = parseEventLog(readFileSync(join(ws.root, log)));
      return events.filter((e) => (proc === undefined || e.proc === proc) && e.code !== 6).map((e) => e.code);
    },
    read: (name) => readFileSync(join(ws.root, name), 'utf8'),
  };
}

/** A vanilla submit file around `job.sh`, with extra lines before `queue`. */
export function vanillaSubmit(extra: string, queue = 'queue'): string {
  return [
    'universe = vanilla',
    'executable = job.sh',
    'log = job_$(Cluster)_$(Process).log',
    'output = job_$(Cluster)_$(Process).out',
    'error = job_$(Cluster)_$(Process).err',
    'should_transfer_files = YES',
    extra,
    queue,
    '',
  ].join('\n');
}

/** A container-universe submit file around `job.sh` in the test base image, with extra lines before `queue`. */
export function containerSubmit(extra: string): string {
  return [
    'universe = container',
    `container_image = docker://${TEST_BASE_IMAGE}`,
    'executable = job.sh',
    'log = job_$(Cluster)_$(Process).log',
    'output = job_$(Cluster)_$(Process).out',
    'error = job_$(Cluster)_$(Process).err',
    extra,
    'queue',
    '',
  ].join('\n');
}

/** The same job in either universe: the tests that must hold for both run each. */
export function submitIn(universe: 'vanilla' | 'container', extra: string): string {
  return universe === 'vanilla' ? vanillaSubmit(extra) : containerSubmit(extra);
}

/**
 * Stop every local runner a test started in `root` (named by the job records), so a test that
 * failed half-way leaves no runner behind: SIGTERM, on which it removes its job (containers and
 * process families included).
 */
export function stopLocalRunners(root: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(join(root, '.pixi-condor', 'jobs'));
  } catch {
    return;
  }
  const stopping: number[] = [];
  for (const name of names) {
    try {
      const record = JSON.parse(readFileSync(join(root, '.pixi-condor', 'jobs', name), 'utf8'));
      // Only the runner itself: the pid with the start time recorded (a dead runner's pid may be reused).
      if (typeof record.local?.pid === 'number' && startTimeOf(record.local.pid) === record.local.startTime) {
        process.kill(record.local.pid, 'SIGTERM');
        stopping.push(record.local.pid);
      }
    } catch {
      // not a local job, or its runner has ended
    }
  }
  // Bounded: it removes its job (a TERM-ignoring child gets SIGKILL after 3 s), then exits; a
  // workspace deleted under a running runner would be written into again.
  const until = Date.now() + 10_000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (stopping.some(alive) && Date.now() < until) Atomics.wait(pause, 0, 0, 20);
  for (const pid of stopping.filter(alive)) process.kill(pid, 'SIGKILL');
}

/** Start time of `pid` (/proc/PID/stat field 22), or null when it is gone. */
export function startTimeOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return null;
  }
}

/** Running (a zombie waiting for its reaper has ended). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}
