// One proc's life, as a pool's shadow and starter would log it, in the starter's steps: make a
// sandbox, transfer input (040), spawn the job (001, 006), reap it (its whole process family,
// its container), classify the end (one table, classifyEnd), then a checkpoint upload (040, the
// files spooled on the access point) and a restart in the same sandbox (001 again), a requeue
// (004) and a fresh sandbox, a hold (012) with HTCondor's codes, or the output transfer (040)
// and termination (005, with the usage table summed over restarts). Removal (009) is the runner's.
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import type { Exit, EventLogWriter, ResourceUse, WritableEvent } from '../event-log/writer.ts';
import { sinful } from '../event-log/writer.ts';
import type { Shell } from '../shell.ts';
import { splitFileList, type ProcSpec } from '../submit-language/submit-plan.ts';
import { dropCheckpoint, restoreCheckpoint, spoolCheckpoint } from './checkpoint-spool.ts';
import { containerOutcome, removeContainer, startContainer, type ContainerOutcome } from './container-run.ts';
import { startHost } from './host-run.ts';
import { APPTAINER_PREFIX, apptainerArgv, apptainerOnPath } from './apptainer-run.ts';
import { writeAds } from './job-ad.ts';
import { jobEnvironment } from './job-env.ts';
import { judgeExit, type ExitPolicy, type Verdict } from './policy.ts';
import { procCgroup, type ProcCgroup } from './proc-cgroup.ts';
import { checkDestination } from './sandbox-wall.ts';
import { endFamily } from './process-family.ts';
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
  /** The folder sandboxes are made in. */
  scratch: string;
  /** FAMILY_VAR's value for this proc: every process it starts carries it. */
  familyMarker: string;
  /** Where this proc's last checkpoint is kept (restored into a fresh sandbox), or null. */
  spool: string | null;
  /** Set when the run is being removed (Ctrl-C, cancel): stop and return 'removed'. */
  removing: () => boolean;
  /** Register the running child so a removal can stop it. */
  onChild: (child: RunningChild | null, containerName: string | null) => void;
  /** An output whose destination existed: kept, the new one written beside it. */
  onKept: (kept: { existing: string; newPath: string }) => void;
  /** A declared output missing after a non-zero exit (`exit` in words): the hold's likely cause. */
  onFailedBeforeOutput: (exit: string, path: string) => void;
  /** A container that could not be removed (the engine is gone): removed later. */
  onLeftover: (containerName: string) => void;
}

const HOST = hostname();
const EXCLUDE = new Set(['.job.ad', '.machine.ad', '.chirp.config', '.docker_stdout', '.docker_stderr']);

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

/** What ended one start of the job: its exit, and (container universe) what the engine says. */
export interface EndFacts {
  exit: Exit;
  outcome: ContainerOutcome | null;
  verdict: Verdict;
  /** success_exit_code is set and the exit is not it: only failure files go back (starter.cpp:3244). */
  jobFailed: boolean;
}

export type Ending =
  | { kind: 'hold'; code: number; subcode: number; reason: string }
  | { kind: 'checkpoint' }
  | { kind: 'output'; after: 'hold-policy' | 'requeue' | 'terminate' };

interface EndRule {
  when: (facts: EndFacts) => boolean;
  end: (
    facts: EndFacts,
    where: { slot: string; image: string | null; errorFile: string | null; memoryMb: number },
  ) => Ending;
}

/**
 * How a start ended, first match wins. The engine's answers come first (as docker_proc.cpp's
 * JobReaper inspects the container before it looks at the exit), then the job's own policy.
 */
const END_RULES: EndRule[] = [
  {
    // The engine stopped answering: docker_proc.cpp:589-625 cannot inspect the exited container,
    // removes it if it can and gives up with ContainerError (condor_holdcodes.h:204).
    when: (f) => f.outcome?.engineLost != null,
    end: (f, w) => ({
      kind: 'hold',
      code: 1021,
      subcode: 0,
      reason: `Error from ${w.slot}: Cannot inspect exited container: the Docker engine went away while the job ran (${f.outcome!.engineLost})`,
    }),
  },
  {
    when: (f) => f.outcome !== null && !f.outcome.exists,
    end: (_f, w) => ({
      kind: 'hold',
      code: 35,
      subcode: 0,
      reason: `Error from ${w.slot}: Cannot pull image ${w.image}${w.errorFile ? ` (docker's message is in ${w.errorFile})` : ''}`,
    }),
  },
  {
    when: (f) => Boolean(f.outcome?.error),
    end: (f, w) => ({
      kind: 'hold',
      code: 6,
      subcode: 0,
      reason: `Error from ${w.slot}: Error running docker job: ${f.outcome!.error}`,
    }),
  },
  {
    when: (f) => f.outcome?.oomKilled === true,
    end: (_f, w) => ({
      kind: 'hold',
      code: 34,
      subcode: 102,
      reason: `Error from ${w.slot}: Docker job has gone over memory limit of ${w.memoryMb} Mb`,
    }),
  },
  { when: (f) => f.verdict === 'checkpoint', end: () => ({ kind: 'checkpoint' }) },
  { when: (f) => f.verdict === 'hold', end: () => ({ kind: 'output', after: 'hold-policy' }) },
  { when: (f) => f.verdict === 'requeue', end: () => ({ kind: 'output', after: 'requeue' }) },
  { when: () => true, end: () => ({ kind: 'output', after: 'terminate' }) },
];

function classifyEnd(
  facts: EndFacts,
  where: { slot: string; image: string | null; errorFile: string | null; memoryMb: number },
): Ending {
  return END_RULES.find((rule) => rule.when(facts))!.end(facts, where);
}

/** One placement's state: the sandbox and what was measured in it. */
interface Placement {
  sandbox: string;
  executable: string;
  exclude: Set<string>;
  before: Map<string, number>;
  received: number;
  firstStart: boolean;
  /** Containers being removed: awaited before the sandbox goes. */
  removals: Promise<void>[];
}

interface Started {
  child: RunningChild;
  containerName: string | null;
  at: number;
  cgroup: ProcCgroup | null;
}

interface StartResult {
  child: RunningChild;
  containerName: string | null;
  wallMs: number;
  exit: Exit;
  outcome: ContainerOutcome | null;
}

class ProcRun {
  private readonly ctx: ProcContext;
  private readonly slot: string;
  private readonly startd: string;
  private readonly req: ReturnType<typeof requests>;
  private readonly shared: boolean;
  private starts = 0;
  private totalSent = 0;
  private totalReceived = 0;
  /** Wall time of every start of this proc, summed (restarts included). */
  private wallMs = 0;

  constructor(ctx: ProcContext) {
    this.ctx = ctx;
    this.slot = `slot1_${ctx.slotIndex}@${HOST}`;
    this.startd = sinful(HOST, `startd_${process.pid}_local`);
    this.req = requests(ctx.proc);
    // should_transfer_files = NO: a shared filesystem; the job runs in initialdir and nothing is
    // transferred either way (its scratch directory still holds the ads).
    this.shared = ctx.proc.classAd.ShouldTransferFiles === '"NO"';
  }

  /** A transferred file (the executable, stdin) as the job opens it: in the sandbox by its name; shared, where it is. */
  private asTheJobSees(sandbox: string, path: string): string {
    return this.shared ? path : join(sandbox, basename(path));
  }

  private async write(event: WritableEvent): Promise<void> {
    const { proc, cluster } = this.ctx;
    if (proc.log) await this.ctx.writer.write(proc.log, { cluster, proc: proc.proc }, event);
  }

  private async hold(reason: string, code: number, subcode: number): Promise<'held'> {
    await this.write({ code: 12, reason, holdCode: code, holdSubcode: subcode });
    return 'held';
  }

  async run(): Promise<ProcEnd> {
    for (;;) {
      const placement = await this.createSandbox();
      try {
        const end = await this.runPlacement(placement);
        if (end !== 'requeue') return end;
      } finally {
        await Promise.all(placement.removals);
        await rm(placement.sandbox, { recursive: true, force: true });
      }
    }
  }

  /** A fresh sandbox for every placement (a requeued job starts over, as on a new slot). */
  private async createSandbox(): Promise<Placement> {
    const { cluster, proc } = this.ctx;
    const sandbox = await mkdtemp(join(this.ctx.scratch, `${cluster}.${proc.proc}-`));
    return {
      sandbox,
      executable: '',
      exclude: new Set(),
      before: new Map(),
      received: 0,
      firstStart: true,
      removals: [],
    };
  }

  /** Input, then starts in this sandbox until an exit that is not a checkpoint. */
  private async runPlacement(p: Placement): Promise<ProcEnd | 'requeue'> {
    const input = await this.transferInput(p);
    if (input !== null) return input;
    for (;;) {
      if (this.ctx.removing()) return 'removed';
      const started = await this.spawnJob(p);
      if (started === 'held') return 'held';
      const result = await this.reap(p, started);
      if (this.ctx.removing()) return 'removed';
      const ending = classifyEnd(this.endFacts(result), {
        slot: this.slot,
        image: this.ctx.image,
        errorFile: this.ctx.proc.error,
        memoryMb: this.req.memoryMb,
      });
      if (ending.kind === 'hold') return this.hold(ending.reason, ending.code, ending.subcode);
      if (ending.kind === 'checkpoint') {
        const saved = await this.transferCheckpoint(p);
        if (saved !== null) return saved;
        continue;
      }
      return this.transferOutputAndEnd(p, result, ending.after);
    }
  }

  private async transferInput(p: Placement): Promise<'held' | null> {
    const { proc } = this.ctx;
    if (!this.shared) await this.write({ code: 40, what: 'input', stage: 'started', host: this.startd });
    try {
      if (!this.shared)
        p.received = await transferInputs(
          {
            iwd: proc.iwd,
            inputs: proc.transferInputFiles,
            executable: proc.transferExecutable ? proc.executable : null,
            stdin: proc.input,
          },
          p.sandbox,
        );
    } catch (error) {
      if (!(error instanceof TransferError)) throw error;
      return this.hold(transferHoldReason('input', this.slot, error), 13, error.errno);
    }
    // A checkpoint spooled by an earlier run of this row comes back with the inputs.
    if (this.ctx.spool && !this.shared) await restoreCheckpoint(this.ctx.spool, p.sandbox);
    this.totalReceived += p.received;
    if (!this.shared) await this.write({ code: 40, what: 'input', stage: 'finished' });
    p.before = await snapshotTopLevel(p.sandbox);
    const executable = proc.executable
      ? proc.transferExecutable
        ? this.asTheJobSees(p.sandbox, proc.executable)
        : proc.executable
      : null;
    if (!executable) throw new Error(`proc ${proc.proc} has no executable`);
    p.executable = executable;
    p.exclude = new Set([...EXCLUDE, basename(executable)]);
    return null;
  }

  /** Ads, the execute event (001), the environment, and the job started: as a child or a container. */
  private async spawnJob(p: Placement): Promise<Started | 'held'> {
    const { ctx, req } = this;
    const { proc, cluster } = ctx;
    this.starts++;
    await writeAds(p.sandbox, {
      classAd: proc.classAd,
      cluster,
      proc: proc.proc,
      starts: this.starts,
      host: HOST,
      slot: this.slot,
      cpus: req.cpus,
      memoryMb: req.memoryMb,
      gpus: ctx.gpus,
    });
    await this.write({
      code: 1,
      executeHost: this.startd,
      slotName: this.slot,
      props: {
        CondorScratchDir: p.sandbox,
        Cpus: req.cpus,
        Disk: req.diskKb ?? 0,
        GPUs: ctx.gpus.length,
        Memory: req.memoryMb,
      },
    });
    const workdir = this.shared ? proc.iwd : p.sandbox;
    const env = jobEnvironment({
      getenv: proc.expanded?.getenv,
      environment: proc.expanded?.environment,
      submitEnv: process.env,
      scratchDir: p.sandbox,
      slot: `slot1_${ctx.slotIndex}`,
      iwd: workdir,
      cpus: req.cpus,
      gpus: ctx.gpus,
      allowCpu: ctx.allowCpu,
    });
    const common = {
      executable: p.executable,
      args: proc.arguments,
      sandbox: p.sandbox,
      workdir,
      env,
      familyMarker: ctx.familyMarker,
      stdoutPath: proc.output,
      stderrPath: proc.error,
      // The stdin file as the job sees it (os_proc.cpp opens it in the sandbox once transferred).
      stdinPath: proc.input ? this.asTheJobSees(p.sandbox, proc.input) : null,
      append: this.starts > 1,
    };
    const at = Date.now();
    try {
      // Its folders too, not only its name (openJobOutput): a folder a job replaced with a link
      // out of initialdir is not written through (a restart reopens these files).
      for (const path of new Set([proc.output, proc.error])) if (path) await checkDestination(proc.iwd, path);
      if (!ctx.image || ctx.image.startsWith(APPTAINER_PREFIX)) {
        // Its own cgroup where one can be made (a Docker container has the engine's).
        const cgroup = procCgroup(ctx.familyMarker);
        const child = startHost(ctx.image ? this.apptainerLaunch(common, ctx.image) : common);
        if (cgroup && child.pid !== undefined) cgroup.adopt(child.pid);
        return { child, containerName: null, at, cgroup };
      }
      const containerName = `pixi-condor-${ctx.runId}-${cluster}.${proc.proc}-${this.starts}`;
      const child = startContainer({
        ...common,
        image: ctx.image,
        name: containerName,
        runId: ctx.runId,
        jobId: `${cluster}.${proc.proc}`,
        user: `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
        memoryMb: proc.classAd.RequestMemory ? req.memoryMb : null,
        cpus: proc.classAd.RequestCpus ? req.cpus : null,
        gpus: ctx.gpus,
        network: ctx.network,
      });
      return { child, containerName, at, cgroup: null };
    } catch (error) {
      // The output or error file cannot be opened (its folder is missing): the starter holds
      // such a job with UnableToOpenOutput (7) and the errno; the stdin file, UnableToOpenInput (8).
      const e = error as NodeJS.ErrnoException & { stdin?: boolean };
      const [stream, code, named] = e.stdin ? ['input', 8, proc.input] : ['output', 7, proc.output];
      return this.hold(
        `Error from ${this.slot}: Failed to open '${e.path ?? named}' as standard ${stream}: ${e.message}`,
        code,
        typeof e.errno === 'number' ? Math.abs(e.errno) : 0,
      );
    }
  }

  /** An Apptainer image: `apptainer exec` of it runs as a host process (its family tracked the same way). */
  private apptainerLaunch<T extends { executable: string; args: string[]; sandbox: string; workdir: string }>(
    common: T,
    image: string,
  ): T {
    const [command, ...args] = apptainerArgv({
      image: image.slice(APPTAINER_PREFIX.length),
      executable: common.executable,
      args: common.args,
      sandbox: common.sandbox,
      workdir: common.workdir,
      gpus: this.ctx.gpus,
    });
    // By its full path: the job's environment is HTCondor's, not this shell's PATH.
    return { ...common, executable: apptainerOnPath() ?? command!, args };
  }

  /**
   * Wait for the job's exit, then end what it left: every process carrying its family marker
   * (also those that left its process group), and its container (after reading how it ended).
   */
  private async reap(p: Placement, started: Started): Promise<StartResult> {
    const { ctx } = this;
    const { child, containerName } = started;
    ctx.onChild(child, containerName);
    const { exit } = await child.done;
    ctx.onChild(null, null);
    const wallMs = Date.now() - started.at;
    this.wallMs += wallMs;
    // The engine is asked how the container ended while the family is scanned for leftovers.
    const asked = containerName ? containerOutcome(ctx.shell, containerName) : null;
    asked?.catch(() => {}); // awaited below, after the family is ended
    await endFamily(ctx.familyMarker);
    await started.cgroup?.end();
    let outcome: ContainerOutcome | null = null;
    if (containerName && asked) {
      outcome = await asked;
      // The removal runs while the end is logged and outputs come back; awaited before the sandbox goes.
      p.removals.push(
        removeContainer(ctx.shell, containerName).then(
          (removed) => {
            if (!removed) ctx.onLeftover(containerName);
          },
          () => ctx.onLeftover(containerName),
        ),
      );
    }
    const peakKb = child.peakRssKb();
    if (peakKb > 0 && p.firstStart)
      await this.write({
        code: 6,
        imageSizeKb: peakKb,
        memoryUsageMb: Math.ceil(peakKb / 1024),
        residentSetKb: peakKb,
      });
    p.firstStart = false;
    return { child, containerName, wallMs, exit, outcome };
  }

  private endFacts(result: StartResult): EndFacts {
    const { policy } = this.ctx;
    const facts = {
      exitCode: 'returnValue' in result.exit ? result.exit.returnValue : null,
      signal: 'signal' in result.exit ? result.exit.signal : null,
      starts: this.starts,
    };
    const jobFailed =
      policy.successExitCodeSet && !(facts.signal === null && facts.exitCode === policy.successExitCode);
    return { exit: result.exit, outcome: result.outcome, verdict: judgeExit(policy, facts), jobFailed };
  }

  /** A checkpoint exit: the files go to the access point (spooled), then the job starts again here. */
  private async transferCheckpoint(p: Placement): Promise<'held' | null> {
    const list = checkpointList(this.ctx.proc);
    await this.write({ code: 40, what: 'output', stage: 'started', host: this.startd });
    try {
      this.totalSent += await checkpointBytes(p.sandbox, list, p.exclude);
    } catch (error) {
      if (!(error instanceof TransferError)) throw error;
      // As the starter holds it (jic_shadow.cpp uploadCheckpointFiles: FailedToCheckpoint, -1),
      // with what failed after HTCondor's words.
      return this.hold(`Starter failed to upload checkpoint. Details: ${error.message}`, 36, -1);
    }
    if (this.ctx.spool) await spoolCheckpoint(p.sandbox, list, p.exclude, this.ctx.spool);
    await this.write({ code: 40, what: 'output', stage: 'finished' });
    return null;
  }

  /** The final output transfer (failure files only after a failed exit), then hold, requeue or terminate. */
  private async transferOutputAndEnd(
    p: Placement,
    result: StartResult,
    then: 'hold-policy' | 'requeue' | 'terminate',
  ): Promise<ProcEnd | 'requeue'> {
    const { ctx } = this;
    const { proc, cluster, policy } = ctx;
    // success_exit_code set and missed: the starter uploads only the failure files (stdout and
    // stderr, already in place here), never the outputs (jic_shadow.cpp transferOutputStart).
    const outputsGoBack = !this.shared && !this.endFacts(result).jobFailed;
    if (!this.shared) await this.write({ code: 40, what: 'output', stage: 'started', host: this.startd });
    const diskKb = Math.ceil((await treeSize(p.sandbox)) / 1024);
    const sent = outputsGoBack
      ? await transferOutputs(
          {
            iwd: proc.iwd,
            outputs: proc.transferOutputFiles,
            remaps: parseRemaps(proc.expanded?.transfer_output_remaps),
            exclude: p.exclude,
            before: p.before,
            tag: `${cluster}.${proc.proc}`,
          },
          p.sandbox,
        )
      : { bytes: 0, written: [], kept: [], failure: null };
    this.totalSent += sent.bytes;
    for (const kept of sent.kept) ctx.onKept(kept);
    if (!this.shared) await this.write({ code: 40, what: 'output', stage: 'finished' });
    if (sent.failure) {
      const exit = result.exit;
      if (!('returnValue' in exit) || exit.returnValue !== 0)
        ctx.onFailedBeforeOutput(describeExit(exit), sent.failure.path);
      return this.hold(transferHoldReason('output', this.slot, sent.failure), 12, sent.failure.errno);
    }
    if (then === 'hold-policy')
      return this.hold(
        policy.onExitHoldReason ?? `The job attribute OnExitHold expression '${policy.onExitHold}' evaluated to TRUE`,
        3,
        policy.onExitHoldSubcode,
      );
    if (then === 'requeue') {
      await this.write({ code: 4, requeued: result.exit, bytesSent: sent.bytes, bytesReceived: p.received });
      return 'requeue'; // a fresh sandbox, a fresh start
    }
    const peakKb = result.child.peakRssKb();
    await this.write({
      code: 5,
      exit: result.exit,
      runRemote: result.child.cpuTimes?.() ?? undefined,
      bytesSent: sent.bytes,
      bytesReceived: p.received,
      totalBytesSent: this.totalSent,
      totalBytesReceived: this.totalReceived,
      resources: usageTable(proc, this.req, {
        peakKb,
        diskKb,
        wallSeconds: Math.round(this.wallMs / 1000),
        gpus: ctx.gpus,
      }),
    });
    // The job has left the queue: its spooled checkpoint goes with it, as the schedd's spool does.
    if (ctx.spool) await dropCheckpoint(ctx.spool);
    return 'completed';
  }
}

/**
 * What a checkpoint sends (file_transfer.cpp, the upload's FilesToSend): transfer_checkpoint_files;
 * without it, transfer_output_files (an output the job has not written yet then fails the
 * checkpoint, as on a pool); without either (null), every file the job made or changed.
 */
function checkpointList(proc: ProcSpec): string[] | null {
  const value = proc.expanded?.transfer_checkpoint_files;
  return value ? splitFileList(value) : proc.transferOutputFiles;
}

export function runProc(ctx: ProcContext): Promise<ProcEnd> {
  return new ProcRun(ctx).run();
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
