// `pixi run resubmit [CLUSTER] --failed | --held | --procs 3,7`: submit again exactly the procs
// of a submission that did not complete with return value 0 (by their newest outcome), with
// the same queue-variable values and the same pinned image, as a new cluster whose record
// points back at the first (resubmitOf). The submit file is the original up to its queue
// statement, then `queue <vars> from <table of those rows>` (`queue N` when it has no
// variables), written under .pixi-condor/resubmit/; condor_submit still runs in the workspace
// root, so every relative path in it means what it meant the first time.
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';
import { booleanOption, stringOption, type CommandSpec, type ParsedCommand } from '../cli.ts';
import { UsageError, UserError } from '../errors.ts';
import { gitInfo } from '../git.ts';
import { Shell } from '../shell.ts';
import { newSubmitId, submitIdLine } from '../submit/condor-submit.ts';
import { submitAndRecord } from '../submit/submit-and-follow.ts';
import type { JobDraft } from '../submit/record-job.ts';
import { LOCAL_REPOSITORY } from '../image-record.ts';
import { planSubmit, readSubmitSource, readSubmitStatements } from '../submit-language/submit-plan.ts';
import { submitEnvironment, workspaceSecrets } from '../secret-mask.ts';
import { parseSubmitText } from '../submit-language/submit-file.ts';
import { STATE_DIR, displayPath, findWorkspaceRoot } from '../workspace.ts';
import {
  parseClusterArg,
  pinnedImage,
  readJobRecord,
  submissionInputs,
  type JobRecord,
  type ProcRecord,
} from './job-store.ts';
import { latestJob, recordAmong, resubmissionsOf } from './record-heads.ts';
import { runLocalSubmit } from '../local/local-submit.ts';
import { recoverIfRunnerLost, runnerState } from '../local/runner-recovery.ts';
import { queueProbe } from './queue-probe.ts';
import { collectResults, type ResultRow } from './results.ts';
import { WATCH_OPTIONS, watchSettings } from './status-command.ts';
import { EXIT_INTERRUPTED } from './summary.ts';
import { recordWatch, stillQueued, watchJob } from './watch.ts';

export const RESUBMIT_SPEC: CommandSpec = {
  usage: 'pixi run resubmit [CLUSTER] (--failed | --held | --procs LIST) [options]',
  summary:
    'Submit again exactly the procs of a submission (the latest by default) that failed or were held, with the same queue-variable values and the same pinned image, as a new cluster.',
  positionals: { names: 'CLUSTER', max: 1 },
  options: {
    failed: {
      type: 'boolean',
      description: 'the procs that exited non-zero, were killed by a signal, or were removed',
    },
    held: {
      type: 'boolean',
      description: 'the procs that are held (they stay in the queue: remove them with condor_rm)',
    },
    procs: { type: 'string', value: 'LIST', description: 'these procs of the first submission, e.g. 3,7' },
    'edited-values': {
      type: 'boolean',
      description:
        "take the chosen rows' values from the queue table as it is now (a corrected sweep.csv), matched by line: proc N is row N",
    },
    local: { type: 'boolean', description: 'run them on this machine (as submit --local) instead of the pool' },
    'allow-cpu': {
      type: 'boolean',
      description: 'with --local: run procs that ask for GPUs without one (they get PIXI_CONDOR_ALLOW_CPU=1)',
    },
    'dry-run': { type: 'boolean', description: 'print the submit file, the rows and the command; submit nothing' },
    'no-wait': { type: 'boolean', description: 'submit, record the job and exit without following it' },
    ...WATCH_OPTIONS,
  },
  epilog: [
    'A proc counts by its newest outcome: one that succeeded on a resubmission is not submitted again.',
    'Corrected values: fix the rows in the table the queue statement reads (e.g. sweep.csv), keeping',
    'one line per proc in the same order, then add --edited-values: each chosen proc takes its row as',
    'it is now (every change is printed). Without it, the values the procs ran with are used.',
    '`pixi run results CLUSTER` then shows the newest outcome of every row.',
  ].join('\n'),
  exitCodes: [
    ['0', 'every resubmitted proc completed with return value 0, or no proc needed it'],
    [
      'N',
      "otherwise as `pixi run submit` (the single proc's return value, 1 one of several failed, 2 held or removed, 130 Ctrl-C)",
    ],
    ['2', 'usage error, or an unreadable job record'],
  ],
  docs: 'docs/results.md',
};

/** Which rows to submit again. Exported for tests. */
export function selectRows(
  rows: ResultRow[],
  which: { failed: boolean; held: boolean; procs: number[] | null },
): ResultRow[] {
  if (which.procs) {
    const unknown = which.procs.filter((p) => !rows.some((r) => r.proc === p));
    if (unknown.length > 0)
      throw new UsageError(`--procs ${unknown.join(',')}: no such proc (the procs are 0 to ${rows.length - 1})`);
    return rows.filter((r) => which.procs!.includes(r.proc));
  }
  return rows.filter(
    (r) =>
      (which.failed && (r.outcome === 'failed' || r.outcome === 'removed')) || (which.held && r.outcome === 'held'),
  );
}

/** Table lines as condor_submit reads `queue a, b from file`: the last variable takes the rest of the line. */
export function tableText(names: string[], rows: Record<string, string>[]): string {
  return rows
    .map((vars) =>
      names
        .map((name, i) => {
          const value = vars[name] ?? '';
          if (i < names.length - 1 && /[\s,]/.test(value))
            throw new UserError(
              `the value '${value}' of ${name} has a comma or space: only the last queue variable can hold one in a table`,
              { hint: `put ${name} last in the queue statement, or pick the procs by hand with condor_submit` },
            );
          return value;
        })
        .join(', '),
    )
    .join('\n')
    .concat('\n');
}

/** The original submit file up to its (only) queue statement, then the new queue line. */
export function resubmitFileText(text: string, queueLine: number, queue: string, note: string): string {
  const lines = text.split(/\r?\n/).slice(0, queueLine - 1);
  return `${lines.join('\n')}\n# ${note}\n${queue}\n`;
}

interface ResubmitRequest {
  root: string;
  parsed: ParsedCommand;
  settings: ReturnType<typeof watchSettings>;
  dryRun: boolean;
  local: boolean;
  editedValues: boolean;
  which: { failed: boolean; held: boolean; procs: number[] | null };
  say: (line?: string) => void;
}

/** The resubmit file written under .pixi-condor/resubmit/: the original up to its queue, then the chosen rows. */
interface ResubmitFile {
  first: JobRecord;
  chosen: ResultRow[];
  relSubmit: string;
  submitFile: string;
  tablePath: string;
  table: string | null;
  queueText: string;
  text: string;
  procList: string;
  /** The proc-numbering macros (`$(Process)`, `$(Row)`, …) the job's arguments or environment read: they count from 0 again. */
  renumbered: string[];
  /** The new record's link back to the rows it runs again (and --json's). */
  resubmitOf: { cluster: number; procs: number[] };
}

/** Macros that number a proc or a row within its cluster: a resubmission (a new cluster) counts them from 0. */
const NUMBERING = /\$\(\s*(Process|ProcId|Row|ItemIndex|Step|Node)\s*\)/gi;
/** The commands whose values the job itself sees (its paths are placed by the new cluster's numbers, as results finds them). */
const JOB_SEES = new Set(['arguments', 'args', 'environment', 'env']);

function renumberedMacros(statements: ReturnType<typeof parseSubmitText>): string[] {
  const found = new Set<string>();
  for (const s of statements)
    if (s.kind === 'assign' && JOB_SEES.has(s.key.toLowerCase()))
      for (const m of s.value.matchAll(NUMBERING)) found.add(`$(${m[1]})`);
  return [...found];
}

export async function runResubmit(parsed: ParsedCommand): Promise<number> {
  const request = readRequest(parsed);
  const { root, say, which } = request;
  const arg = parsed.positionals[0];
  // (--dry-run writes nothing, not even the records' kept heads.)
  const keep = !request.dryRun;
  const latest = arg === undefined ? await latestJob(root, { keep }) : null;
  const named = latest ? latest.record : await readJobRecord(root, parseClusterArg(arg!));
  if (!named)
    throw new UserError('no job has been submitted from this workspace yet', { hint: 'run `pixi run submit` first' });
  const origin = named.resubmitOf?.cluster;
  const first = origin === undefined ? named : await recordAmong(root, origin, latest?.heads);
  const resubmissions = await resubmissionsOf(root, first.cluster, { keep, heads: latest?.heads });
  // A local run whose runner died is recovered first, whichever submission of the rows it ran:
  // its procs then read as removed (--failed), as results shows them. Not on --dry-run, which
  // changes nothing (the recovery ends processes and writes the lost run's events): it says so.
  for (const record of new Set([named, first, ...resubmissions])) {
    if (!record.local) continue;
    if (!request.dryRun) await recoverIfRunnerLost(root, record);
    else if (runnerState(root, record) === 'lost')
      say(
        `note: job ${record.cluster}'s local runner has died; a real resubmit records its lost run first, so its procs then read as removed`,
      );
  }
  const { rows } = await collectResults(root, first, (p) => displayPath(root, p), { resubmissions });
  const chosen = selectRows(rows, which);
  if (chosen.length === 0) {
    say(nothingToResubmit(first, rows, which, request.local || Boolean(first.local)));
    return 0;
  }
  // Only a proc that has left the queue, or is held there, is submitted again (a suspended one,
  // or one with no event yet, is still the queue's).
  const unended = chosen.filter((r) => !ENDED_OUTCOMES.has(r.outcome));
  if (unended.length > 0)
    throw new UserError(
      `proc ${unended.map((r) => r.proc).join(', ')} of job ${first.cluster} has not ended (${unended[0]!.outcome})`,
      { hint: `wait for it (\`pixi run status ${first.cluster}\`) or remove it first` },
    );
  if (!request.local && first.image?.reference.startsWith(`${LOCAL_REPOSITORY}:`))
    throw new UserError(
      `job ${first.cluster} ran ${first.image.reference}, an image built on this machine that no execute point can pull`,
      {
        hint: `resubmit it here with --local, or run \`pixi run build-image\` and submit the file again (\`pixi run submit\`)`,
      },
    );
  const file = resubmitFile(root, first, chosen, request.editedValues ? say : null);
  const submitId = newSubmitId();
  // As the first submission: its image, its --append lines and its NAME=VALUE macros.
  const appendLines = [
    ...(first.image ? [`container_image = ${pinnedImage(first.image)}`] : []),
    ...(first.userAppend ?? []),
    submitIdLine(submitId),
  ];
  const batchName = `${first.batchName}-again`;
  const argv = [
    'condor_submit',
    ...Object.entries(first.defines ?? {}).map(([k, v]) => `${k}=${v}`),
    file.relSubmit,
    ...appendLines.flatMap((l) => ['-append', l]),
    '-batch-name',
    batchName,
  ];
  say(
    `resubmitting ${chosen.length} proc${chosen.length === 1 ? '' : 's'} of job ${first.cluster}: ${describeRows(chosen)}`,
  );
  if (first.image) say(`  image: ${pinnedImage(first.image)} (as the first submission)`);
  if (file.renumbered.length > 0)
    say(
      `  note: the job's ${file.renumbered.join(', ')} count from 0 in the new cluster (its first proc is proc ${chosen[0]!.proc} of job ${first.cluster}); its row's values are the same`,
    );
  // The gateway, as submit's: the workspace's tokens masked in all that is said.
  const shell = secretShell(root);
  if (request.dryRun) {
    const queue = file.queueText.replace(file.tablePath, relative(root, file.tablePath));
    const rows = file.table ? file.table.trimEnd().split('\n') : [];
    say();
    say(`${file.relSubmit} would end with:`);
    say(`  ${queue}`);
    for (const line of rows) say(`    ${line}`);
    // A local resubmission runs no condor_submit: it runs the file here, as `submit --local` does.
    say(
      request.local
        ? `would run: ${file.relSubmit} here, as \`pixi run submit --local\` runs a submit file`
        : `command: ${shell.display(argv)}`,
    );
    // What the real run refuses, the dry run refuses too (after showing what it read).
    if (!request.local) refuseSecrets(shell, argv, first);
    say('dry run: nothing was submitted');
    // --json: what would be submitted, on stdout (the lines above went to stderr).
    if (request.settings.json)
      process.stdout.write(
        `${shell.mask(
          JSON.stringify(
            {
              dryRun: true,
              resubmitOf: file.resubmitOf,
              local: request.local,
              queue,
              rows,
              command: request.local ? null : argv,
            },
            null,
            2,
          ),
        )}\n`,
      );
    return 0;
  }
  // Refused before anything is written: a refused resubmission leaves no file behind.
  if (!request.local) refuseSecrets(shell, argv, first);
  mkdirSync(dirname(file.submitFile), { recursive: true });
  if (file.table) await writeFileAtomic(file.tablePath, file.table);
  await writeFileAtomic(file.submitFile, file.text);
  if (request.local) return resubmitLocally(request, file, batchName);
  return resubmitToPool(request, file, { shell, argv, appendLines, batchName, submitId });
}

/** The gateway for a resubmission, as submit's: the workspace's tokens masked in what is said. */
function secretShell(root: string): Shell {
  const shell = new Shell();
  for (const secret of workspaceSecrets(root).mask.secrets) shell.addSecret(secret);
  return shell;
}

/**
 * A token in condor_submit's argv is refused (a NAME=VALUE recorded by `submit --local`, which
 * runs no condor_submit, may hold one).
 */
function refuseSecrets(shell: Shell, argv: string[], first: JobRecord): void {
  if (argv.some((arg) => shell.holdsSecret(arg)))
    throw new UserError(
      `the resubmission's condor_submit command would hold a registry or GitHub token: ${shell.display(argv)}`,
      {
        hint: `the first submission's NAME=VALUE or --append lines hold it (.pixi-condor/jobs/${first.cluster}.json): submit the file again without it`,
      },
    );
}

function readRequest(parsed: ParsedCommand): ResubmitRequest {
  // Outside a workspace that is the first thing to say, as every task does.
  const root = findWorkspaceRoot();
  const settings = watchSettings(parsed);
  const procsText = stringOption(parsed, 'procs');
  const which = {
    failed: booleanOption(parsed, 'failed'),
    held: booleanOption(parsed, 'held'),
    procs: procsText !== undefined ? parseProcs(procsText) : null,
  };
  if (!which.failed && !which.held && !which.procs)
    throw new UsageError('say which procs to submit again: --failed, --held or --procs 3,7');
  const local = booleanOption(parsed, 'local');
  if (!local && booleanOption(parsed, 'allow-cpu')) throw new UsageError('--allow-cpu goes with --local');
  if (local && settings.once)
    throw new UsageError('--once does not go with --local: use --no-wait, then `pixi run status --once`');
  const out = settings.json ? process.stderr : process.stdout;
  return {
    root,
    parsed,
    settings,
    dryRun: booleanOption(parsed, 'dry-run'),
    local,
    editedValues: booleanOption(parsed, 'edited-values'),
    which,
    say: (line = ''): void => void out.write(`${line}\n`),
  };
}

/** Nothing matched: say so, and name what would (held procs for --held), with the local command for a local job. */
function nothingToResubmit(
  first: JobRecord,
  rows: ResultRow[],
  which: ResubmitRequest['which'],
  local: boolean,
): string {
  const wanted = [which.failed ? 'failed or removed' : null, which.held ? 'held' : null].filter(Boolean).join(' or ');
  const held = rows.filter((r) => r.outcome === 'held');
  const more =
    !which.held && held.length > 0
      ? `; ${held.length} ${held.length === 1 ? 'is' : 'are'} held: \`pixi run resubmit ${first.cluster} --held${local ? ' --local' : ''}\``
      : '';
  return `nothing to resubmit: no proc of job ${first.cluster} is ${wanted} (by its newest outcome)${more}`;
}

function describeRows(chosen: ResultRow[]): string {
  return chosen
    .map((r) => {
      const vars = Object.entries(r.vars)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      return `${r.proc} (${r.outcome}${vars ? `; ${vars}` : ''})`;
    })
    .join(', ');
}

function resubmitFile(
  root: string,
  first: JobRecord,
  chosen: ResultRow[],
  editedValues: ((line: string) => void) | null,
): ResubmitFile {
  const submitPath = join(root, first.submitFile);
  const source = readSubmitSource(submitPath, first.submitFile, false);
  const statements = parseSubmitText(source, first.submitFile);
  const queues = statements.filter((s) => s.kind === 'queue');
  if (queues.length !== 1)
    throw new UserError(`${first.submitFile} has ${queues.length} queue statements; resubmit needs exactly one`, {
      hint: 'submit the procs again by hand with condor_submit',
    });
  const queue = queues[0]!;
  if (statements.some((s) => s.line > queue.line))
    throw new UserError(
      `${first.submitFile} has commands after its queue statement; resubmit needs the queue statement last`,
      { file: first.submitFile, line: queue.line },
    );
  // Each row's values as its newest run had them (a correction made by --edited-values stays).
  const ran = chosen.map((r) => ({ ...first.procs.find((p) => p.proc === r.proc)!, vars: r.vars }));
  const originals = editedValues ? withEditedValues(root, first, statements, ran, editedValues) : ran;
  const names = [...new Set(originals.flatMap((p) => Object.keys(p.vars ?? {})))];
  const stateDir = join(root, STATE_DIR, 'resubmit');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const tablePath = join(stateDir, `${first.cluster}-${stamp}.rows`);
  const submitFile = join(stateDir, `${first.cluster}-${stamp}.sub`);
  const table =
    names.length > 0
      ? tableText(
          names,
          originals.map((p) => p.vars ?? {}),
        )
      : null;
  const queueText = table ? `queue ${names.join(', ')} from ${tablePath}` : `queue ${originals.length}`;
  const procList = chosen.map((r) => r.proc).join(',');
  const text = resubmitFileText(
    source,
    queue.line,
    queueText,
    `pixi run resubmit: procs ${procList} of job ${first.cluster} (${first.submitFile}), same values, same image`,
  );
  return {
    first,
    chosen,
    relSubmit: relative(root, submitFile),
    submitFile,
    tablePath,
    table,
    queueText,
    text,
    procList,
    renumbered: renumberedMacros(statements),
    resubmitOf: { cluster: first.cluster, procs: chosen.map((r) => r.proc) },
  };
}

/**
 * --edited-values: the chosen procs with their rows as the queue table holds them now. condor_submit
 * numbers `queue ... from FILE` procs by line, so proc N is row N; a table whose row count changed
 * cannot be matched and is refused.
 */
function withEditedValues(
  root: string,
  first: JobRecord,
  statements: ReturnType<typeof parseSubmitText>,
  ran: ProcRecord[],
  say: (line: string) => void,
): ProcRecord[] {
  const now = planSubmit(statements, {
    submitFile: first.submitFile,
    cwd: root,
    ...submitEnvironment(root),
    cluster: null,
    // As it was submitted: its NAME=VALUE macros (a `queue … from $(TABLE)` names its table by one).
    defines: first.defines ?? {},
  }).procs;
  if (now.length !== first.procs.length)
    throw new UserError(
      `${first.submitFile} now queues ${now.length} procs, job ${first.cluster} had ${first.procs.length}: rows are matched by line, so the table must keep one line per proc`,
      { hint: 'correct the values in place (no lines added or removed), or leave out --edited-values' },
    );
  return ran.map((proc) => {
    const vars = now[proc.proc]?.vars ?? proc.vars ?? {};
    const before: Record<string, string> = proc.vars ?? {};
    const changes = Object.entries(vars)
      .filter(([k, v]) => before[k] !== v)
      .map(([k, v]) => `${k} ${before[k] ?? '(unset)'} → ${v}`);
    say(`  proc ${proc.proc}: ${changes.length > 0 ? changes.join(', ') : 'no value changed'}`);
    return { ...proc, vars };
  });
}

/** As `submit --local` runs a submit file, with the first run's image and a record pointing back. */
function resubmitLocally(request: ResubmitRequest, file: ResubmitFile, batchName: string): Promise<number> {
  const { root, parsed, settings, say } = request;
  const { first } = file;
  const { resubmitOf } = file;
  return runLocalSubmit({
    root,
    submitFile: file.relSubmit,
    statements: readSubmitStatements(file.submitFile, file.relSubmit, false),
    // (A SIF pin runs here in the Docker image it was made from, as `submit --local` runs it without apptainer.)
    append: [
      ...(first.image ? [`container_image = docker://${first.image.reference}`] : []),
      ...(first.userAppend ?? []),
    ],
    defines: first.defines ?? {},
    batchName,
    record: null,
    gitRevision: async () => (await gitInfo(new Shell(), root)).revision,
    // The first submission passed preflight; this one runs what it ran.
    preflight: async () => [],
    formatChecklist: () => [],
    allowCpu: booleanOption(parsed, 'allow-cpu'),
    jobs: null,
    dryRun: false,
    json: settings.json,
    intervalMs: settings.intervalMs,
    noWait: booleanOption(parsed, 'no-wait'),
    argv: ['pixi', 'run', 'resubmit', ...process.argv.slice(2)],
    say,
    // The same keys as a pool resubmission's: its link back to the rows it runs again.
    printJson: (doc) => void process.stdout.write(`${JSON.stringify({ ...(doc as object), resubmitOf }, null, 2)}\n`),
    warn: (line) => void process.stderr.write(`${line}\n`),
    recordExtra: {
      image: first.image,
      resubmitOf,
      ...submissionInputs(first.defines ?? {}, first.userAppend ?? []),
    },
  });
}

/** What a resubmission may take up: rows that ended, or are held (the rest are still the queue's). */
const ENDED_OUTCOMES: ReadonlySet<ResultRow['outcome']> = new Set(['completed', 'failed', 'removed', 'held']);

async function resubmitToPool(
  request: ResubmitRequest,
  file: ResubmitFile,
  submission: { shell: Shell; argv: string[]; appendLines: string[]; batchName: string; submitId: string },
): Promise<number> {
  const { root, parsed, settings, say, which } = request;
  const { first, chosen, relSubmit, procList } = file;
  const { shell, argv, appendLines, batchName, submitId } = submission;
  // Read with no cluster yet; submitAndRecord reads it again with the one condor_submit gives.
  const preview = planSubmit(readSubmitStatements(file.submitFile, relSubmit, false), {
    submitFile: relSubmit,
    cwd: root,
    ...submitEnvironment(root),
    cluster: null,
    append: appendLines,
    defines: first.defines ?? {},
    batchName,
  });
  if (preview.procs.length !== chosen.length)
    throw new UserError(`the resubmit file reads as ${preview.procs.length} procs, not ${chosen.length}`, {
      file: relSubmit,
    });
  const git = await gitInfo(shell, root);
  // As submit does (submit-and-follow.ts): the tag first, condor_submit, the record; a record
  // that cannot be written leaves the tag, and `status` adopts the job by it (with its link
  // back to the first job). argv holds no secret (refused above): it is shown as it runs.
  const job: JobDraft = {
    submitFile: relSubmit,
    batchName,
    image: first.image,
    gitRevision: git.revision,
    command: argv,
    ...submissionInputs(first.defines ?? {}, first.userAppend ?? []),
    resubmitOf: file.resubmitOf,
  };
  const submitted = await submitAndRecord(
    shell,
    { root, submitId, job, append: appendLines, defines: first.defines ?? {}, previewProcs: preview.procs },
    say,
    (l) => void process.stderr.write(`${shell.mask(l)}\n`),
  );
  const { record } = submitted;
  say(
    `submitted job ${record.cluster} (${record.procs.length} proc${record.procs.length === 1 ? '' : 's'}), resubmitting procs ${procList} of job ${first.cluster}`,
  );
  if (which.held && chosen.some((r) => r.outcome === 'held'))
    say(
      `the held procs are still in the queue as ${chosen
        .filter((r) => r.outcome === 'held')
        .map((r) => r.ranAs)
        .join(' ')}: \`condor_rm\` them when you no longer need them`,
    );
  if (submitted.interrupted) {
    process.stderr.write(stillQueued(`stopped before watching (${submitted.interrupted})`, record.cluster));
    return EXIT_INTERRUPTED;
  }
  if (booleanOption(parsed, 'no-wait')) {
    if (settings.json)
      process.stdout.write(
        `${JSON.stringify({ cluster: record.cluster, local: false, watching: false, resubmitOf: record.resubmitOf }, null, 2)}\n`,
      );
    say(
      `follow it with \`pixi run status ${record.cluster}\`; \`pixi run results ${first.cluster}\` shows every row's newest outcome`,
    );
    return 0;
  }
  say();
  return watchJob({
    ...recordWatch(root, record),
    ...settings,
    referenceTime: Date.now(),
    probe: queueProbe(shell, record.cluster, root),
  });
}

function parseProcs(text: string): number[] {
  const procs = text.split(',').map((p) => p.trim());
  if (procs.some((p) => !/^\d+$/.test(p)))
    throw new UsageError(`--procs ${text}: give proc numbers separated by commas, e.g. 3,7`);
  return [...new Set(procs.map(Number))];
}
