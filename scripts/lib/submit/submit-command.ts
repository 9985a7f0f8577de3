// `pixi run submit`: preflight, condor_submit with the image pinned by digest, the job record,
// then follow the job to its end (unless --no-wait). --dry-run shows the checklist, the exact
// command and every proc's files, and submits nothing.
import { hostname } from 'node:os';
import { basename, relative, resolve } from 'node:path';
import { booleanOption, stringOption, type CommandSpec, type ParsedCommand } from '../cli.ts';
import { UsageError, UserError } from '../errors.ts';
import { gitInfo } from '../git.ts';
import { pinnedImageLine } from './image-pin.ts';
import { localImageLine } from './local-sif.ts';
import { readImageRecord } from '../image-record.ts';
import { queueProbe } from '../jobs/queue-probe.ts';
import { Shell, shellQuote } from '../shell.ts';
import { palette, colourEnabled } from '../term.ts';
import { displayPath, findWorkspaceRoot, readManifest, STATE_DIR, templateConfig } from '../workspace.ts';
import { jobRecordPath, recordLogs, type JobRecord } from '../jobs/job-store.ts';
import { formatChecklist, preflightFailure, runPreflight } from './preflight.ts';
import { WATCH_OPTIONS, watchSettings } from '../jobs/status-command.ts';
import { condorSubmitArgv, deferSignals, newSubmitId, runCondorSubmit, submitIdLine } from './condor-submit.ts';
import { asFileError } from './file-problem.ts';
import { removePendingSubmission, writePendingSubmission } from './pending-submission.ts';
import { procsOfCluster, writeClusterRecord, type JobDraft } from './record-job.ts';
import { secretEnvironment, secretMask, type SecretMask } from '../secret-mask.ts';
import { getenvSecretMessage, getenvSecrets } from '../submit-language/getenv.ts';
import { resolveSubmitArg } from './submit-path.ts';
import type { SubmittedCluster } from './submit-output.ts';
import { EXIT_INTERRUPTED } from '../jobs/summary.ts';
import { planSubmit, procRecord, readSubmitStatements, type ProcSpec } from '../submit-language/submit-plan.ts';
import { jobTitle, stillQueued, watchJob } from '../jobs/watch.ts';
import { parseJobs, runLocalSubmit } from '../local/local-submit.ts';
import { localImageFor } from './local-image.ts';

export const SUBMIT_SPEC: CommandSpec = {
  usage: 'pixi run submit [SUBMIT_FILE] [NAME=VALUE ...] [options]',
  summary: 'Submit the job with the image build-image recorded (pinned by digest) and follow it until it ends.',
  positionals: { names: 'SUBMIT_FILE] [NAME=VALUE ...', max: 64 },
  options: {
    local: {
      type: 'boolean',
      description: 'run the job on this machine as HTCondor would (Docker for container jobs), no pool needed',
    },
    'allow-cpu': {
      type: 'boolean',
      description: 'with --local: run a job that asks for GPUs without one (it gets PIXI_CONDOR_ALLOW_CPU=1)',
    },
    jobs: {
      type: 'string',
      value: 'N',
      description: 'with --local: run N procs at once (default: one per free GPU, else 1)',
    },
    append: {
      type: 'string',
      multiple: true,
      value: 'LINE',
      description: "a submit-file line read just before `queue`, as condor_submit's -append (repeatable)",
    },
    'dry-run': {
      type: 'boolean',
      description: "show the checklist, the condor_submit command and each proc's files; submit nothing",
    },
    'no-wait': { type: 'boolean', description: 'submit, record the job and exit without following it' },
    'batch-name': {
      type: 'string',
      value: 'NAME',
      description: 'the batch name condor_q groups the job under (default: <submit file>-<image digest>)',
    },
    ...WATCH_OPTIONS,
  },
  epilog: [
    'SUBMIT_FILE defaults to [tool.pixi-condor] submit-file in pixi.toml. NAME=VALUE defines a',
    'macro before the file is read, as `condor_submit NAME=VALUE file` does.',
    'Without a pool, `--local` runs the job here: see docs/local.md.',
  ].join('\n'),
  exitCodes: [
    ['0', 'every proc completed with return value 0'],
    ['N', "the single proc's return value (128 + signal when killed)"],
    ['1', 'several procs and one failed, or a preflight check or condor_submit failed'],
    ['2', 'held past --held-timeout, or removed; or a usage error'],
    ['130', 'you stopped watching with Ctrl-C (the job keeps running: `pixi run status` re-attaches)'],
  ],
  docs: 'docs/submit.md',
};

export async function runSubmit(parsed: ParsedCommand): Promise<number> {
  const root = findWorkspaceRoot();
  // A registry token ($ENV(REGISTRY_TOKEN) in the submit file) never reaches what we print.
  const secrets = await secretMask(root);
  try {
    return await submit(parsed, root, secrets);
  } catch (error) {
    throw secrets.maskError(asFileError(error, root));
  }
}

async function submit(parsed: ParsedCommand, root: string, secrets: SecretMask): Promise<number> {
  const settings = watchSettings(parsed);
  const dryRun = booleanOption(parsed, 'dry-run');
  // With --json, stdout carries only the JSON document; what a person reads goes to stderr.
  const out = settings.json ? process.stderr : process.stdout;
  const paint = palette(colourEnabled(out));
  const say = (line = ''): void => void out.write(secrets.mask(line) + '\n');
  const printJson = (doc: unknown): void =>
    void process.stdout.write(secrets.mask(JSON.stringify(doc, null, 2)) + '\n');

  const config = templateConfig((await readManifest(root)).data);
  // condor_submit's command line: `NAME=VALUE` defines a macro, anything else is the submit file.
  const defines: Record<string, string> = {};
  const files: string[] = [];
  for (const arg of parsed.positionals) {
    const m = /^([A-Za-z_][A-Za-z0-9_.]*)=(.*)$/s.exec(arg);
    if (m) defines[m[1]!] = m[2]!;
    else files.push(arg);
  }
  if (files.length > 1) throw new UsageError(`more than one submit file: ${files.join(', ')}`);
  const userAppend = (parsed.values.append as string[] | undefined) ?? [];
  const local = booleanOption(parsed, 'local');
  if (!local && (booleanOption(parsed, 'allow-cpu') || stringOption(parsed, 'jobs') !== undefined))
    throw new UsageError('--allow-cpu and --jobs go with --local');
  if (local && settings.once)
    throw new UsageError('--once does not go with --local: use --no-wait, then `pixi run status --once`');
  const submitArg = files[0];
  // From the command line: where the user typed it, else the workspace root; from pixi.toml: the root.
  const submitPath = submitArg !== undefined ? resolveSubmitArg(submitArg, root) : resolve(root, config.submitFile);
  // condor_submit runs in the workspace root, so paths in the submit file are relative to it.
  const submitFile = relative(root, submitPath) || submitPath;
  const record = await readImageRecord(root);
  const batchName =
    stringOption(parsed, 'batch-name') ??
    `${basename(submitFile).replace(/\.[^.]*$/, '')}-${record ? record.digest.slice(7, 19) : 'unbuilt'}`;

  const statements = readSubmitStatements(submitPath, submitFile, submitArg === undefined);
  // getenv would hand the job a secret: withheld (job-env.ts, condor-submit.ts), and said here.
  const getenv = getenvSecrets(statements, userAppend, process.env, await secretEnvironment(root));
  if (getenv) {
    const { message, hint } = getenvSecretMessage(getenv);
    say(paint.yellow(`${submitFile}${getenv.line === null ? ' (-append)' : `:${getenv.line}`}: warning: ${message}`));
    say(`  hint: ${hint}`);
  }
  const imageLine = pinnedImageLine(record, statements, submitFile);
  if (local) {
    // A file pinned to a SIF runs with apptainer, or in the Docker image the SIF was made from.
    const localLine = await localImageLine(root, record, imageLine, (line) => say(line));
    // No image record: the image is built here and pinned by its ID (no registry, no push).
    const built = record
      ? null
      : await localImageFor({
          root,
          statements,
          submitFile,
          append: userAppend,
          defines,
          batchName,
          shell: new Shell({ dryRun }),
          say,
        });
    const pinned = localLine ?? built?.line;
    return runLocalSubmit({
      root,
      submitFile,
      statements,
      // The recorded image first, so a user's -append can still override it, as on a pool.
      append: [...(pinned ? [pinned] : []), ...userAppend],
      defines,
      batchName,
      record,
      gitRevision: async () => (await gitInfo(new Shell(), root)).revision,
      // Execute points pull anonymously; a local run uses this machine's engine and its logins.
      preflight: (procs) =>
        runPreflight({ root, config, record, procs, dryRun, pullProbe: async () => ({ state: 'pullable' }) }),
      formatChecklist: (checks) => formatChecklist(checks, paint),
      allowCpu: booleanOption(parsed, 'allow-cpu'),
      jobs: parseJobs(stringOption(parsed, 'jobs')),
      dryRun,
      json: settings.json,
      // The log is a local file the runner writes: read it every 100 ms unless --interval says otherwise.
      intervalMs: process.argv.some((a) => a === '--interval' || a.startsWith('--interval='))
        ? settings.intervalMs
        : 100,
      argv: ['pixi', 'run', 'submit', ...process.argv.slice(2)],
      say,
      printJson,
      warn: (line) => say(paint.yellow(line)),
      noWait: booleanOption(parsed, 'no-wait'),
      ...(built ? { recordExtra: { image: built.image } } : {}),
    });
  }
  // A tag unique to this submission: the job can be found by it if condor_submit never says its cluster.
  const submitId = newSubmitId();
  const appendLines = [...(imageLine ? [imageLine] : []), ...userAppend, submitIdLine(submitId)];
  const plan = (cluster: number | null) =>
    planSubmit(statements, { submitFile, cwd: root, cluster, append: appendLines, defines, batchName });
  const preview = plan(null);
  // What condor_submit would warn about, and the file's own `warning :` lines (sublang).
  for (const w of preview.warnings)
    say(paint.yellow(`${w.file}${w.line === undefined ? '' : `:${w.line}`}: warning: ${w.message}`));

  const checks = await runPreflight({ root, config, record, procs: preview.procs, dryRun });
  for (const line of formatChecklist(checks, paint)) say(line);
  const failed = checks.filter((c) => c.status === 'fail');

  // `condor_submit NAME=VALUE file ...`: the definitions come before the file.
  const [tool, ...rest] = condorSubmitArgv(submitFile, appendLines, batchName);
  const argv = [tool!, ...Object.entries(defines).map(([k, v]) => `${k}=${v}`), ...rest];
  if (dryRun) {
    say();
    say(paint.bold('command'));
    say(`  ${argv.map(shellQuote).join(' ')}`);
    say();
    say(paint.bold(`procs (${preview.procs.length})`));
    for (const line of procLines(preview.procs, root)) say(line);
    say();
    say(
      failed.length === 0
        ? 'dry run: nothing was submitted'
        : `dry run: nothing was submitted; ${failed.length} check(s) would stop a real submit`,
    );
    if (settings.json) printJson({ dryRun: true, checks, command: argv, procs: preview.procs.map(procRecord) });
    return failed.length === 0 ? 0 : 1;
  }
  if (failed.length > 0) {
    if (settings.json) printJson({ dryRun: false, submitted: false, checks });
    throw preflightFailure(failed);
  }

  const shell = new Shell();
  for (const secret of secrets.secrets) shell.addSecret(secret);
  // Everything the record needs that does not depend on the cluster, gathered before
  // submitting: once condor_submit has queued the job, the record is the next thing written.
  const git = await gitInfo(shell, root);
  const draft: JobDraft = {
    submitFile,
    batchName,
    image: record ? { reference: record.reference, digest: record.digest } : null,
    gitRevision: git.revision,
    command: argv,
  };
  const signals = deferSignals();
  const warn = (line: string): void => void process.stderr.write(`${paint.yellow(secrets.mask(line))}\n`);
  let cluster: SubmittedCluster;
  let jobRecord: JobRecord;
  try {
    // The submission's tag goes to disk first: even a SIGKILL while condor_submit runs leaves
    // what `status` needs to find the job (by its tag), and a folder that cannot take the
    // record stops us here, before anything is queued.
    const startedAt = new Date().toISOString();
    await writePendingSubmission(root, {
      version: 1,
      submitId,
      startedAt,
      pid: process.pid,
      host: hostname(),
      ...draft,
      append: appendLines,
      procs: preview.procs.map(procRecord),
    });
    say();
    say(`$ ${argv.map(shellQuote).join(' ')}`);
    try {
      cluster = await runCondorSubmit(shell, argv, root, submitId, signals, warn);
    } catch (error) {
      // Nothing was queued (or condor_q cannot find it by its tag; the error says how to look).
      await removePendingSubmission(root, submitId);
      throw error;
    }
    jobRecord = await recordJob(root, cluster, draft, appendLines, startedAt, preview.procs, warn);
    await removePendingSubmission(root, submitId);
  } finally {
    signals.restore();
  }
  say(
    `submitted job ${cluster.cluster} (${cluster.count} proc${cluster.count === 1 ? '' : 's'}), recorded in ${displayPath(root, jobRecordPath(root, cluster.cluster))}`,
  );
  const submitted = {
    cluster: cluster.cluster,
    procs: cluster.count,
    record: displayPath(root, jobRecordPath(root, cluster.cluster)),
  };
  if (signals.received) {
    if (settings.json) printJson({ ...submitted, watching: false });
    process.stderr.write(stillQueued(`stopped before watching (${signals.received})`, cluster.cluster));
    return EXIT_INTERRUPTED;
  }
  if (booleanOption(parsed, 'no-wait')) {
    if (settings.json) printJson({ ...submitted, watching: false });
    say(`follow it with \`pixi run status ${cluster.cluster}\`; remove it with \`pixi run cancel ${cluster.cluster}\``);
    return 0;
  }
  say();
  return watchJob({
    root,
    logs: recordLogs(jobRecord),
    cluster: cluster.cluster,
    procs: jobRecord.procs,
    ...settings,
    title: jobTitle(jobRecord),
    referenceTime: Date.now(),
    probe: queueProbe(shell, cluster.cluster, root),
  });
}

/**
 * Write .pixi-condor/jobs/<cluster>.json for a job condor_submit has queued. The procs come
 * from the submit file read with the real cluster id; should that fail, from the preview.
 * Should the record not be written, the submission's tag stays: `status` finds the job by it.
 */
async function recordJob(
  root: string,
  cluster: SubmittedCluster,
  draft: JobDraft,
  append: string[],
  submittedAt: string,
  previewProcs: ProcSpec[],
  warn: (line: string) => void,
): Promise<JobRecord> {
  const { procs, problem } = procsOfCluster(root, draft, append, cluster.cluster, previewProcs.map(procRecord));
  let jobRecord: JobRecord;
  try {
    jobRecord = await writeClusterRecord(root, cluster, draft, submittedAt, procs);
  } catch (error) {
    throw new UserError(
      `job ${cluster.cluster} was submitted, but ${displayPath(root, jobRecordPath(root, cluster.cluster))} could not be written: ${(error as Error).message}`,
      {
        hint: `\`pixi run status\` records and follows it once ${STATE_DIR} takes the record (it finds the job by its submission tag); or follow it with \`pixi run status --log ${procs[0]?.log ? displayPath(root, procs[0].log) : 'LOG'} --follow\`, or remove it with \`condor_rm ${cluster.cluster}\``,
      },
    );
  }
  if (problem)
    warn(
      `warning: the submit file could not be read again for cluster ${cluster.cluster} (${problem}); the record keeps the previewed paths`,
    );
  if (procs.length !== cluster.count)
    warn(
      `warning: condor_submit queued ${cluster.count} proc(s), the submit file reads as ${procs.length}; following what the log shows`,
    );
  return jobRecord;
}

function procLines(procs: ProcSpec[], root: string): string[] {
  const lines: string[] = [];
  const shown = procs.length > 20 ? [...procs.slice(0, 10), ...procs.slice(-5)] : procs;
  for (const [i, p] of shown.entries()) {
    if (procs.length > 20 && i === 10) lines.push(`  ... ${procs.length - 15} more`);
    lines.push(`  proc ${p.proc}`);
    lines.push(`    log        ${p.log ? displayPath(root, p.log) : '(none)'}`);
    lines.push(`    output     ${p.output ? displayPath(root, p.output) : '/dev/null'}`);
    lines.push(`    error      ${p.error ? displayPath(root, p.error) : '/dev/null'}`);
    lines.push(`    executable ${p.executable ? displayPath(root, p.executable) : '(none)'}`);
    lines.push(`    arguments  ${p.arguments.map(shellQuote).join(' ')}`);
    if (p.transferInputFiles.length > 0) lines.push(`    inputs     ${p.transferInputFiles.join(', ')}`);
    if (p.transferOutputFiles) lines.push(`    outputs    ${p.transferOutputFiles.join(', ') || '(none)'}`);
  }
  return lines;
}
