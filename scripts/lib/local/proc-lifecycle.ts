// One proc's life, as a pool's shadow and starter would log it: input transfer (040), execute
// (001), image size (006), then by its exit and its policy: a checkpoint upload (040) and a
// restart in the same sandbox (001 again), a requeue (004) and a fresh run, a hold (012) for a
// missing output (code 12), the memory limit (34/102) or on_exit_hold (3), or the output
// transfer (040) and termination (005, with the usage table). Removal (009) is the runner's.
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Exit, EventLogWriter, ResourceUse, WritableEvent } from '../event-log/writer.ts';
import { sinful } from '../event-log/writer.ts';
import type { Shell } from '../shell.ts';
import type { ProcSpec } from '../submit-language/submit-plan.ts';
import { containerOutcome, removeContainer, startContainer, type ContainerOutcome } from './container-run.ts';
import { startHost } from './host-run.ts';
import { APPTAINER_PREFIX, apptainerArgv, apptainerOnPath } from './apptainer-run.ts';
import { writeAds } from './job-ad.ts';
import { jobEnvironment } from './job-env.ts';
import { judgeExit, type ExitPolicy } from './policy.ts';
import type { RunningChild } from './process-run.ts';
import {
  checkpointBytes,
  parseRemaps,
  snapshotTopLevel,
  TransferError,
  transferInputs,
  transferOutputs,
  treeSize,
} from './transfer.ts';

export type ProcEnd = 'completed' | 'held' | 'removed';

export interface ProcContext {
  cluster: number;
  proc: ProcSpec;
  /** The container image (docker name) for container/docker universe, else null. */
  image: string | null;
  policy: ExitPolicy;
  slotIndex: number;
  gpus: string[];
  allowCpu: boolean;
  network: string | null;
  runId: string;
  writer: EventLogWriter;
  shell: Shell;
  /** Set when the run is being removed (Ctrl-C, cancel): stop and return 'removed'. */
  removing: () => boolean;
  /** Register the running child so a removal can stop it. */
  onChild: (child: RunningChild | null, containerName: string | null) => void;
  /** A line for the person running it (kept files, ...). */
  note: (line: string) => void;
}

const HOST = hostname();
const EXCLUDE = new Set(['.job.ad', '.machine.ad', '.chirp.config', '.docker_stdout', '.docker_stderr']);

function commandValue(proc: ProcSpec, name: string): string | undefined {
  return proc.expanded?.[name];
}

/** request_memory in MiB (default 128 as JOB_DEFAULT_REQUESTMEMORY), request_cpus, request_disk in KiB. */
export function requests(proc: ProcSpec): { memoryMb: number; cpus: number; diskKb: number | null; gpus: number } {
  return {
    memoryMb: Number(proc.classAd.RequestMemory ?? 128),
    cpus: Number(proc.classAd.RequestCpus ?? 1),
    diskKb: proc.classAd.RequestDisk ? Number(proc.classAd.RequestDisk) : null,
    gpus: Number(proc.classAd.RequestGPUs ?? 0),
  };
}

function transferHoldReason(direction: 'input' | 'output', slot: string, error: TransferError): string {
  if (direction === 'input')
    return `Transfer input files failure at access point ${HOST} while sending files to execution point ${slot}. Details: ${error.message}`;
  // Where a pool would have failed (baseshadow.cpp:645-660): writing at the access point, else reading at the execution point.
  return error.atAccessPoint
    ? `Transfer output files failure at access point ${HOST} while receiving files from execution point ${slot}. Details: ${error.message}`
    : `Transfer output files failure at execution point ${slot} while sending files to access point ${HOST}. Details: ${error.message}`;
}

export async function runProc(ctx: ProcContext): Promise<ProcEnd> {
  const { proc, cluster } = ctx;
  const id = { cluster, proc: proc.proc };
  const log = proc.log;
  const write = async (event: WritableEvent): Promise<void> => {
    if (log) await ctx.writer.write(log, id, event);
  };
  const slot = `slot1_${ctx.slotIndex}@${HOST}`;
  const startd = sinful(HOST, `startd_${process.pid}_local`);
  const req = requests(proc);
  const remaps = parseRemaps(commandValue(proc, 'transfer_output_remaps'));
  const checkpointFiles = commandValue(proc, 'transfer_checkpoint_files');
  const checkpointList = checkpointFiles
    ? checkpointFiles
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : null;

  // should_transfer_files = NO: a shared filesystem; the job runs in initialdir and nothing is
  // transferred either way (its scratch directory still holds the ads).
  const shared = proc.classAd.ShouldTransferFiles === '"NO"';
  let starts = 0;
  let totalSent = 0;
  let totalReceived = 0;
  for (;;) {
    // A fresh sandbox for every placement (a requeued job starts over, as on a new slot).
    const sandbox = await mkdtemp(join(tmpdir(), `pixi-condor-${cluster}.${proc.proc}-`));
    // Containers being removed: the removal runs while the proc's end is logged and its outputs
    // come back (~50 ms the watcher need not wait for), and is awaited before the sandbox goes.
    const removals: Promise<void>[] = [];
    try {
      if (!shared) await write({ code: 40, what: 'input', stage: 'started', host: startd });
      let received = 0;
      try {
        if (!shared)
          received = await transferInputs(
            {
              iwd: proc.iwd,
              inputs: proc.transferInputFiles,
              executable: proc.transferExecutable ? proc.executable : null,
            },
            sandbox,
          );
      } catch (error) {
        if (!(error instanceof TransferError)) throw error;
        await write({
          code: 12,
          reason: transferHoldReason('input', slot, error),
          holdCode: 13,
          holdSubcode: error.errno,
        });
        return 'held';
      }
      totalReceived += received;
      if (!shared) await write({ code: 40, what: 'input', stage: 'finished' });
      const before = await snapshotTopLevel(sandbox);
      const executable = proc.executable
        ? proc.transferExecutable && !shared
          ? join(sandbox, basename(proc.executable))
          : proc.executable
        : null;
      if (!executable) throw new Error(`proc ${proc.proc} has no executable`);
      const exclude = new Set([...EXCLUDE, basename(executable)]);

      // Runs in this sandbox until an exit that is not a checkpoint.
      let firstInSandbox = true;
      for (;;) {
        if (ctx.removing()) return 'removed';
        starts++;
        await writeAds(sandbox, {
          classAd: proc.classAd,
          cluster,
          proc: proc.proc,
          starts,
          host: HOST,
          slot,
          cpus: req.cpus,
          memoryMb: req.memoryMb,
          gpus: ctx.gpus,
        });
        await write({
          code: 1,
          executeHost: startd,
          slotName: slot,
          props: {
            CondorScratchDir: sandbox,
            Cpus: req.cpus,
            Disk: req.diskKb ?? 0,
            GPUs: ctx.gpus.length,
            Memory: req.memoryMb,
          },
        });
        const env = jobEnvironment({
          getenv: commandValue(proc, 'getenv'),
          environment: commandValue(proc, 'environment'),
          submitEnv: process.env,
          scratchDir: sandbox,
          slot: `slot1_${ctx.slotIndex}`,
          iwd: shared ? proc.iwd : sandbox,
          cpus: req.cpus,
          gpus: ctx.gpus,
          allowCpu: ctx.allowCpu,
        });
        const append = starts > 1;
        const started = Date.now();
        let child: RunningChild;
        let containerName: string | null = null;
        try {
          if (ctx.image?.startsWith(APPTAINER_PREFIX)) {
            const workdir = shared ? proc.iwd : sandbox;
            const [command, ...args] = apptainerArgv({
              image: ctx.image.slice(APPTAINER_PREFIX.length),
              executable,
              args: proc.arguments,
              sandbox,
              workdir,
              gpus: ctx.gpus,
            });
            // By its full path: the job's environment is HTCondor's, not this shell's PATH.
            const apptainer = apptainerOnPath() ?? command!;
            child = startHost({
              executable: apptainer,
              args,
              sandbox,
              workdir,
              env,
              stdoutPath: proc.output,
              stderrPath: proc.error,
              append,
            });
          } else if (ctx.image) {
            containerName = `pixi-condor-${ctx.runId}-${cluster}.${proc.proc}-${starts}`;
            child = startContainer({
              image: ctx.image,
              name: containerName,
              runId: ctx.runId,
              jobId: `${cluster}.${proc.proc}`,
              executable,
              args: proc.arguments,
              sandbox,
              workdir: shared ? proc.iwd : sandbox,
              env,
              user: `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
              memoryMb: proc.classAd.RequestMemory ? req.memoryMb : null,
              cpus: proc.classAd.RequestCpus ? req.cpus : null,
              gpus: ctx.gpus,
              network: ctx.network,
              stdoutPath: proc.output,
              stderrPath: proc.error,
              append,
            });
          } else {
            child = startHost({
              executable,
              args: proc.arguments,
              sandbox,
              workdir: shared ? proc.iwd : sandbox,
              env,
              stdoutPath: proc.output,
              stderrPath: proc.error,
              append,
            });
          }
        } catch (error) {
          // The output or error file cannot be opened (its folder is missing): the starter holds
          // such a job with UnableToOpenOutput (7) and the errno.
          const e = error as NodeJS.ErrnoException;
          await write({
            code: 12,
            reason: `Error from ${slot}: Failed to open '${e.path ?? proc.output}' as standard output: ${e.message}`,
            holdCode: 7,
            holdSubcode: typeof e.errno === 'number' ? Math.abs(e.errno) : 0,
          });
          return 'held';
        }
        ctx.onChild(child, containerName);
        const { exit } = await child.done;
        ctx.onChild(null, null);
        const wallSeconds = Math.round((Date.now() - started) / 1000);
        let outcome: ContainerOutcome | null = null;
        if (containerName) {
          outcome = await containerOutcome(ctx.shell, containerName);
          removals.push(removeContainer(ctx.shell, containerName).catch(() => {}));
        }
        if (ctx.removing()) return 'removed';
        const peakKb = child.peakRssKb();
        if (peakKb > 0 && firstInSandbox)
          await write({
            code: 6,
            imageSizeKb: peakKb,
            memoryUsageMb: Math.ceil(peakKb / 1024),
            residentSetKb: peakKb,
          });
        firstInSandbox = false;
        if (outcome && !outcome.exists) {
          // docker run gave up before creating the container; its message is in the error file.
          await write({
            code: 12,
            reason: `Error from ${slot}: Cannot pull image ${ctx.image}${proc.error ? ` (docker's message is in ${proc.error})` : ''}`,
            holdCode: 35,
            holdSubcode: 0,
          });
          return 'held';
        }
        if (outcome?.error) {
          await write({
            code: 12,
            reason: `Error from ${slot}: Error running docker job: ${outcome.error}`,
            holdCode: 6,
            holdSubcode: 0,
          });
          return 'held';
        }
        if (outcome?.oomKilled) {
          await write({
            code: 12,
            reason: `Error from ${slot}: Docker job has gone over memory limit of ${req.memoryMb} Mb`,
            holdCode: 34,
            holdSubcode: 102,
          });
          return 'held';
        }
        const facts = {
          exitCode: 'returnValue' in exit ? exit.returnValue : null,
          signal: 'signal' in exit ? exit.signal : null,
          starts,
        };
        const verdict = judgeExit(ctx.policy, facts);
        if (verdict === 'checkpoint') {
          await write({ code: 40, what: 'output', stage: 'started', host: startd });
          try {
            totalSent += await checkpointBytes(sandbox, checkpointList, exclude);
          } catch (error) {
            if (!(error instanceof TransferError)) throw error;
            await write({
              code: 12,
              reason: transferHoldReason('output', slot, error),
              holdCode: 12,
              holdSubcode: error.errno,
            });
            return 'held';
          }
          await write({ code: 40, what: 'output', stage: 'finished' });
          continue;
        }

        if (!shared) await write({ code: 40, what: 'output', stage: 'started', host: startd });
        const diskKb = Math.ceil((await treeSize(sandbox)) / 1024);
        const result = shared
          ? { bytes: 0, written: [], kept: [], failure: null }
          : await transferOutputs(
              {
                iwd: proc.iwd,
                outputs: proc.transferOutputFiles,
                remaps,
                exclude,
                before,
                tag: `${cluster}.${proc.proc}`,
              },
              sandbox,
            );
        totalSent += result.bytes;
        for (const kept of result.kept)
          ctx.note(
            `${cluster}.${proc.proc}: ${kept.existing} already existed and was kept; the new one is ${kept.newPath}`,
          );
        if (!shared) await write({ code: 40, what: 'output', stage: 'finished' });
        if (result.failure) {
          await write({
            code: 12,
            reason: transferHoldReason('output', slot, result.failure),
            holdCode: 12,
            holdSubcode: result.failure.errno,
          });
          return 'held';
        }
        if (verdict === 'hold') {
          await write({
            code: 12,
            reason:
              ctx.policy.onExitHoldReason ??
              `The job attribute OnExitHold expression '${ctx.policy.onExitHold}' evaluated to TRUE`,
            holdCode: 3,
            holdSubcode: ctx.policy.onExitHoldSubcode,
          });
          return 'held';
        }
        if (verdict === 'requeue') {
          await write({ code: 4, requeued: exit, bytesSent: result.bytes, bytesReceived: received });
          break; // a fresh sandbox, a fresh start
        }
        const cpu = child.cpuTimes?.() ?? undefined;
        await write({
          code: 5,
          exit,
          runRemote: cpu,
          bytesSent: result.bytes,
          bytesReceived: received,
          totalBytesSent: totalSent,
          totalBytesReceived: totalReceived,
          resources: usageTable(proc, req, { peakKb, diskKb, wallSeconds, gpus: ctx.gpus }),
        });
        return 'completed';
      }
    } finally {
      await Promise.all(removals);
      await rm(sandbox, { recursive: true, force: true });
    }
  }
}

function usageTable(
  proc: ProcSpec,
  req: ReturnType<typeof requests>,
  used: { peakKb: number; diskKb: number; wallSeconds: number; gpus: string[] },
): Record<string, ResourceUse> {
  const table: Record<string, ResourceUse> = {
    Cpus: { usage: null, request: req.cpus, allocated: req.cpus },
    Disk: { usage: used.diskKb, request: req.diskKb, allocated: req.diskKb ?? used.diskKb },
    Memory: {
      usage: used.peakKb > 0 ? Math.ceil(used.peakKb / 1024) : null,
      request: req.memoryMb,
      allocated: req.memoryMb,
    },
    TimeExecute: { usage: used.wallSeconds, request: null, allocated: null },
  };
  if (req.gpus > 0 || proc.classAd.RequestGPUs !== undefined)
    table.Gpus = {
      usage: null,
      request: req.gpus,
      allocated: used.gpus.length,
      assigned: used.gpus.length > 0 ? `"${used.gpus.join(',')}"` : null,
    };
  return table;
}

/** Exit in words, for notes. */
export function describeExit(exit: Exit): string {
  return 'returnValue' in exit ? `return value ${exit.returnValue}` : `signal ${exit.signal}`;
}
