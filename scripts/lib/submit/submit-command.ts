// `pixi run submit`: preflight, condor_submit with the image pinned by digest, the job record,
// then follow the job to its end (unless --no-wait). --dry-run shows the checklist, the exact
// command and every proc's files, and submits nothing.
import { basename, relative, resolve } from 'node:path';
import { booleanOption, stringOption, type CommandSpec, type ParsedCommand } from '../cli.ts';
import { UsageError } from '../errors.ts';
import { gitInfo } from '../git.ts';
import { pinnedImageLine } from './image-pin.ts';
import { readImageRecord } from '../image-record.ts';
import { Shell, shellQuote } from '../shell.ts';
import { palette, colourEnabled } from '../term.ts';
import { displayPath, findWorkspaceRoot, readManifest, templateConfig } from '../workspace.ts';
import { formatChecklist, preflightFailure, runPreflight } from './preflight.ts';
import { WATCH_OPTIONS, watchSettings, type WatchSettings } from '../jobs/status-command.ts';
import { condorSubmitArgv, newSubmitId, submitIdLine } from './condor-submit.ts';
import { asFileError } from './file-problem.ts';
import type { JobDraft } from './record-job.ts';
import { imageOfSubmission, submissionInputs } from '../jobs/job-store.ts';
import { type SecretEnvironment, type SecretMask, submitEnvironment, workspaceSecrets } from '../secret-mask.ts';
import { getenvSecretMessage, getenvSecrets } from '../submit-language/getenv.ts';
import { resolveSubmitArg } from './submit-path.ts';
import { afterSubmit, submitAndRecord } from './submit-and-follow.ts';
import { planSubmit, procRecord, readSubmitStatements, type ProcSpec } from '../submit-language/submit-plan.ts';
import { parseJobs, runLocalSubmit } from '../local/local-submit.ts';
import { startRunner, type StartingRunner } from '../local/runner-process.ts';
import { localImageChoice } from './local-image.ts';

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
  // .env is read once: its tokens make the mask, its keys the getenv warning's secret names.
  const secretEnv = workspaceSecrets(root);
  const secrets = secretEnv.mask;
  try {
    return await submit(parsed, root, secretEnv);
  } catch (error) {
    throw secrets.maskError(asFileError(error, root));
  }
}

/** What the command line and the workspace ask for, read and checked before anything runs. */
interface SubmitRequest {
  root: string;
  settings: WatchSettings;
  dryRun: boolean;
  local: boolean;
  config: ReturnType<typeof templateConfig>;
  /** `NAME=VALUE` arguments: macros defined before the file is read. */
  defines: Record<string, string>;
  /** --append lines. */
  userAppend: string[];
  /** The submit file as typed, or undefined when it comes from pixi.toml. */
  submitArg: string | undefined;
  /** Relative to the root (condor_submit runs there). */
  submitFile: string;
  record: Awaited<ReturnType<typeof readImageRecord>>;
  /** `container_image = docker://…` of the recorded image, or null before build-image. */
  imageLine: string | null;
  batchName: string;
  statements: ReturnType<typeof readSubmitStatements>;
}

/** How this command prints: to stdout, or to stderr under --json (stdout then carries only JSON). */
interface Printer {
  paint: ReturnType<typeof palette>;
  say: (line?: string) => void;
  printJson: (doc: unknown) => void;
}

function printer(settings: WatchSettings, secrets: SecretMask): Printer {
  const out = settings.json ? process.stderr : process.stdout;
  return {
    paint: palette(colourEnabled(out)),
    say: (line = '') => void out.write(secrets.mask(line) + '\n'),
    printJson: (doc) => void process.stdout.write(secrets.mask(JSON.stringify(doc, null, 2)) + '\n'),
  };
}

async function readSubmitRequest(parsed: ParsedCommand, root: string, settings: WatchSettings): Promise<SubmitRequest> {
  const dryRun = booleanOption(parsed, 'dry-run');
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
  const imageLine = pinnedImageLine(record, statements, submitFile);
  return {
    root,
    settings,
    dryRun,
    local,
    config,
    defines,
    userAppend,
    submitArg,
    submitFile,
    record,
    imageLine,
    batchName,
    statements,
  };
}

/** `submit --local`: the same request, run on this machine (docs/local.md). */
async function submitLocally(
  request: SubmitRequest,
  parsed: ParsedCommand,
  print: Printer,
  runner: StartingRunner | null,
): Promise<number> {
  const { root, config, record, dryRun, settings } = request;
  const { paint, say } = print;
  // A file pinned to a SIF runs with apptainer, or in the Docker image the SIF was made from;
  // with no image record, the image is built here and pinned by its ID (no registry, no push).
  const chosen = await localImageChoice({
    root,
    record,
    imageLine: request.imageLine,
    statements: request.statements,
    submitFile: request.submitFile,
    append: request.userAppend,
    defines: request.defines,
    batchName: request.batchName,
    dryRun,
    say,
  });
  return runLocalSubmit({
    root,
    submitFile: request.submitFile,
    statements: request.statements,
    // The recorded image first, so a user's -append can still override it, as on a pool.
    append: [...(chosen.line ? [chosen.line] : []), ...request.userAppend],
    defines: request.defines,
    batchName: request.batchName,
    record,
    gitRevision: async () => (await gitInfo(new Shell(), root)).revision,
    // Execute points pull anonymously; a local run uses this machine's engine and its logins.
    preflight: (procs) =>
      runPreflight({
        root,
        config,
        record,
        procs,
        dryRun,
        local: true,
        pullProbe: async () => ({ state: 'pullable' }),
      }),
    formatChecklist: (checks) => formatChecklist(checks, paint),
    allowCpu: booleanOption(parsed, 'allow-cpu'),
    jobs: parseJobs(stringOption(parsed, 'jobs')),
    dryRun,
    json: settings.json,
    // The log is a local file the runner writes: read it every 100 ms unless --interval says otherwise.
    intervalMs: process.argv.some((a) => a === '--interval' || a.startsWith('--interval=')) ? settings.intervalMs : 100,
    argv: ['pixi', 'run', 'submit', ...process.argv.slice(2)],
    say,
    printJson: print.printJson,
    warn: (line) => say(paint.yellow(line)),
    noWait: booleanOption(parsed, 'no-wait'),
    recordExtra: {
      ...submissionInputs(request.defines, request.userAppend),
      // The pool's pin (a SIF's too), whatever ran here: `resubmit` to a pool pins the same.
      image: chosen.image ?? imageOfSubmission(record, request.imageLine),
    },
    runner,
  });
}

/** getenv would hand the job a secret: withheld (job-env.ts, condor-submit.ts), and said here. */
function warnGetenvSecrets(request: SubmitRequest, print: Printer, secretEnv: SecretEnvironment): void {
  const getenv = getenvSecrets(request.statements, request.userAppend, process.env, secretEnv);
  if (!getenv) return;
  const { message, hint } = getenvSecretMessage(getenv);
  const where = getenv.line === null ? ' (-append)' : `:${getenv.line}`;
  print.say(print.paint.yellow(`${request.submitFile}${where}: warning: ${message}`));
  print.say(`  hint: ${hint}`);
}

/** The planned submission: procs read with no cluster yet, the preflight checks, the exact argv. */
interface SubmitPreview {
  submitId: string;
  appendLines: string[];
  procs: ProcSpec[];
  checks: Awaited<ReturnType<typeof runPreflight>>;
  argv: string[];
}

async function previewSubmission(request: SubmitRequest, print: Printer): Promise<SubmitPreview> {
  const { root, submitFile, defines, batchName } = request;
  const { paint, say } = print;
  // A tag unique to this submission: the job can be found by it if condor_submit never says its cluster.
  const submitId = newSubmitId();
  const appendLines = [
    ...(request.imageLine ? [request.imageLine] : []),
    ...request.userAppend,
    submitIdLine(submitId),
  ];
  const preview = planSubmit(request.statements, {
    submitFile,
    cwd: root,
    ...submitEnvironment(root),
    cluster: null,
    append: appendLines,
    defines,
    batchName,
  });
  // What condor_submit would warn about, and the file's own `warning :` lines (sublang).
  for (const w of preview.warnings)
    say(paint.yellow(`${w.file}${w.line === undefined ? '' : `:${w.line}`}: warning: ${w.message}`));

  const checks = await runPreflight({
    root,
    config: request.config,
    record: request.record,
    procs: preview.procs,
    dryRun: request.dryRun,
  });
  for (const line of formatChecklist(checks, paint)) say(line);
  // `condor_submit NAME=VALUE file ...`: the definitions come before the file.
  const [tool, ...rest] = condorSubmitArgv(submitFile, appendLines, batchName);
  const argv = [tool!, ...Object.entries(defines).map(([k, v]) => `${k}=${v}`), ...rest];
  return { submitId, appendLines, procs: preview.procs, checks, argv };
}

/** --dry-run: the command and each proc's files; exit 1 when a check would stop a real submit. */
function reportDryRun(preview: SubmitPreview, request: SubmitRequest, print: Printer): number {
  const { say, paint } = print;
  const failed = preview.checks.filter((c) => c.status === 'fail');
  say();
  say(paint.bold('command'));
  say(`  ${preview.argv.map(shellQuote).join(' ')}`);
  say();
  say(paint.bold(`procs (${preview.procs.length})`));
  for (const line of procLines(preview.procs, request.root)) say(line);
  say();
  say(
    failed.length === 0
      ? 'dry run: nothing was submitted'
      : `dry run: nothing was submitted; ${failed.length} check(s) would stop a real submit`,
  );
  if (request.settings.json)
    print.printJson({
      dryRun: true,
      checks: preview.checks,
      command: preview.argv,
      procs: preview.procs.map(procRecord),
    });
  return failed.length === 0 ? 0 : 1;
}

/**
 * `submit --local`: its runner is started first, so the runner's start-up (a node process)
 * overlaps the reading of the request and the preflight; a run that stops before the hand-off
 * releases it (it exits).
 */
async function submitHere(
  parsed: ParsedCommand,
  root: string,
  secretEnv: SecretEnvironment,
  settings: WatchSettings,
): Promise<number> {
  const runner = booleanOption(parsed, 'dry-run') ? null : startRunner(root);
  try {
    const print = printer(settings, secretEnv.mask);
    const request = await readSubmitRequest(parsed, root, settings);
    warnGetenvSecrets(request, print, secretEnv);
    return await submitLocally(request, parsed, print, runner);
  } finally {
    runner?.release(); // a no-op once the job was handed over
  }
}

async function submit(parsed: ParsedCommand, root: string, secretEnv: SecretEnvironment): Promise<number> {
  const settings = watchSettings(parsed);
  if (booleanOption(parsed, 'local')) return submitHere(parsed, root, secretEnv, settings);
  const secrets = secretEnv.mask;
  const print = printer(settings, secrets);
  const request = await readSubmitRequest(parsed, root, settings);
  warnGetenvSecrets(request, print, secretEnv);

  const preview = await previewSubmission(request, print);
  if (request.dryRun) return reportDryRun(preview, request, print);
  const failed = preview.checks.filter((c) => c.status === 'fail');
  if (failed.length > 0) {
    if (settings.json) print.printJson({ dryRun: false, submitted: false, checks: preview.checks });
    throw preflightFailure(failed);
  }

  const shell = new Shell();
  for (const secret of secrets.secrets) shell.addSecret(secret);
  // Everything the record needs that does not depend on the cluster, gathered before
  // submitting: once condor_submit has queued the job, the record is the next thing written.
  const git = await gitInfo(shell, root);
  const { record } = request;
  const job: JobDraft = {
    submitFile: request.submitFile,
    batchName: request.batchName,
    image: imageOfSubmission(record, request.imageLine),
    gitRevision: git.revision,
    command: preview.argv,
    ...submissionInputs(request.defines, request.userAppend),
  };
  const warn = (line: string): void => void process.stderr.write(`${print.paint.yellow(secrets.mask(line))}\n`);
  const submitted = await submitAndRecord(
    shell,
    {
      root,
      submitId: preview.submitId,
      job,
      append: preview.appendLines,
      defines: request.defines,
      previewProcs: preview.procs,
    },
    print.say,
    warn,
  );
  return afterSubmit(submitted, {
    root,
    shell,
    settings,
    noWait: booleanOption(parsed, 'no-wait'),
    say: print.say,
    printJson: print.printJson,
  });
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
