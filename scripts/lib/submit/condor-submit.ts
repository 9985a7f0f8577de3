// Running condor_submit itself. Once it has queued a job, nothing may lose track of it: Ctrl-C,
// a closed terminal or `kill` while it runs (and while the job record is written) are held back,
// and condor_submit runs in its own process group, so a terminal's Ctrl-C reaches only us and
// it always finishes: its output is read and the cluster recorded before the signal is acted
// on. Should it still stop early, or say nothing about the cluster, the job is found again by
// a unique attribute the submission carries (`+PixiCondorSubmitId`).
import { UserError } from '../errors.ts';
import { secretVariablesIn, workspaceSecrets } from '../secret-mask.ts';
import { lastLine, type Shell } from '../shell.ts';
import { parseSubmitOutput, submitFailureHint, type SubmittedCluster } from './submit-output.ts';

/** The job-ad attribute that tags one submission, so its cluster can be found without its output. */
export const SUBMIT_ID_ATTRIBUTE = 'PixiCondorSubmitId';

export function newSubmitId(): string {
  // node:crypto loaded here, not with the module: `submit --local` never tags a submission.
  return process.getBuiltinModule('node:crypto').randomUUID();
}

/** The `-append` line that tags the submission. */
export function submitIdLine(submitId: string): string {
  return `+${SUBMIT_ID_ATTRIBUTE} = "${submitId}"`;
}

/**
 * The submit file as an argument condor_submit reads as its command file. condor_submit takes
 * any argument starting with `-` as an option (an unknown one prints its usage and exits 1) and
 * any other argument containing `=` as a `name=value` definition; only what is left is the file
 * (src/condor_submit.V6/submit.cpp, main(): `if( ptr[0][0] == '-' )` ... `else if
 * (strchr(ptr[0],'='))` ... `else { cmd_file = *ptr; }`). `./-x.sub` is no longer an option;
 * a name with `=` goes after `-file`, which takes the next argument as the file whatever it is
 * (`is_dash_arg_prefix(ptr[0], "file", 2)` ... `cmd_file = *ptr;`).
 */
export function submitFileArgs(submitFile: string): string[] {
  const path = submitFile.startsWith('-') ? `./${submitFile}` : submitFile;
  return path.includes('=') ? ['-file', path] : [path];
}

/** The condor_submit command line: the file, the `-append` lines, the batch name. */
export function condorSubmitArgv(submitFile: string, appendLines: string[], batchName: string): string[] {
  return [
    'condor_submit',
    ...submitFileArgs(submitFile),
    ...appendLines.flatMap((line) => ['-append', line]),
    '-batch-name',
    batchName,
  ];
}

/** What condor_q says about a tagged submission. */
export type SubmissionLookup =
  | { state: 'found'; cluster: SubmittedCluster }
  /** condor_q answered: no proc with this tag is in the queue. */
  | { state: 'none' }
  /** condor_q could not be asked (not on PATH, schedd down). */
  | { state: 'unavailable'; reason: string };

/**
 * The cluster a tagged submission queued, from `condor_q -constraint ... -af ClusterId ProcId`
 * (one `C P` line per proc still queued).
 */
export async function lookupSubmission(shell: Shell, submitId: string, cwd: string): Promise<SubmissionLookup> {
  const argv = ['condor_q', '-constraint', `${SUBMIT_ID_ATTRIBUTE} == "${submitId}"`, '-af', 'ClusterId', 'ProcId'];
  let result: Awaited<ReturnType<Shell['run']>>;
  try {
    result = await shell.run(argv, { cwd, readOnly: true, nothrow: true, timeoutMs: 60_000, ownProcessGroup: true });
  } catch (error) {
    return { state: 'unavailable', reason: error instanceof Error ? error.message : String(error) };
  }
  if (result.exitCode !== 0)
    return { state: 'unavailable', reason: `condor_q exited ${result.exitCode}: ${lastLine(result.stderr)}` };
  const procs = new Map<number, number[]>();
  for (const line of result.stdout.split('\n')) {
    const m = /^(\d+)\s+(\d+)\s*$/.exec(line.trim());
    if (m) procs.set(Number(m[1]), [...(procs.get(Number(m[1])) ?? []), Number(m[2])]);
  }
  const [first] = procs;
  if (!first) return { state: 'none' };
  const [cluster, ids] = first;
  return { state: 'found', cluster: { cluster, firstProc: Math.min(...ids), count: ids.length } };
}

/** The cluster a tagged submission queued; null when none is queued or condor_q cannot be asked. */
export async function findSubmittedCluster(
  shell: Shell,
  submitId: string,
  cwd: string,
): Promise<SubmittedCluster | null> {
  const found = await lookupSubmission(shell, submitId, cwd);
  return found.state === 'found' ? found.cluster : null;
}

/**
 * The environment condor_submit runs in, less every secret (issue 18): `getenv` copies
 * condor_submit's own environment into the job ad (submit_utils.cpp:1820-1840, Env::Import),
 * where every user of the pool can read it with `condor_q -l`. Each secret variable is unset
 * (undefined: spawn leaves it out of the child's environment).
 */
async function condorSubmitEnvironment(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, undefined>> {
  return Object.fromEntries(secretVariablesIn(env, workspaceSecrets(root, env)).map((name) => [name, undefined]));
}

const DEFERRED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface DeferredSignals {
  /** The first signal that arrived, if any: act on it once the job is recorded. */
  readonly received: NodeJS.Signals | null;
  restore(): void;
}

/** Hold back SIGINT, SIGTERM and SIGHUP until restore(). */
export function deferSignals(): DeferredSignals {
  let received: NodeJS.Signals | null = null;
  const hold = (signal: NodeJS.Signals): void => void (received ??= signal);
  for (const signal of DEFERRED_SIGNALS) process.on(signal, hold);
  return {
    get received() {
      return received;
    },
    restore: () => {
      for (const signal of DEFERRED_SIGNALS) process.off(signal, hold);
    },
  };
}

/**
 * Run condor_submit; return the cluster it queued, or throw a UserError with its ERROR lines
 * and a hint. A run that may have queued a job without saying which says so.
 */
export async function runCondorSubmit(
  shell: Shell,
  argv: string[],
  cwd: string,
  submitId: string,
  signals: DeferredSignals,
  warn: (line: string) => void,
): Promise<SubmittedCluster> {
  const result = await shell.run(argv, {
    cwd,
    nothrow: true,
    timeoutMs: 300_000,
    ownProcessGroup: true,
    env: await condorSubmitEnvironment(cwd),
  });
  const output = parseSubmitOutput(result.stdout, result.stderr);
  for (const warning of output.warnings) warn(warning);
  const cluster = output.clusters[0];
  if (cluster) return cluster;
  const interrupted = signals.received;
  const lookup = `condor_q -constraint '${SUBMIT_ID_ATTRIBUTE} == "${submitId}"'`;

  const stopped = interrupted !== null || result.signal != null || result.exitCode >= 128;
  if (result.exitCode === 0 && !stopped) {
    if (output.noJobs) {
      throw new UserError(`condor_submit queued no jobs: ${output.noJobs}`, {
        hint: 'the queue statement expands to nothing: check `queue N` and its item list (`pixi run submit --dry-run` lists the procs)',
      });
    }
    // It says it succeeded but not where: ask the schedd for the submission's tag.
    const found = await findSubmittedCluster(shell, submitId, cwd);
    if (found) {
      warn(`condor_submit printed no cluster id; condor_q finds this submission as cluster ${found.cluster}`);
      return found;
    }
    throw new UserError(
      `condor_submit exited 0 but printed no cluster id (${lastLine(result.stdout) || 'no output'}), and \`${lookup}\` finds no job`,
      {
        hint: `if a job was queued and has already left the queue, \`condor_history -constraint '${SUBMIT_ID_ATTRIBUTE} == "${submitId}"'\` shows it`,
      },
    );
  }
  const message =
    output.errors.length > 0 ? output.errors.join(' ') : lastLine(result.stderr) || `exit ${result.exitCode}`;
  if (stopped) {
    const how = result.signal ?? interrupted ?? `exit ${result.exitCode}`;
    // Stopped part way, it may have queued the job before it could say so.
    const found = await findSubmittedCluster(shell, submitId, cwd);
    if (found) {
      warn(`condor_submit was stopped (${how}) after queueing the job: condor_q finds it as cluster ${found.cluster}`);
      return found;
    }
    throw new UserError(`condor_submit was stopped before it finished (${how}): ${message}`, {
      hint: `\`${lookup}\` finds no job from this submission in the queue, so most likely nothing was queued: run \`pixi run submit\` again (\`condor_history -constraint '${SUBMIT_ID_ATTRIBUTE} == "${submitId}"'\` shows one that already finished)`,
      exitCode: interrupted === 'SIGINT' ? 130 : 1,
    });
  }
  throw new UserError(`condor_submit failed: ${message}`, { hint: submitFailureHint(output.errors) });
}
