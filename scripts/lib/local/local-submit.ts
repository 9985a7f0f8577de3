// `pixi run submit --local`: the submit file run on this machine as HTCondor would run it. The
// same reader, planner and preflight as a pool submit (less condor_submit on PATH), then the job
// handed to a detached runner process that owns it (as a schedd does) and writes the real event
// log, while this process only watches: the same live view, summary and exit code, and Ctrl-C
// stops the watching, never the job. --dry-run prints the docker/host commands.
import { submitEnvironment } from '../secret-mask.ts';
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeJobRecord, jobRecordPath, type JobRecord } from '../jobs/job-store.ts';
import { UsageError, UserError } from '../errors.ts';
import type { ImageRecord } from '../image-record.ts';
import { Shell, shellQuote } from '../shell.ts';
import type { Statement } from '../submit-language/submit-file.ts';
import { planSubmit, procRecord, truthy, type ProcSpec } from '../submit-language/submit-plan.ts';
import type { CheckResult } from '../submit/preflight.ts';
import { displayPath } from '../workspace.ts';
import { claimLocalCluster } from './cluster-counter.ts';
import { containerNetwork, dockerImageName, dockerRunArgv } from './container-run.ts';
import { APPTAINER_PREFIX, apptainerArgv, apptainerOnPath, isApptainerImage } from './apptainer-run.ts';
import { visibleGpus } from './gpus.ts';
import { hostArgv } from './host-run.ts';
import { watchLocal } from './local-watch.ts';
import { PolicyError, readPolicy, type ExitPolicy } from './policy.ts';
import { requests } from './proc-lifecycle.ts';
import { bootId } from './process-family.ts';
import { type RunSpec, writeRunSpec } from './run-files.ts';
import { startRunner, type StartingRunner } from './runner-process.ts';
import { EnvironmentError, jobEnvironment, parseEnvironment } from './job-env.ts';

/** Commands the runner reads beyond what the planner models. */
export const LOCAL_COMMANDS = [
  'environment',
  'getenv',
  'transfer_output_remaps',
  'transfer_checkpoint_files',
  'checkpoint_exit_code',
  'on_exit_remove',
  'on_exit_hold',
  'on_exit_hold_reason',
  'on_exit_hold_subcode',
  'max_retries',
  'success_exit_code',
  'docker_network_type',
  'preserve_relative_paths',
] as const;

export interface LocalSubmitInput {
  root: string;
  submitFile: string;
  statements: Statement[];
  append: string[];
  defines: Record<string, string>;
  batchName: string;
  record: ImageRecord | null;
  gitRevision: () => Promise<string | null>;
  preflight: (procs: ProcSpec[]) => Promise<CheckResult[]>;
  formatChecklist: (checks: CheckResult[]) => string[];
  allowCpu: boolean;
  jobs: number | null;
  dryRun: boolean;
  json: boolean;
  intervalMs: number;
  /** Hand the job to its runner and return: `status` follows it. */
  noWait?: boolean;
  /** The command line, for the record. */
  argv: string[];
  say: (line?: string) => void;
  printJson: (doc: unknown) => void;
  /** A warning line (the planner's, as submit shows them). */
  warn: (line: string) => void;
  /** More fields for the job record (`resubmit --local`: resubmitOf and the first run's image). */
  recordExtra?: Partial<JobRecord>;
  /** The runner, when the caller started it earlier still (null with --dry-run); else started here. */
  runner?: StartingRunner | null;
}

/**
 * Pool-only checks a local run does without: condor_submit, the anonymous pull execute points
 * make, and an image record when no proc needs it.
 */
export function localChecks(checks: CheckResult[], procs: ProcSpec[], record: ImageRecord | null): CheckResult[] {
  const needsRecord = procs.some(
    (p) => (p.universe === 'container' || p.universe === 'docker') && !p.containerImage && !p.classAd.DockerImage,
  );
  return checks.filter((c) => {
    if (c.title === 'condor_submit on PATH' || c.title === 'image can be pulled without credentials') return false;
    if (!record && !needsRecord && c.title.startsWith('image record')) return false;
    return true;
  });
}

/**
 * Does this proc run in a container? As a pool decides it: condor_submit makes a vanilla job that
 * names an image a container job (WantContainer; SetUniverse, submit_utils.cpp:4590-4715).
 */
export function runsInContainer(proc: ProcSpec): boolean {
  return proc.universe !== 'vanilla' || proc.classAd.WantContainer === 'true';
}

function imageOf(proc: ProcSpec): string | null {
  if (!runsInContainer(proc)) return null;
  const raw = proc.containerImage ?? proc.classAd.DockerImage?.replace(/^"(.*)"$/, '$1') ?? null;
  if (!raw)
    throw new UserError(`proc ${proc.proc} is a ${proc.universe} universe job without an image`, {
      hint: 'run `pixi run build-image` (submit pins the image it records), or set container_image in the submit file',
    });
  const name = dockerImageName(raw);
  if (!name && isApptainerImage(raw) && apptainerOnPath()) return `${APPTAINER_PREFIX}${raw}`;
  if (!name)
    throw new UserError(`container_image = ${raw}: a local run needs a Docker image (docker://...)`, {
      hint: 'Apptainer images (.sif) and sandbox directories run only on a pool',
    });
  return name;
}

/** What a run needs beyond the plan, worked out before anything starts. */
interface RunSetup extends Pick<RunSpec, 'images' | 'policies' | 'jobs' | 'gpus' | 'gpusPerProc' | 'runId'> {
  imageProblem: UserError | null;
  networkFor: (proc: ProcSpec) => string | null;
}

function planFor(input: LocalSubmitInput, cluster: number | null) {
  return planSubmit(input.statements, {
    submitFile: input.submitFile,
    cwd: input.root,
    ...submitEnvironment(input.root),
    cluster,
    append: input.append,
    defines: input.defines,
    batchName: input.batchName,
    expand: [...LOCAL_COMMANDS],
  });
}

/**
 * `submit --local`: check, plan, hand the job to a detached runner (runner-process.ts), then
 * watch it as a pool job is watched: Ctrl-C stops the watching, never the job.
 */
export async function runLocalSubmit(input: LocalSubmitInput): Promise<number> {
  // The runner starts now (unless the caller did) and waits for its job: its start-up overlaps the checks below.
  const runner = input.dryRun ? null : input.runner === undefined ? startRunner(input.root) : input.runner;
  try {
    return await checkAndHandOff(input, runner);
  } finally {
    runner?.release(); // a no-op once the job was handed over
  }
}

async function checkAndHandOff(input: LocalSubmitInput, runner: StartingRunner | null): Promise<number> {
  const previewPlan = planFor(input, null);
  // What condor_submit would warn about, and the file's own `warning :` lines.
  for (const w of previewPlan.warnings)
    input.warn(`${w.file}${w.line === undefined ? '' : `:${w.line}`}: warning: ${w.message}`);
  const preview = previewPlan.procs;
  if (previewPlan.universe === 'scheduler')
    throw new UserError(
      `${input.submitFile}: universe = scheduler runs the job on the access point's schedd (as DAGMan does); submit --local cannot run it`,
      {
        hint: 'submit it on the access point with `pixi run submit`, or use universe = vanilla to try the job here',
        exitCode: 2,
      },
    );
  // git is asked while the preflight runs: a run that exits at once notices every spawn.
  const gitRevision = input.dryRun ? Promise.resolve(null) : input.gitRevision().catch(() => null);
  // The engine is asked for its networks while the preflight runs, too.
  const network = preview.some((p) => p.universe !== 'vanilla')
    ? containerNetwork(new Shell({ dryRun: input.dryRun }))
    : null;
  network?.catch(() => {}); // awaited in setUpRun, unless a check refuses the run first
  const checks = localChecks(await input.preflight(preview), preview, input.record);
  for (const line of input.formatChecklist(checks)) input.say(line);
  const failed = checks.filter((c) => c.status === 'fail');
  const setup = await setUpRun(input, preview, network);
  if (input.dryRun || !runner) return printDryRun(input, preview, setup, checks);
  if (failed.length > 0) {
    const first = failed[0]!;
    throw new UserError(`preflight failed: ${first.title}${first.detail ? ` (${first.detail})` : ''}`, {
      hint: first.hint,
    });
  }
  if (setup.imageProblem) throw setup.imageProblem;
  const record = await handOff(input, setup, await gitRevision, runner);
  if (input.noWait) {
    if (input.json) input.printJson({ cluster: record.cluster, local: true, watching: false });
    input.say(
      `follow it with \`pixi run status ${record.cluster}\`; remove it with \`pixi run cancel ${record.cluster}\``,
    );
    return 0;
  }
  return watchLocal({ root: input.root, record, json: input.json, intervalMs: input.intervalMs });
}

/** Everything that could refuse the run, before it starts: images, policies, GPUs, the network. */
async function setUpRun(
  input: LocalSubmitInput,
  preview: ProcSpec[],
  networkProbe: Promise<string | null> | null,
): Promise<RunSetup> {
  // A missing image is reported after the checklist (which usually says why: no image record),
  // and a dry run still shows the rest.
  let imageProblem: UserError | null = null;
  const images = preview.map((proc) => {
    try {
      return imageOf(proc);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      imageProblem ??= error;
      return 'IMAGE';
    }
  });
  // HTCondor keeps each input's and output's relative path with it (file_transfer.cpp); a local
  // run places them flat, so the job would look for data/a.txt where a pool puts it and fail.
  if (preview.some((p) => truthy(p.expanded?.preserve_relative_paths)))
    throw new UserError(`${input.submitFile}: preserve_relative_paths = true is not reproduced by a local run`, {
      hint: 'a local run places inputs and outputs by their base names: remove it to run here, or submit to a pool',
      exitCode: 2,
    });
  let policies: ExitPolicy[];
  try {
    policies = preview.map((p) => readPolicy(p.expanded ?? {}));
    for (const p of preview) parseEnvironment(p.expanded?.environment);
  } catch (error) {
    if (error instanceof PolicyError || error instanceof EnvironmentError)
      throw new UserError(`${input.submitFile}: ${error.message}`, {
        hint: 'a local run judges on_exit_remove/on_exit_hold from the exit code and signal only',
        exitCode: 2,
      });
    throw error;
  }
  const shell = new Shell({ dryRun: input.dryRun });
  const gpusPerProc = Math.max(...preview.map((p) => requests(p).gpus));
  const gpus = gpusPerProc > 0 ? await visibleGpus(shell) : [];
  if (gpusPerProc > 0 && gpus.length < gpusPerProc && !input.allowCpu) {
    throw new UserError(
      `the job asks for ${gpusPerProc} GPU(s) (request_gpus) and ${gpus.length === 0 ? 'no GPU is visible here (nvidia-smi lists none)' : `only ${gpus.length} is visible here`}; nothing was started`,
      { hint: 'run it on a GPU machine, or add --allow-cpu to run it without (the job gets PIXI_CONDOR_ALLOW_CPU=1)' },
    );
  }
  const usableGpus = gpus.length >= gpusPerProc ? gpus : [];
  // With GPUs, as many procs at a time as the GPUs fit (each gets its own); never more.
  const fit =
    gpusPerProc > 0 && usableGpus.length > 0 ? Math.max(1, Math.floor(usableGpus.length / gpusPerProc)) : null;
  let jobs = input.jobs ?? fit ?? 1;
  if (fit !== null && jobs > fit) {
    process.stderr.write(
      `note: --jobs ${jobs}: ${fit} proc(s) at a time fit the ${usableGpus.length} GPU(s) here (request_gpus = ${gpusPerProc})\n`,
    );
    jobs = fit;
  }
  const network = images.some((i) => i !== null) ? await (networkProbe ?? containerNetwork(shell)) : null;
  const networkFor = (proc: ProcSpec): string | null => proc.expanded?.docker_network_type?.trim() || network;
  const runId = runIdBytes().toString('hex');
  return { images, imageProblem, policies, jobs, gpus: usableGpus, gpusPerProc, networkFor, runId };
}

/** --dry-run: the docker/host command of every proc; nothing runs. */
function printDryRun(input: LocalSubmitInput, preview: ProcSpec[], setup: RunSetup, checks: CheckResult[]): number {
  const { say, root } = input;
  const failed = checks.filter((c) => c.status === 'fail');
  say();
  say(
    `commands (${preview.length} proc${preview.length === 1 ? '' : 's'}, ${setup.jobs} at a time; SANDBOX is a fresh scratch folder per proc)`,
  );
  const gpus = setup.gpus.slice(0, setup.gpusPerProc);
  for (const [i, proc] of preview.entries()) {
    const exe = proc.executable
      ? proc.transferExecutable
        ? `SANDBOX/${proc.executable.split('/').pop()}`
        : proc.executable
      : '?';
    const argv = setup.images[i]
      ? dockerRunArgv({
          image: setup.images[i]!,
          name: `pixi-condor-${setup.runId}-CLUSTER.${proc.proc}-1`,
          runId: setup.runId,
          jobId: `CLUSTER.${proc.proc}`,
          executable: exe,
          args: proc.arguments,
          sandbox: 'SANDBOX',
          workdir: proc.classAd.ShouldTransferFiles === '"NO"' ? proc.iwd : 'SANDBOX',
          // The names only: docker reads each value from its own environment, so none is printed.
          env: jobEnvironment({
            getenv: proc.expanded?.getenv,
            environment: proc.expanded?.environment,
            submitEnv: process.env,
            scratchDir: 'SANDBOX',
            slot: 'slot1_1',
            iwd: 'SANDBOX',
            cpus: requests(proc).cpus,
            gpus,
            allowCpu: input.allowCpu,
          }),
          user: `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
          memoryMb: proc.classAd.RequestMemory ? requests(proc).memoryMb : null,
          cpus: proc.classAd.RequestCpus ? requests(proc).cpus : null,
          gpus,
          network: setup.networkFor(proc),
          stdoutPath: null,
          stderrPath: null,
          append: false,
        })
      : hostArgv({ executable: exe, args: proc.arguments });
    const shown = setup.images[i]?.startsWith(APPTAINER_PREFIX)
      ? apptainerArgv({
          image: setup.images[i]!.slice(APPTAINER_PREFIX.length),
          executable: exe,
          args: proc.arguments,
          sandbox: 'SANDBOX',
          workdir: 'SANDBOX',
          gpus,
        })
      : argv;
    say(`  proc ${proc.proc}: ${shown.map(shellQuote).join(' ')}`);
    if (proc.transferInputFiles.length > 0) say(`    inputs  ${proc.transferInputFiles.join(', ')}`);
    if (proc.transferOutputFiles) say(`    outputs ${proc.transferOutputFiles.join(', ') || '(none)'}`);
    if (proc.log) say(`    log     ${displayPath(root, proc.log)}`);
  }
  say();
  say(
    failed.length === 0
      ? 'dry run: nothing was run'
      : `dry run: nothing was run; ${failed.length} check(s) would stop a real run`,
  );
  if (input.json) input.printJson({ dryRun: true, local: true, checks, procs: preview.map(procRecord) });
  return failed.length === 0 ? 0 : 1;
}

/**
 * Claim a cluster id, write the run's spec, start its runner (detached), then the job record
 * naming that runner by pid and start time: from here on the runner owns the job.
 */
async function handOff(
  input: LocalSubmitInput,
  setup: RunSetup,
  gitRevision: string | null,
  runner: StartingRunner,
): Promise<JobRecord> {
  const { root } = input;
  const cluster = await claimLocalCluster(root);
  const procs = planFor(input, cluster).procs;
  const resubmitOf = input.recordExtra?.resubmitOf;
  // Absolute and clean, as run-files.ts checks it (a relative TMPDIR resolved here).
  const scratch = await mkdtemp(join(resolve(tmpdir()), `pixi-condor-${setup.runId}-`));
  await writeRunSpec(root, {
    cluster,
    procs,
    images: setup.images,
    policies: setup.policies,
    jobs: setup.jobs,
    gpus: setup.gpus,
    gpusPerProc: setup.gpusPerProc,
    allowCpu: input.allowCpu,
    network: procs.length > 0 ? setup.networkFor(procs[0]!) : null,
    runId: setup.runId,
    // A resubmitted row's checkpoint is the one its first run spooled.
    spoolKeys: procs.map((p, i) =>
      resubmitOf ? `${resubmitOf.cluster}.${resubmitOf.procs[i] ?? p.proc}` : `${cluster}.${p.proc}`,
    ),
    scratch,
  });
  const record: JobRecord = {
    version: 1,
    cluster,
    submitFile: input.submitFile,
    batchName: input.batchName,
    submittedAt: new Date().toISOString(),
    image: input.record ? { reference: input.record.reference, digest: input.record.digest } : null,
    gitRevision,
    command: input.argv,
    procs: procs.map(procRecord),
    local: { pid: runner.pid, startTime: runner.startTime, bootId: bootId(), host: hostname(), runId: setup.runId },
    ...input.recordExtra,
  };
  await writeJobRecord(root, record);
  runner.hand(cluster);
  input.say(
    `running job ${cluster} here (${procs.length} proc${procs.length === 1 ? '' : 's'}, ${setup.jobs} at a time${setup.gpusPerProc > 0 && setup.gpus.length === 0 ? ', no GPU: --allow-cpu' : ''}), recorded in ${displayPath(root, jobRecordPath(root, cluster))}; Ctrl-C stops watching, never the job`,
  );
  input.say();
  return record;
}

/**
 * Six random bytes naming the run (its containers' label, its scratch folder): from
 * /dev/urandom, which spares a run that starts at once the load of node:crypto (~8 ms);
 * node:crypto where there is none.
 */
function runIdBytes(): Buffer {
  const bytes = Buffer.alloc(6);
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      if (readSync(fd, bytes, 0, 6, null) === 6) return bytes;
    } finally {
      closeSync(fd);
    }
  } catch {
    // no /dev/urandom here
  }
  return process.getBuiltinModule('node:crypto').randomBytes(6);
}

/** `--jobs N`: a whole number ≥ 1. */
export function parseJobs(text: string | undefined): number | null {
  if (text === undefined) return null;
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new UsageError(`--jobs '${text}' is not a whole number of at least 1`);
  return Number(text);
}
