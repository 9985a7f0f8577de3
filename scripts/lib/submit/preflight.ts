// The checklist before submitting (peers.md §2.6.5): the workspace validates, the image
// record exists and was built from the current lock and Dockerfile, the image can be pulled
// without credentials, every input file is there, every proc has an event log to follow, the
// job record can be written, and condor_submit is on PATH. Every check runs (so the user sees
// all problems at once); none of them changes anything.
import { access, constants, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { Palette } from '../term.ts';
import { IMAGE_RECORD, type ImageRecord } from '../image-record.ts';
import { onPath } from '../shell.ts';
import { displayPath, STATE_DIR, type TemplateConfig } from '../workspace.ts';
import { validateWorkspace } from '../validate/index.ts';
import type { Finding } from '../validate/types.ts';
import { computeContentHash } from '../image/content-hash.ts';
import { localInputs, procRecord, type ProcSpec } from '../submit-language/submit-plan.ts';
import { JOBS_DIR } from '../jobs/job-store.ts';
import { UserError } from '../errors.ts';
import { makePublicHint, probeAnonymousPull, type AnonymousPullProbe } from './anonymous-pull.ts';
import { fileProblem } from './file-problem.ts';
import { jobsFolderProblem } from './pending-submission.ts';

export interface CheckResult {
  title: string;
  status: 'ok' | 'fail' | 'warn';
  /** What was found (shown after the title). */
  detail?: string;
  hint?: string;
}

export interface PreflightInput {
  root: string;
  config: TemplateConfig;
  record: ImageRecord | null;
  procs: ProcSpec[];
  env?: NodeJS.ProcessEnv;
  /** A dry run writes nothing, not even validate's cache. */
  dryRun?: boolean;
  /** Asks whether an image can be pulled without credentials (default: an anonymous manifest HEAD). */
  pullProbe?: AnonymousPullProbe;
  /** `submit --local`: no condor_submit is run, so none is looked for on PATH. */
  local?: boolean;
}

async function checkValidate(root: string, dryRun: boolean): Promise<CheckResult> {
  const title = 'workspace validates (pixi run validate)';
  const report = await validateWorkspace({ root, saveCache: !dryRun });
  const hint = 'run `pixi run validate` to see every problem and how to fix it';
  const firstOf = (findings: Finding[], kind: string): string => {
    const first = findings[0]!;
    return `${findings.length} ${kind}(s); first: ${first.file}${first.line ? `:${first.line}` : ''}: ${first.message}`;
  };
  if (!report.ok) return { title, status: 'fail', detail: firstOf(report.errors, 'error'), hint };
  if (report.warnings.length > 0)
    return {
      title,
      status: 'warn',
      detail: firstOf(report.warnings, 'warning'),
      hint: hint.replace('problem', 'warning'),
    };
  return { title, status: 'ok' };
}

/**
 * The inputs whose digest differs from the record's (changed, added or gone), by the paths the
 * content hash keys them with: the Dockerfile and the context files it copies.
 */
export function changedInputs(current: Record<string, string>, recorded: Record<string, string>): string[] {
  const norm = (digest: string): string => digest.replace(/^sha256:/, '');
  const changed: string[] = [];
  for (const file of [...new Set([...Object.keys(current), ...Object.keys(recorded)])].sort()) {
    const now = current[file];
    const then = recorded[file];
    if (then === undefined) changed.push(`${file} (new)`);
    else if (now === undefined) changed.push(`${file} (gone)`);
    else if (norm(then) !== norm(now)) changed.push(file);
  }
  return changed;
}

/**
 * Whether the recorded image was built from the workspace as it is now: the content hash of
 * its inputs, recomputed with the build args build-image was given on its command line.
 */
async function checkImageCurrent(root: string, config: TemplateConfig, record: ImageRecord): Promise<CheckResult> {
  const title = 'image built from the current lock and Dockerfile';
  // Older records carry no overrides: none were recorded, so none are applied.
  const built = record.buildArgOverrides
    ? { ...config, buildArgs: { ...config.buildArgs, ...record.buildArgOverrides } }
    : config;
  let current: Awaited<ReturnType<typeof computeContentHash>>;
  try {
    current = await computeContentHash(root, built);
  } catch (error) {
    // An input that cannot be read (an unreadable pixi.lock): name it, never a stack trace.
    const problem = fileProblem(error, root);
    if (!problem) throw error;
    return { title, status: 'fail', detail: `cannot read ${problem.file}: ${problem.reason}`, hint: problem.hint };
  }
  if (current.hash === record.contentHash) return { title, status: 'ok', detail: record.contentTag };
  let what: string;
  if (record.inputDigests) {
    const changed = changedInputs(current.digests, record.inputDigests);
    what =
      changed.length === 0
        ? 'the build args or platform changed since'
        : `${changed.slice(0, 3).join(', ')}${changed.length > 3 ? ` (+${changed.length - 3})` : ''} changed since`;
  } else {
    what = `${config.dockerfile}, its build args or one of the ${current.files.length} file(s) it copies changed since`;
  }
  const overrides =
    record.buildArgOverrides && Object.keys(record.buildArgOverrides).length > 0
      ? ` ${Object.entries(record.buildArgOverrides)
          .map(([k, v]) => `--build-arg ${k}=${v}`)
          .join(' ')}`
      : '';
  return {
    title,
    status: 'fail',
    detail: `${IMAGE_RECORD} records ${record.contentTag}, but ${what}`,
    hint: `run \`pixi run build-image${overrides}\``,
  };
}

async function checkInputs(root: string, procs: ProcSpec[]): Promise<CheckResult> {
  const title = 'input files present';
  const wanted = localInputs({ procs });
  const missing: string[] = [];
  for (const { path } of wanted) {
    try {
      await stat(path);
    } catch {
      missing.push(displayPath(root, path));
    }
  }
  if (missing.length === 0) return { title, status: 'ok', detail: `${wanted.length} file(s)` };
  const hint = missing.some((m) => m.endsWith('MNIST_data.tar.gz'))
    ? 'run `pixi run prepare-data` to make MNIST_data.tar.gz'
    : 'create them, or fix executable / transfer_input_files / input in the submit file';
  return {
    title,
    status: 'fail',
    detail: `missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (+${missing.length - 5})` : ''}`,
    hint,
  };
}

async function checkExecutableBit(procs: ProcSpec[], root: string): Promise<CheckResult | null> {
  const exe = procs[0]?.transferExecutable ? procs[0].executable : null;
  if (!exe || !isAbsolute(exe)) return null;
  try {
    await access(exe, constants.X_OK);
    return null;
  } catch {
    try {
      await stat(exe);
    } catch {
      return null; // reported as missing above
    }
    return {
      title: 'executable is executable',
      status: 'fail',
      detail: displayPath(root, exe),
      hint: `run \`chmod +x ${displayPath(root, exe)}\` and commit it`,
    };
  }
}

/** The job record must be writable: a job queued without one could not be followed. */
async function checkJobsFolder(root: string, procs: ProcSpec[]): Promise<CheckResult> {
  const title = `job record can be written (${JOBS_DIR})`;
  // About the size of the record: its procs, plus the rest of it.
  const bytes = Buffer.byteLength(JSON.stringify(procs.map(procRecord), null, 2)) + 2048;
  const problem = await jobsFolderProblem(root, bytes);
  if (!problem) return { title, status: 'ok' };
  return {
    title,
    status: 'fail',
    detail: problem,
    hint: `free some space or make ${STATE_DIR} writable: a job whose record cannot be written could not be followed`,
  };
}

async function checkAnonymousPull(
  reference: string,
  probe: AnonymousPullProbe,
  title = 'image can be pulled without credentials',
): Promise<CheckResult> {
  const answer = await probe(reference);
  if (answer.state === 'pullable') return { title, status: 'ok' };
  if (answer.state === 'not-pullable')
    return { title, status: 'fail', detail: answer.reason, hint: makePublicHint(reference) };
  return {
    title,
    status: 'warn',
    detail: `could not ask the registry (${answer.reason})`,
    hint: `execute points pull the image without credentials; if it is private, ${makePublicHint(reference).replace(/; execute points.*$/, '')}`,
  };
}

export async function runPreflight(input: PreflightInput): Promise<CheckResult[]> {
  const { root, config, record, procs } = input;
  // The registry is asked first and answers while the local checks run.
  // An Apptainer job pulls the pinned SIF artifact (an oras:// manifest), not the Docker image.
  const sif = procs.find((p) => /^oras:\/\//.test(p.containerImage ?? ''))?.containerImage?.slice('oras://'.length);
  const pull = record
    ? checkAnonymousPull(
        sif ?? record.reference,
        input.pullProbe ?? probeAnonymousPull,
        sif ? 'SIF can be pulled without credentials' : undefined,
      )
    : null;
  pull?.catch(() => {});
  // The checks that wait on files run while validate computes; the results keep their order.
  const validated = checkValidate(root, input.dryRun ?? false);
  const inputs = checkInputs(root, procs);
  const exeBitCheck = checkExecutableBit(procs, root);
  const jobsFolder = checkJobsFolder(root, procs);
  const onPathCheck = input.local ? null : onPath('condor_submit', input.env);
  for (const p of [validated, inputs, exeBitCheck, jobsFolder, onPathCheck]) p?.catch(() => {}); // each is awaited below
  const results: CheckResult[] = [await validated];
  if (!record) {
    results.push({
      title: `image record ${IMAGE_RECORD}`,
      status: 'fail',
      detail: 'not found',
      hint: `on the access point, run \`pixi run build-image\` (with unchanged inputs it only looks up the registry and writes the record; ${STATE_DIR} is not in git)`,
    });
  } else {
    // The full digest is in the condor_submit command below; a prefix identifies it here.
    results.push({
      title: `image record ${IMAGE_RECORD}`,
      status: 'ok',
      detail: record.reference.replace(/(@sha256:[0-9a-f]{12})[0-9a-f]+$/, '$1…'),
    });
    results.push(await checkImageCurrent(root, config, record));
    if (pull) results.push(await pull);
  }
  results.push(await inputs);
  const exeBit = await exeBitCheck;
  if (exeBit) results.push(exeBit);
  const noLog = procs.filter((p) => !p.log);
  results.push(
    noLog.length === 0
      ? { title: 'every proc has an event log', status: 'ok' }
      : {
          title: 'every proc has an event log',
          status: 'fail',
          detail: `no \`log =\` for proc ${noLog[0]!.proc}`,
          hint: 'add `log = job_$(Cluster)_$(Process).log` to the submit file: the job is followed through it',
        },
  );
  results.push(await jobsFolder);
  if (!onPathCheck) return results;
  const submitPath = await onPathCheck;
  results.push(
    submitPath
      ? { title: 'condor_submit on PATH', status: 'ok', detail: submitPath }
      : {
          title: 'condor_submit on PATH',
          status: 'fail',
          detail: 'not found',
          hint: 'run this on an HTCondor access point (where `condor_q` works), or run the job on this machine with `pixi run submit --local`',
        },
  );
  return results;
}

export function formatChecklist(results: CheckResult[], paint: Palette): string[] {
  const lines = [paint.bold('preflight')];
  for (const r of results) {
    const mark = r.status === 'ok' ? paint.green('✓') : r.status === 'warn' ? paint.yellow('!') : paint.red('✗');
    lines.push(`  ${mark} ${r.title}${r.detail ? paint.dim(` — ${r.detail}`) : ''}`);
    if (r.hint && r.status !== 'ok') lines.push(`      ${paint.dim('hint:')} ${r.hint}`);
  }
  return lines;
}

/**
 * Every failed check in one error: each title with what was found, and each fix (the
 * checklist above it shows them one per line; this is the summary a log or a script keeps).
 */
export function preflightFailure(failed: CheckResult[]): UserError {
  const what = failed.map((c) => `${c.title}${c.detail ? ` (${c.detail})` : ''}`).join('; ');
  const hints = [...new Set(failed.map((c) => c.hint).filter((h): h is string => Boolean(h)))];
  return new UserError(
    `preflight failed: ${failed.length === 1 ? '1 check' : `${failed.length} checks`}: ${what}`,
    hints.length > 0 ? { hint: hints.join('; ') } : {},
  );
}
