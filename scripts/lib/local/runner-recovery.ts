// A local job whose runner died (kill -9, a crash, a reboot): found by the next `status`,
// `cancel`, `resubmit` or `results` (the runner's pid and start time no longer name a live process), then
// cleaned up as HTCondor treats a job whose schedd and shadow died: its execution is lost.
// On a pool the restarted schedd logs 022 "Local schedd and job shadow died, schedd now running
// again" (src/condor_schedd.V6/schedd.cpp:10286), the shadow's reconnect finds no starter and
// logs 024 (baseshadow.cpp:513-536, "Job not found at execution machine",
// remoteresource.cpp:2373), and the job goes back to idle (schedd.cpp:15183, JOB_RECONNECT_FAILED
// is JOB_SHOULD_REQUEUE) to restart from its spooled checkpoint. Here no schedd is left to start
// it again, so after 022 and 024 the job is removed (009, saying why) and `resubmit --failed`
// (removed counts) starts the row again from the checkpoint kept in .pixi-condor/local/spool/.
// Whatever the job left running ends first: its process family (marker scan) and containers.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { readBoundedText } from '../bounded-read.ts';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EventLogWriter, sinful } from '../event-log/writer.ts';
import type { JobRecord } from '../jobs/job-store.ts';
import { readJobOnce } from '../jobs/tracker.ts';
import { Shell } from '../shell.ts';
import { labelledContainers, removeContainer } from './container-run.ts';
import { bootId, endFamily, processStartTime, sameProcessAlive } from './process-family.ts';
import { readRunEnd, readRunSpec, runDir, writeRunEnd } from './run-files.ts';
import { noteLeftoverContainer } from './runner-process.ts';
import { logGuard } from './sandbox-wall.ts';
import { userName } from './runner.ts';

export type RunnerState = 'running' | 'ended' | 'lost' | 'elsewhere';

/** Is the job's runner alive? 'ended': it finished (end.json); 'lost': it died without finishing. */
export function runnerState(root: string, record: JobRecord): RunnerState {
  const local = record.local!;
  if (readRunEnd(root, record.cluster)) return 'ended';
  if (local.host !== hostname()) return 'elsewhere';
  // A reboot since: every process of that boot is gone, whatever a pid now names.
  const boot = local.bootId ? bootId() : null;
  if (boot !== null && boot !== local.bootId) return 'lost';
  return sameProcessAlive(local.pid, local.startTime ?? null) ? 'running' : 'lost';
}

/**
 * If the job's runner died without finishing: end what it left, log its loss, keep the spooled
 * checkpoints, write end.json. Returns true when it did (once: a second caller finds end.json).
 */
export async function recoverIfRunnerLost(root: string, record: JobRecord): Promise<boolean> {
  if (!record.local || runnerState(root, record) !== 'lost') return false;
  if (!(await takeRecovery(root, record.cluster))) return false;
  const { runId, pid } = record.local;
  await endFamily(`${runId}/`, { prefix: true, graceMs: 3000 });
  const shell = new Shell();
  for (const name of (await labelledContainers(shell, runId)) ?? [])
    if (!(await removeContainer(shell, name))) await noteLeftoverContainer(root, name);
  await logLostExecution(root, record, pid);
  const spec = await readRunSpec(root, record.cluster);
  if (spec) await rm(spec.scratch, { recursive: true, force: true });
  await writeRunEnd(root, record.cluster, { removedBy: `pixi-condor: the local runner (pid ${pid}) died`, lost: true });
  return true;
}

/**
 * One recoverer at a time: mkdir is atomic, and the folder names its owner's pid. A recoverer
 * that died half-way (its pid gone) leaves the job to the next one instead of to no one.
 */
async function takeRecovery(root: string, cluster: number): Promise<boolean> {
  const lock = join(runDir(root, cluster), 'recovering');
  await mkdir(runDir(root, cluster), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), `${process.pid} ${processStartTime(process.pid) ?? ''}\n`);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let ownerText = '';
    try {
      ownerText = readBoundedText(join(lock, 'pid'), 4096);
    } catch {
      // being written, or gone
    }
    const [pidText, startText] = ownerText.trim().split(' ');
    const owner = Number(pidText);
    // Being written this very moment, or its owner still at work: leave it to them.
    if (!owner || sameProcessAlive(owner, startText ? Number(startText) : null)) return false;
    await rm(lock, { recursive: true, force: true });
  }
  return false;
}

async function logLostExecution(root: string, record: JobRecord, pid: number): Promise<void> {
  const { table } = await readJobOnce(record, root);
  const writer = new EventLogWriter(Date.now, undefined, logGuard(record.procs));
  const startd = sinful(hostname(), `startd_${pid}_local`);
  for (const proc of record.procs) {
    if (!proc.log) continue;
    const job = table.list().find((j) => j.proc === proc.proc);
    // Ended procs stay as they are; so do held ones (a hold outlives a schedd restart).
    if (job && (job.state === 'completed' || job.state === 'removed' || job.state === 'held')) continue;
    const id = { cluster: record.cluster, proc: proc.proc };
    if (job?.state === 'running') {
      await writer.write(proc.log, id, {
        code: 22,
        reason: `Local schedd and job shadow died (the local runner, pid ${pid}); pixi-condor found it gone`,
        startdName: `slot1@${hostname()}`,
        startdAddr: startd,
      });
      await writer.write(proc.log, id, {
        code: 24,
        reason: 'Job not found at execution machine',
        startdName: `slot1@${hostname()}`,
      });
    }
    await writer.write(proc.log, id, {
      code: 9,
      reason: `via pixi-condor: its local runner (pid ${pid}) died and no schedd is left to run it again; \`pixi run resubmit --failed ${record.resubmitOf?.cluster ?? record.cluster} --local\` starts it from its last checkpoint (by user ${userName()})`,
    });
  }
  await writer.flush();
}
