// From submit statements to the procs condor_submit will queue: walks the file in order
// (assignments, include, if/else, -append lines just before the first queue), and at each
// queue statement expands every command per proc, so the log, output, error, executable,
// arguments and transfer files are known before submitting. `classAd` holds the job-ad
// attributes we model, written as condor_submit -dry-run writes them (the regress_dry oracle
// in the tests compares them). Nothing read is dropped silently: `error :` stops the plan with the
// author's message, `warning :` and what condor_submit would warn about (an unused line, a surprise
// in the queue items) are `warnings`; credentials are masked in everything the plan holds.
import { isAbsolute, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import type { ProcRecord } from '../jobs/job-store.ts';
import { ArgumentsError, readArguments, renderV2 } from './submit-args.ts';
import { isSubmitCommand } from './submit-commands.ts';
import {
  parseSubmitText,
  shownKey,
  submitError,
  type IncludeStatement,
  type MessageStatement,
  type QueueStatement,
  type Statement,
  type UseStatement,
} from './submit-file.ts';
import { expandMacros, MacroError, shownText, type MacroScope } from './submit-macros.ts';
import { parseQueueArgs, queueRows, type QueueNotice, type QueueRow } from './submit-queue.ts';
import { MASK, SecretMask, tokenValues } from '../secret-mask.ts';
import { isCredentialKey } from './submit-secrets.ts';
import { ConditionStack, evaluateCondition } from './submit-conditions.ts';
import { type Assignment, MacroTable, type ReadingAt } from './submit-macro-table.ts';
import { BoundedReadError, readBoundedText } from '../bounded-read.ts';
import { MAX_SIZE_TEXT, readSize, sizeIn } from '../sizes.ts';
import { MAX_SUBMIT_FILE_BYTES } from './submit-source.ts';
import { remapPairs } from './output-remaps.ts';

export interface ProcSpec extends ProcRecord {
  universe: string;
  batchName: string | null;
  containerImage: string | null;
  /** false: `transfer_executable = false`, the executable is a path on the execute machine. */
  transferExecutable: boolean;
  /**
   * `shell = command`: run as `/bin/sh -c command` in place of executable/arguments
   * (submit_utils.cpp SetExecutable ~4459, SetArguments ~3653); `executable` is then `/bin/sh`,
   * not transferred, and `arguments` is `['-c', command]`.
   */
  shell: string | null;
  /** `input`: the file the job reads as its stdin, against initialdir (null: none, or /dev/null). */
  input: string | null;
  /** Job-ad attributes as condor_submit writes them (values in ClassAd syntax). */
  classAd: Record<string, string>;
  /** The commands named in PlanOptions.expand that the file sets, expanded for this proc (keys lower case). */
  expanded?: Record<string, string>;
}

export interface PlanOptions {
  /** The submit file as passed to condor_submit (relative to cwd, or absolute). */
  submitFile: string;
  /** condor_submit's working directory. */
  cwd: string;
  /** The cluster id; null before submitting (then $(Cluster) reads as `$(Cluster)`). */
  cluster: number | null;
  /** `-append` lines, read just before the first queue statement. */
  append?: string[];
  /** `name=value` command-line definitions, read before the file. */
  defines?: Record<string, string>;
  /** -batch-name */
  batchName?: string;
  /**
   * What `$ENV()` reads: condor_submit's environment (secret-mask.ts submitEnvironment), never
   * process.env as it is (it holds the workspace's secrets): required, so no caller forgets it.
   */
  env: NodeJS.ProcessEnv;
  /** Variables left out of `env` as secrets: `$ENV()` of one reads as unset, with a warning. */
  withheld?: ReadonlySet<string>;
  /** Tokens masked in every message, beside those in `env`. */
  tokens?: readonly string[];
  /** Refuse more procs than this (a runaway `queue N`). */
  maxProcs?: number;
  /** Further commands to expand per proc into ProcSpec.expanded (the local runner's `environment`, policies...). */
  expand?: readonly string[];
}

/** What condor_submit would warn about, or the file's own `warning :` statements. */
export interface SubmitWarning {
  rule:
    | 'submit/warning-statement'
    | 'submit/unused-line'
    | 'submit/queue-items'
    | 'submit/credential-in-job'
    | 'submit/secret-withheld'
    | 'submit/dotenv-in-job';
  message: string;
  file: string;
  line?: number;
  hint?: string;
}

export interface SubmitPlan {
  procs: ProcSpec[];
  universe: string;
  warnings: SubmitWarning[];
}

/** scheduler: the job runs on the access point's schedd (condor_submit_dag writes it for DAGMan). */
const SUPPORTED_UNIVERSES = new Set(['vanilla', 'container', 'docker', 'scheduler']);

/** condor_utils/condor_universe.cpp: the JobUniverse numbers condor_submit writes. */
const UNIVERSE_NUMBER: Record<string, string> = { vanilla: '5', container: '5', docker: '5', scheduler: '7' };

/**
 * The universe as SetUniverse decides it (submit_utils.cpp:4590-4715): docker and container are
 * vanilla toppings; in vanilla (or no universe) an image makes a container job (WantContainer,
 * and WantDockerImage for docker_image); docker_image beside container_image, container_image in
 * docker universe, and an instance://, library:// or shub:// image (check_container_image,
 * :4354-4372) are refused.
 */
function readUniverse(command: (name: string) => string | undefined, ad: Record<string, string>): string {
  const stated = command('universe')?.toLowerCase();
  const containerImage = command('container_image');
  const dockerImage = command('docker_image');
  if (containerImage && /^(instance|library|shub):\/\//.test(containerImage.replace(/^"|"$/g, '')))
    throw new MacroError(`'${shownText(containerImage)}' is not a valid container image (condor_submit refuses it)`);
  // A stated `vanilla` stays the universe here; WantContainer says it is a container job
  // (submit --local runs it in its image, local-submit.ts runsInContainer).
  const universe = stated ?? (dockerImage || containerImage ? 'container' : 'vanilla');
  if (universe === 'docker') {
    if (containerImage) throw new MacroError('docker universe does not allow use of container_image (condor_submit)');
    ad.WantDocker = 'true';
  } else if (universe === 'vanilla' || universe === 'container') {
    if (dockerImage && containerImage)
      throw new MacroError('cannot declare both docker_image and container_image (condor_submit)');
    if (universe === 'container' || dockerImage || containerImage) ad.WantContainer = 'true';
    if (dockerImage) ad.WantDockerImage = 'true';
  }
  const number = UNIVERSE_NUMBER[universe];
  if (number) ad.JobUniverse = number;
  return universe;
}

/** Commands and the other names condor_submit accepts for them (job-ad attribute names too). */
const ALIASES: Record<string, string[]> = {
  executable: ['executable'],
  shell: ['shell'],
  arguments: ['arguments', 'args'],
  arguments2: ['arguments2'],
  initialdir: ['initialdir', 'initial_dir', 'iwd'],
  log: ['log', 'userlog'],
  output: ['output', 'out'],
  error: ['error', 'err'],
  transfer_input_files: ['transfer_input_files', 'transferinput'],
  transfer_output_files: ['transfer_output_files', 'transferoutput'],
  transfer_executable: ['transfer_executable', 'transferexecutable'],
  should_transfer_files: ['should_transfer_files', 'shouldtransferfiles'],
  stream_output: ['stream_output', 'streamout'],
  stream_error: ['stream_error', 'streamerr'],
  universe: ['universe'],
  container_image: ['container_image', 'containerimage'],
  docker_image: ['docker_image', 'dockerimage'],
  batch_name: ['batch_name', 'jobbatchname'],
  request_cpus: ['request_cpus', 'requestcpus'],
  request_memory: ['request_memory', 'requestmemory'],
  request_disk: ['request_disk', 'requestdisk'],
  request_gpus: ['request_gpus', 'requestgpus'],
  hold: ['hold'],
  transfer_output_remaps: ['transfer_output_remaps', 'transferoutputremaps'],
  output_destination: ['output_destination', 'outputdestination'],
};

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(true|yes|1|t)$/i.test(value.trim());
}

// Sizes follow one rule for the submit file and `release` (sizes.ts).
export { sizeIn };

/**
 * request_memory / request_disk by the one size rule: null when absent or not a size (left to
 * condor_submit's own reading, as before); above the maximum, refused at the line that set it.
 */
function requestSize(
  name: 'request_memory' | 'request_disk',
  text: string | undefined,
  table: Map<string, Assignment>,
  submitFile: string,
): number | null {
  if (!text) return null;
  const read = readSize(text, name === 'request_memory' ? 1024 : 1);
  if ('value' in read) return read.value;
  if (read.problem === 'not-a-size') return null;
  throw submitError(
    `${name} = ${shownText(text)} is more than ${MAX_SIZE_TEXT}, more than any execute point has: the job would never run`,
    ...assignedAt(table, name, submitFile),
    `ask for what the job needs, e.g. ${name} = ${name === 'request_memory' ? '16GB' : '20GB'}`,
  );
}

/** Where an error about a command's value points: its last assignment (the submit file's top when none). */
function assignedAt(table: Map<string, Assignment>, name: string, submitFile: string): [string, number] {
  const at = latestAssignment(table, name);
  return [at?.source ?? submitFile, at?.line ?? 0];
}

/** The last assignment of a command among its aliases. */
function latestAssignment(table: Map<string, Assignment>, name: string): Assignment | undefined {
  let at: Assignment | undefined;
  for (const alias of ALIASES[name] ?? [name]) {
    const hit = table.get(alias);
    if (hit && (!at || hit.seq > at.seq)) at = hit;
  }
  return at;
}

/**
 * A file list command (transfer_input_files, transfer_output_files, transfer_checkpoint_files)
 * as condor_submit reads it: trimmed, one pair of quotes around the whole value taken off
 * (submit_utils.cpp trim_and_strip_quotes_in_place), then split on commas, each name trimmed.
 */
export function splitFileList(value: string | undefined): string[] {
  let text = (value ?? '').trim();
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1);
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== '""');
}

/** `fromConfig`: the path came from pixi.toml rather than the command line (the hint says where to fix it). */
export function readSubmitStatements(path: string, display: string, fromConfig = true): Statement[] {
  return parseSubmitText(readSubmitSource(path, display, fromConfig), display);
}

/** A submit file's text, bounded; a file that cannot be read is a UserError (exit 2) naming it. */
export function readSubmitSource(path: string, display: string, fromConfig = true): string {
  try {
    return readBoundedText(path, MAX_SUBMIT_FILE_BYTES);
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    throw new UserError(`the submit file ${shownText(display)} ${error.message}`, {
      hint: fromConfig
        ? 'check [tool.pixi-condor] submit-file in pixi.toml'
        : 'name a submit file that exists, or leave it out to use the one pixi.toml names',
      exitCode: 2,
    });
  }
}

function readIncludedStatements(path: string, display: string, from: string, line: number): Statement[] | null {
  let text: string;
  try {
    text = readBoundedText(path, MAX_SUBMIT_FILE_BYTES);
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    if (error.problem === 'missing') return null;
    throw submitError(`the included file ${shownText(display)} ${error.message}`, from, line);
  }
  return parseSubmitText(text, display);
}

export function planSubmit(statements: Statement[], options: PlanOptions): SubmitPlan {
  const secrets = new SecretMask([...tokenValues(options.env), ...(options.tokens ?? [])]);
  try {
    const plan = planStatements(statements, options, secrets);
    for (const warning of plan.warnings) {
      warning.message = secrets.mask(warning.message);
      if (warning.hint) warning.hint = secrets.mask(warning.hint);
    }
    return plan;
  } catch (error) {
    // Every message leaves masked: a credential may have reached it through $ENV or an include.
    if (error instanceof UserError) {
      const masked = new UserError(secrets.mask(error.message), {
        hint: error.hint === undefined ? undefined : secrets.mask(error.hint),
        exitCode: error.exitCode,
        file: error.file,
        line: error.line,
        column: error.column,
      });
      throw masked;
    }
    throw error;
  }
}

function statementText(statement: Statement): string {
  switch (statement.kind) {
    case 'assign':
      return statement.value;
    case 'queue':
      return [statement.args, ...(statement.listLines ?? [])].join('\n');
    case 'include':
      return statement.target;
    case 'error':
    case 'warning':
    case 'use':
      return statement.text;
    default:
      return statement.condition;
  }
}

/** Names a text refers to as macros: `$(NAME…` and the identifiers inside `$FN(…)`. */
function referencedNames(text: string, into: Set<string>): void {
  if (!text.includes('$')) return;
  for (const m of text.matchAll(/\$\(\s*([A-Za-z_][\w.]*)/g)) into.add(m[1]!.toLowerCase());
  for (const m of text.matchAll(/\$[A-Za-z_]+\(([^()]*)/g))
    for (const word of m[1]!.matchAll(/[A-Za-z_][\w.]*/g)) into.add(word[0].toLowerCase());
}

/** One plan's state, shared by its steps (the statement handlers, the queue expander, finishPlan). */
interface PlanContext {
  options: PlanOptions;
  file: string;
  macros: MacroTable;
  conditions: ConditionStack;
  procs: ProcSpec[];
  warnings: SubmitWarning[];
  /** Every macro name the file's read statements refer to (condor_submit's unused-line check). */
  referenced: Set<string>;
  at: ReadingAt;
  /** The macro table's seq at the last queue statement. */
  lastQueueSeq: number | null;
  /** The -append lines were read (at the first queue statement). */
  appended: boolean;
  maxProcs: number;
}

function planStatements(statements: Statement[], options: PlanOptions, secrets: SecretMask): SubmitPlan {
  const file = options.submitFile;
  const warnings: SubmitWarning[] = [];
  const at: ReadingAt = { file, line: undefined };
  const macros = new MacroTable(file, options.cwd, options.env, secrets, warnings, at, options.withheld);
  for (const [key, value] of Object.entries(options.defines ?? {})) macros.assign(key, value);
  const ctx: PlanContext = {
    options,
    file,
    macros,
    conditions: new ConditionStack(),
    procs: [],
    warnings,
    referenced: new Set(),
    at,
    lastQueueSeq: null,
    appended: false,
    maxProcs: options.maxProcs ?? 100_000,
  };
  walk(statements, file, 0, ctx);
  return finishPlan(ctx);
}

type Handled = Exclude<Statement['kind'], 'if' | 'elif' | 'else' | 'endif'>;
type Handler<K extends Handled> = (
  statement: Extract<Statement, { kind: K }>,
  source: string,
  depth: number,
  ctx: PlanContext,
) => void;

/** The statements read in order; MacroError and ArgumentsError become a submit error at the statement once, here. */
function walk(list: Statement[], source: string, depth: number, ctx: PlanContext): void {
  for (const statement of list) {
    ctx.at.file = source;
    ctx.at.line = statement.line;
    try {
      if (readCondition(statement, source, ctx)) continue;
      if (!ctx.conditions.active()) continue;
      referencedNames(statementText(statement), ctx.referenced);
      const handler = STATEMENT_HANDLERS[statement.kind as Handled] as Handler<Handled>;
      handler(statement as Extract<Statement, { kind: Handled }>, source, depth, ctx);
    } catch (error) {
      if (error instanceof MacroError || error instanceof ArgumentsError)
        throw submitError(error.message, source, statement.line);
      throw error;
    }
  }
}

/** if/elif/else/endif move the condition stack; true when the statement was one of them. */
function readCondition(statement: Statement, source: string, ctx: PlanContext): boolean {
  // `if defined NAME` uses NAME, as condor_submit's lookup counts it (no unused-line warning).
  const evaluate = (condition: string) => () =>
    evaluateCondition(condition, source, statement.line, ctx.macros, (name) => ctx.referenced.add(name));
  switch (statement.kind) {
    case 'if':
      ctx.conditions.enter(evaluate(statement.condition), statement.line);
      return true;
    case 'elif':
    case 'else':
      ctx.conditions.branch(statement.kind, evaluate(statement.condition), source, statement.line);
      return true;
    case 'endif':
      ctx.conditions.close(source, statement.line);
      return true;
    default:
      return false;
  }
}

/** config.cpp ~1674: the message is macro-expanded; `error` stops reading, `warning` goes on. */
function readMessage(statement: MessageStatement, source: string, _depth: number, ctx: PlanContext): void {
  const message = expandMacros(statement.text, ctx.macros.staticScope).trim();
  if (statement.kind === 'error')
    throw submitError(
      message || '(an `error :` statement with no message)',
      source,
      statement.line,
      'the submit file stops itself here with `error :`, as condor_submit would; see the condition that leads to it',
    );
  ctx.warnings.push({
    rule: 'submit/warning-statement',
    message: message || '(a `warning :` statement with no message)',
    file: source,
    line: statement.line,
  });
}

function refuseUse(statement: UseStatement, source: string): void {
  throw submitError(
    "`use …` applies a configuration template of the access point's HTCondor; pixi-condor cannot see those templates",
    source,
    statement.line,
    'write the commands the template would set into the submit file',
  );
}

function readInclude(statement: IncludeStatement, source: string, depth: number, ctx: PlanContext): void {
  const target = expandMacros(statement.target, ctx.macros.staticScope).trim();
  if (statement.command || statement.into !== null || target.endsWith('|'))
    throw submitError(
      '`include command : …` (or `include : … |`) runs a command when submitting; pixi-condor does not run it and cannot read its output',
      source,
      statement.line,
      'write the commands it prints into a file and `include :` that file',
    );
  if (depth > 10) throw submitError('includes nested too deep', source, statement.line);
  if (target === '') throw submitError('`include :` names no file', source, statement.line);
  const path = isAbsolute(target) ? target : resolve(ctx.options.cwd, target);
  const included = readIncludedStatements(path, target, source, statement.line);
  if (included === null) {
    if (statement.ifExists) return;
    throw submitError(`the included file ${shownText(target)} does not exist`, source, statement.line);
  }
  walk(included, target, depth + 1, ctx);
}

/** The -append lines are read once, just before the first queue statement (condor_submit -append). */
function applyAppendOnce(ctx: PlanContext): void {
  if (ctx.appended) return;
  ctx.appended = true;
  for (const line of ctx.options.append ?? []) {
    const m = /^\s*(\+?[A-Za-z0-9_.]+)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new UserError(`-append '${shownText(line)}' is not a \`key = value\` line`, { exitCode: 2 });
    ctx.macros.assign(m[1]!.startsWith('+') ? `MY.${m[1]!.slice(1)}` : m[1]!, m[2]!.trim());
  }
}

const STATEMENT_HANDLERS: { [K in Handled]: Handler<K> } = {
  error: readMessage,
  warning: readMessage,
  use: refuseUse,
  include: readInclude,
  assign: (s, source, _depth, ctx) => ctx.macros.assign(s.key, s.value, source, s.line, s.append, s.remove),
  queue: (s, source, _depth, ctx) => {
    applyAppendOnce(ctx);
    ctx.procs.push(...expandQueue(s, source, ctx));
  },
};

/** A queue statement's procs: one per item row and step, every command expanded in that proc's scope. */
function expandQueue(statement: QueueStatement, source: string, ctx: PlanContext): ProcSpec[] {
  const { options, macros } = ctx;
  const line = statement.line;
  // An executable assigned after an earlier queue statement starts another cluster.
  const exeSeq = macros.table.get('executable')?.seq ?? -1;
  if (ctx.lastQueueSeq !== null && exeSeq >= ctx.lastQueueSeq) {
    throw submitError(
      'this queue statement follows a new executable, which makes a second cluster; pixi-condor tracks one cluster per submission',
      source,
      line,
      'split the submit file in two',
    );
  }
  ctx.lastQueueSeq = macros.seq;
  // The queue line is expanded whole before it is read (parse_q_args, submit_utils.cpp:9503), so
  // `queue 2 $(names) from list` works; the lines of a `( … )` list are not (see queueRows).
  const spec = parseQueueArgs(expandMacros(statement.args, macros.staticScope), statement.listLines);
  const notices: QueueNotice[] = [];
  const { count, rows } = queueRows(spec, (text) => text, options.cwd, notices);
  for (const notice of notices)
    ctx.warnings.push({
      rule: 'submit/queue-items',
      message: notice.message,
      file: notice.file ?? source,
      line: notice.line ?? line,
    });
  // The limit before the work: `queue 4294967296` planned 100,000 procs (11 s, 715 MB) first.
  if (ctx.procs.length + rows.length * count > ctx.maxProcs)
    throw submitError(
      `this queue statement makes ${rows.length * count} procs, more than ${ctx.maxProcs}: pixi-condor tracks at most that many per submission`,
      source,
      line,
      'split the sweep into several submissions',
    );
  const out: ProcSpec[] = [];
  for (const row of rows) {
    for (let step = 0; step < count; step++) {
      const proc = ctx.procs.length + out.length;
      if (proc >= ctx.maxProcs)
        throw submitError(
          `more than ${ctx.maxProcs} procs: pixi-condor tracks at most that many per submission`,
          source,
          line,
        );
      const vars = new Map(Object.entries(row.values).map(([k, v]) => [k.toLowerCase(), v]));
      const scope = procScope(row, step, proc, vars, ctx);
      const command = commandReader(macros.table, vars, scope, ctx.at);
      const spec = procSpec(proc, command, macros.table, scope, options);
      // The row's values as the queue statement named them: `results` and `resubmit` use them.
      if (Object.keys(row.values).length > 0) spec.vars = { ...row.values };
      if (options.expand) {
        spec.expanded = {};
        for (const name of options.expand) {
          const value = command(name.toLowerCase());
          if (value !== undefined) spec.expanded[name.toLowerCase()] = value;
        }
      }
      if (!SUPPORTED_UNIVERSES.has(spec.universe)) {
        throw submitError(
          `universe '${shownText(spec.universe)}' is not supported: pixi-condor submits vanilla, container, docker and scheduler universe jobs`,
          source,
          line,
        );
      }
      out.push(spec);
    }
  }
  return out;
}

/** The scope a proc's commands expand in: its row's variables, then the table; $(Process) and friends built in. */
function procScope(row: QueueRow, step: number, proc: number, vars: Map<string, string>, ctx: PlanContext): MacroScope {
  const { options, macros } = ctx;
  const builtin = (name: string): string | undefined => {
    const lower = name.toLowerCase();
    // Before submitting the cluster is unknown: it reads as `$(Cluster)` in the preview.
    if (lower === 'cluster' || lower === 'clusterid')
      return options.cluster === null ? '$(Cluster)' : String(options.cluster);
    if (lower === 'process' || lower === 'procid') return String(proc);
    if (lower === 'jobid') return `${options.cluster ?? '$(Cluster)'}.${proc}`;
    if (lower === 'step') return String(step);
    if (lower === 'itemindex') return String(row.itemIndex);
    if (lower === 'row') return String(row.row);
    return undefined;
  };
  const lookup = (name: string): string | undefined =>
    vars.get(name.toLowerCase()) ?? macros.macroValue(name.toLowerCase());
  // The table's own scope (cwd, env, the masks) with the proc's lookups.
  return { ...macros.staticScope, lookup, builtin };
}

/** A command's value for one proc: the row's variable or the latest assignment among its aliases, expanded. */
function commandReader(
  table: Map<string, Assignment>,
  vars: Map<string, string>,
  scope: MacroScope,
  at: ReadingAt,
): (name: string) => string | undefined {
  return (name) => {
    // A row's variable wins over any assignment (the queue statement sets it last).
    for (const alias of ALIASES[name] ?? [name])
      if (vars.has(alias)) return expandMacros(vars.get(alias)!, scope).trim();
    const best = latestAssignment(table, name);
    if (best === undefined) return undefined;
    at.file = best.source;
    at.line = best.line;
    try {
      return expandMacros(best.value, scope).trim();
    } catch (error) {
      if (error instanceof MacroError && best.line !== undefined)
        throw submitError(`${shownKey(best.key)}: ${error.message}`, best.source, best.line);
      throw error;
    }
  };
}

/** The end of the file: no open `if`, a queue statement that queued something, and the unused lines. */
function finishPlan(ctx: PlanContext): SubmitPlan {
  const { file, procs } = ctx;
  ctx.conditions.assertClosed(file);
  if (!ctx.appended)
    throw new UserError(`${file} has no queue statement: nothing would be submitted`, {
      file,
      hint: 'end the submit file with `queue` (or `queue N`)',
      exitCode: 2,
    });
  if (procs.length === 0)
    throw new UserError(`${file} queues no jobs (an empty queue statement)`, {
      file,
      hint: "check the queue statement's count and items",
      exitCode: 2,
    });
  ctx.warnings.push(...unusedLines(ctx.macros.table, ctx.referenced, procs[0]!));
  return { procs, universe: procs[0]!.universe, warnings: ctx.warnings };
}

/**
 * condor_submit's "the line 'KEY = VALUE' was unused by condor_submit. Is it a typo?"
 * (submit_utils.cpp SubmitHash::warn_unused ~9942): a key that is no submit command, no `+`/dotted
 * attribute and that no macro refers to. The value is not repeated (it may be a credential).
 * With `shell`, condor_submit never reads executable and arguments either.
 */
function unusedLines(table: Map<string, Assignment>, referenced: Set<string>, first: ProcSpec): SubmitWarning[] {
  const out: SubmitWarning[] = [];
  for (const [lower, assignment] of table) {
    if (assignment.line === undefined) continue; // -append lines and command-line definitions
    if (lower.includes('.') || referenced.has(lower)) continue;
    const shellIgnores = first.shell !== null && ['executable', 'arguments', 'args', 'arguments2'].includes(lower);
    if (isSubmitCommand(lower) && !shellIgnores) continue;
    out.push({
      rule: 'submit/unused-line',
      message: shellIgnores
        ? `${assignment.key} is ignored: \`shell\` runs its command under /bin/sh in place of executable and arguments`
        : `the line '${shownKey(assignment.key)} = …' is no submit command and no macro refers to it; condor_submit warns "was unused by condor_submit. Is it a typo?"`,
      file: assignment.source,
      line: assignment.line,
      hint: shellIgnores
        ? `remove ${assignment.key}, or remove shell`
        : 'check the spelling against the htcondor-jdl manual page, or remove the line',
    });
  }
  return out;
}

const SHOULD_TRANSFER: Readonly<Record<string, 'YES' | 'NO' | 'IF_NEEDED'>> = {
  YES: 'YES',
  TRUE: 'YES',
  ALWAYS: 'YES',
  NO: 'NO',
  FALSE: 'NO',
  NEVER: 'NO',
  IF_NEEDED: 'IF_NEEDED',
  AUTO: 'IF_NEEDED',
};

/**
 * should_transfer_files as condor_submit reads it (submit_utils.cpp, cases (A) and (F)): a word it
 * knows, as its canonical word; NO with a transfer_input_files or transfer_output_files refused.
 */
function shouldTransfer(
  value: string | undefined,
  inputs: boolean,
  outputs: boolean,
  table: Map<string, Assignment>,
  submitFile: string,
): 'YES' | 'NO' | 'IF_NEEDED' | null {
  if (value === undefined) return null;
  const where = (): [string, number] => assignedAt(table, 'should_transfer_files', submitFile);
  // enum_utils.cpp ShouldTransferFilesTranslation, read without case.
  const word = SHOULD_TRANSFER[value.toUpperCase()];
  if (word === undefined)
    throw submitError(
      `invalid value (${shownText(value)}) for should_transfer_files`,
      ...where(),
      'write YES, NO or IF_NEEDED',
    );
  if (word === 'NO' && (inputs || outputs)) {
    const lists = [inputs ? 'transfer_input_files' : null, outputs ? 'transfer_output_files' : null].filter(Boolean);
    throw submitError(
      `files are to be transferred (${lists.join(' and ')}) but should_transfer_files = NO: condor_submit refuses that`,
      ...where(),
      'write should_transfer_files = YES (or IF_NEEDED), or take the file lists out',
    );
  }
  return word;
}

function procSpec(
  proc: number,
  command: (name: string) => string | undefined,
  table: Map<string, Assignment>,
  scope: MacroScope,
  options: PlanOptions,
): ProcSpec {
  const ad: Record<string, string> = {};
  const universe = readUniverse(command, ad);
  const iwdRaw = command('initialdir');
  const iwd = iwdRaw ? resolve(options.cwd, iwdRaw) : options.cwd;
  ad.ClusterId = options.cluster === null ? '$(Cluster)' : String(options.cluster);
  ad.ProcId = String(proc);
  ad.Iwd = quote(iwd);
  ad.JobStatus = truthy(command('hold')) ? '5' : '1';

  const shell = command('shell') ?? null;
  let transferExecutable: boolean;
  let executable: string | null;
  let argv: string[];
  if (shell !== null) {
    // SetExecutable: Cmd = "/bin/sh", TransferExecutable = false; SetArguments: V2 `-c <shell>`.
    transferExecutable = false;
    executable = '/bin/sh';
    argv = ['-c', shell];
    ad.Cmd = quote(executable);
    ad.TransferExecutable = 'false';
    ad.Arguments = quote(renderV2(argv));
  } else {
    transferExecutable = !/^(false|no|0)$/i.test(command('transfer_executable') ?? 'true');
    const exeRaw = command('executable');
    executable = exeRaw ? (transferExecutable && !isAbsolute(exeRaw) ? resolve(options.cwd, exeRaw) : exeRaw) : null;
    ad.Cmd = quote(executable ?? '');
    const args = readArguments(command('arguments'), command('arguments2'));
    ad[args.attribute] = quote(args.text);
    argv = args.argv;
  }

  const fromIwd = (value: string | undefined): string | null =>
    value && value !== '/dev/null' ? resolve(iwd, value) : null;
  const log = command('log');
  if (log) ad.UserLog = quote(resolve(iwd, log));
  const output = command('output');
  const error = command('error');
  if (output) ad.Out = quote(output);
  if (error) ad.Err = quote(error);

  const inputs = splitFileList(command('transfer_input_files'));
  const outputsRaw = command('transfer_output_files');
  const outputs = outputsRaw === undefined ? null : splitFileList(outputsRaw);
  if (inputs.length > 0) ad.TransferInput = quote(inputs.join(','));
  if (outputs && outputs.length > 0) ad.TransferOutput = quote(outputs.join(','));
  const stf = command('should_transfer_files');
  // Written as condor_submit writes it: the word the value stands for (TRUE is YES).
  // An empty value is no value (submit_param); a quoted "" is one.
  const should = shouldTransfer(stf || undefined, inputs.length > 0, Boolean(outputsRaw), table, options.submitFile);
  if (should) ad.ShouldTransferFiles = quote(should);
  ad.StreamOut = truthy(command('stream_output')) ? 'true' : 'false';
  ad.StreamErr = truthy(command('stream_error')) ? 'true' : 'false';

  const containerImage = command('container_image') ?? null;
  if (containerImage) ad.ContainerImage = quote(containerImage);
  const dockerImage = command('docker_image');
  if (dockerImage) ad.DockerImage = quote(dockerImage);
  const batchName = options.batchName ?? command('batch_name')?.replace(/^"(.*)"$/, '$1') ?? null;
  if (batchName) ad.JobBatchName = quote(batchName);

  const memory = command('request_memory');
  const disk = command('request_disk');
  const gpus = command('request_gpus');
  const cpus = command('request_cpus');
  const memoryMb = requestSize('request_memory', memory, table, options.submitFile);
  const diskKb = requestSize('request_disk', disk, table, options.submitFile);
  if (memoryMb !== null) ad.RequestMemory = String(memoryMb);
  if (diskKb !== null) ad.RequestDisk = String(diskKb);
  if (gpus && /^\d+$/.test(gpus)) ad.RequestGPUs = gpus;
  if (cpus && /^\d+$/.test(cpus)) ad.RequestCpus = cpus;

  // +Attr / MY.Attr go into the ad as written; -Attr takes one out.
  for (const { key, value, remove } of table.values()) {
    if (!/^my\./i.test(key)) continue;
    if (remove) delete ad[key.slice(3)];
    else ad[key.slice(3)] = isCredentialKey(key) ? quote(MASK) : expandMacros(value, scope).trim();
  }

  const remaps = readRemaps(command('transfer_output_remaps'));
  return {
    proc,
    universe,
    ...(remaps ? { outputRemaps: remaps } : {}),
    outputDestination: command('output_destination') ?? null,
    requestMemoryMb: memoryMb,
    requestDiskKb: diskKb,
    log: log ? resolve(iwd, log) : null,
    output: fromIwd(output),
    error: fromIwd(error),
    input: fromIwd(command('input')),
    executable,
    arguments: argv,
    iwd,
    transferInputFiles: inputs,
    transferOutputFiles: outputs,
    batchName,
    containerImage,
    transferExecutable,
    shell,
    classAd: ad,
  };
}

/** A local file condor_submit will read or transfer for a proc, as it resolves the path. */
export interface LocalInput {
  /** Absolute path: the executable against condor_submit's cwd, inputs against the proc's initialdir. */
  path: string;
  /** A transfer_input_files item as written (macros expanded); the executable's resolved path. */
  entry: string;
  command: 'executable' | 'transfer_input_files' | 'input';
  /** The first proc that names it. */
  proc: number;
}

/** `scheme://...` entries are fetched by a plugin on the execute side, not read here. */
export function isUrl(entry: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(entry.trim());
}

/**
 * The local files the plan's procs need present before submitting, one entry per path (first
 * proc wins): the executable when it is transferred, and every transfer_input_files entry that
 * is not a URL. Paths still holding a macro known only at submit time ($(Cluster)) are left out.
 */
export function localInputs(plan: Pick<SubmitPlan, 'procs'>): LocalInput[] {
  const found = new Map<string, LocalInput>();
  const add = (path: string, entry: string, command: LocalInput['command'], proc: number): void => {
    if (entry.includes('$(') || found.has(path)) return;
    found.set(path, { path, entry, command, proc });
  };
  for (const proc of plan.procs) {
    if (proc.executable && proc.transferExecutable && !isUrl(proc.executable))
      add(resolve(proc.executable), proc.executable, 'executable', proc.proc);
    for (const entry of proc.transferInputFiles) {
      if (isUrl(entry)) continue;
      add(resolve(proc.iwd, entry.replace(/(.)\/+$/, '$1')), entry, 'transfer_input_files', proc.proc);
    }
    // The job's stdin: condor_submit refuses one that is not there (submit_utils.cpp SetStdin).
    if (proc.input) add(proc.input, proc.input, 'input', proc.proc);
  }
  return [...found.values()];
}

/** `"a = b; c=d"` → {a: 'b', c: 'd'} (output-remaps.ts), null when it names none. */
function readRemaps(value: string | undefined): Record<string, string> | null {
  const pairs = remapPairs(value);
  return pairs.length > 0 ? Object.fromEntries(pairs) : null;
}

/** The stored form of a proc (job record). */
export function procRecord(spec: ProcSpec): ProcRecord {
  const { proc, log, output, error, executable, arguments: argv, iwd, transferInputFiles, transferOutputFiles } = spec;
  const { vars, outputRemaps, outputDestination, requestMemoryMb, requestDiskKb } = spec;
  return {
    proc,
    log,
    output,
    error,
    executable,
    arguments: argv,
    iwd,
    transferInputFiles,
    transferOutputFiles,
    ...(vars ? { vars } : {}),
    ...(outputRemaps ? { outputRemaps } : {}),
    ...(outputDestination ? { outputDestination } : {}),
    ...(requestMemoryMb != null ? { requestMemoryMb } : {}),
    ...(requestDiskKb != null ? { requestDiskKb } : {}),
  };
}
