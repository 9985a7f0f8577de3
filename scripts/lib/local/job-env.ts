// The job's environment, as the starter builds it (htcondor-jdl `environment`/`getenv`;
// starter.cpp Starter::PublishToEnv): `getenv` copies the submitter's variables, `environment`
// sets its own over them, then HTCondor's: _CONDOR_SCRATCH_DIR, _CONDOR_JOB_AD,
// _CONDOR_MACHINE_AD, _CONDOR_SLOT, _CONDOR_JOB_IWD, BATCH_SYSTEM, TMPDIR/TEMP/TMP and the
// thread-count variables (STARTER_NUM_THREADS_ENV_VARS) set to the request's CPUs.

import { isSecretVariable, type SecretEnvironment, workspaceSecrets } from '../secret-mask.ts';
import { getenvMatcher } from '../submit-language/getenv.ts';
import { findWorkspaceRoot } from '../workspace.ts';

export class EnvironmentError extends Error {}

/**
 * `environment = "A=1 B='two words'"` (new syntax: double-quoted, space separated, single
 * quotes group, '' is a literal ') or `A=1;B=2` (old syntax).
 */
export function parseEnvironment(value: string | undefined): Map<string, string> {
  const env = new Map<string, string>();
  if (!value?.trim()) return env;
  const text = value.trim();
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2)
      throw new EnvironmentError('environment: the opening double quote is not closed');
    const inner = text.slice(1, -1).replace(/""/g, '"');
    let i = 0;
    while (i < inner.length) {
      while (i < inner.length && /\s/.test(inner[i]!)) i++;
      if (i >= inner.length) break;
      let word = '';
      while (i < inner.length && !/\s/.test(inner[i]!)) {
        if (inner[i] === "'") {
          i++;
          for (;;) {
            if (i >= inner.length) throw new EnvironmentError('environment: unbalanced single quote');
            if (inner[i] === "'") {
              if (inner[i + 1] === "'") {
                word += "'";
                i += 2;
                continue;
              }
              i++;
              break;
            }
            word += inner[i++];
          }
        } else word += inner[i++];
      }
      add(env, word);
    }
    return env;
  }
  for (const part of text.split(';')) if (part.trim()) add(env, part.trim());
  return env;
}

function add(env: Map<string, string>, word: string): void {
  const eq = word.indexOf('=');
  if (eq <= 0) throw new EnvironmentError(`environment: '${word}' is not NAME=VALUE`);
  env.set(word.slice(0, eq), word.slice(eq + 1));
}

/**
 * `getenv = true` (everything), false, or a list of names and globs (`getenv = PATH, CUDA*`,
 * `!NAME` to keep one out), less every secret (issue 18): a pool would copy them into the job
 * ad, readable by every user of the pool (`condor_q -l`); a local job never gets them.
 */
export function inheritedEnvironment(
  getenv: string | undefined,
  from: NodeJS.ProcessEnv,
  given?: SecretEnvironment,
): Map<string, string> {
  const out = new Map<string, string>();
  const copied = getenvMatcher(getenv);
  if (!copied) return out;
  const secrets = given ?? defaultSecrets(from);
  for (const [name, v] of Object.entries(from)) {
    if (v === undefined || !copied(name) || isSecretVariable(secrets, name, v)) continue;
    out.set(name, v);
  }
  return out;
}

/**
 * The secrets of the workspace this process runs for (pixi's PIXI_PROJECT_ROOT, else the folder
 * it runs in): the submitter's tokens and the keys of its `.env`.
 */
function defaultSecrets(env: NodeJS.ProcessEnv): SecretEnvironment {
  let root: string | null = null;
  try {
    root = findWorkspaceRoot(process.cwd(), env);
  } catch {
    // not inside a workspace: the tokens alone
  }
  return workspaceSecrets(root, env);
}

const THREAD_VARIABLES = [
  'CUBACORES',
  'GOMAXPROCS',
  'JULIA_NUM_THREADS',
  'MKL_NUM_THREADS',
  'NUMEXPR_NUM_THREADS',
  'OMP_NUM_THREADS',
  'OMP_THREAD_LIMIT',
  'OPENBLAS_NUM_THREADS',
  'PYTHON_CPU_COUNT',
  'ROOT_MAX_THREADS',
  'TF_LOOP_PARALLEL_ITERATIONS',
  'TF_NUM_THREADS',
];

export interface JobEnvInput {
  getenv: string | undefined;
  environment: string | undefined;
  submitEnv: NodeJS.ProcessEnv;
  /** The sandbox as the job sees it. */
  scratchDir: string;
  slot: string;
  /** Where the job runs (_CONDOR_JOB_IWD): the sandbox, or initialdir without file transfer. */
  iwd: string;
  cpus: number;
  /** UUIDs (GPU-…) of the GPUs the job may use, as CUDA_VISIBLE_DEVICES names them; empty for none. */
  gpus: string[];
  allowCpu: boolean;
  /** What getenv never passes (default: the submitter's tokens and the workspace's .env keys). */
  secrets?: SecretEnvironment;
}

export function jobEnvironment(input: JobEnvInput): Map<string, string> {
  const env = inheritedEnvironment(input.getenv, input.submitEnv, input.secrets);
  for (const [k, v] of parseEnvironment(input.environment)) env.set(k, v);
  const scratch = input.scratchDir;
  env.set('_CONDOR_SCRATCH_DIR', scratch);
  env.set('_CONDOR_SLOT', input.slot);
  env.set('_CONDOR_JOB_AD', `${scratch}/.job.ad`);
  env.set('_CONDOR_MACHINE_AD', `${scratch}/.machine.ad`);
  env.set('_CONDOR_JOB_IWD', input.iwd);
  env.set('BATCH_SYSTEM', 'HTCondor');
  for (const name of ['TMPDIR', 'TEMP', 'TMP']) env.set(name, scratch);
  for (const name of THREAD_VARIABLES) if (!env.has(name)) env.set(name, String(input.cpus));
  if (input.gpus.length > 0) {
    env.set('CUDA_VISIBLE_DEVICES', input.gpus.join(','));
    env.set('_CONDOR_AssignedGPUs', input.gpus.join(','));
  }
  if (input.allowCpu) env.set('PIXI_CONDOR_ALLOW_CPU', '1');
  return env;
}
