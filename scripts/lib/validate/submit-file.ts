// The submit file as validate reads it, with the one submit-language parser
// (scripts/lib/submit-language/submit-file.ts): its statements (for the planner, which knows where
// condor_submit looks for files) and the few commands validate checks by value. The last
// assignment of a key wins, keys are case-insensitive, `+Attr` and `MY.Attr` are one key.
// Columns are found on the physical line where a value or entry is written.
import { parseSubmitText, type AssignStatement, type Statement } from '../submit-language/submit-file.ts';
import { BoundedReadError, readBoundedText } from '../bounded-read.ts';
import { MAX_SUBMIT_FILE_BYTES } from '../submit-language/submit-source.ts';
import { getenvSecretMessage, getenvSecrets } from '../submit-language/getenv.ts';
import type { SecretEnvironment } from '../secret-mask.ts';

export interface SubmitEntry {
  /** Lower-cased key; `+Attr` and `MY.Attr` are both `+attr`. */
  key: string;
  value: string;
  /** 1-based line and column where the value starts. */
  line: number;
  column: number;
}

export type SubmitCommands = Map<string, SubmitEntry>;

export interface SubmitSource {
  statements: Statement[];
  commands: SubmitCommands;
  /** The file's physical lines, to place findings. */
  lines: string[];
}

/**
 * The submit file's text, bounded as the submit reader bounds it (a regular file of at most
 * 4 MiB: `submit-file = "/dev/zero"` must not hang validate); null when it does not exist.
 */
export function readSubmitFileText(path: string): { text: string } | { missing: true } | { problem: string } {
  try {
    return { text: readBoundedText(path, MAX_SUBMIT_FILE_BYTES) };
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    return error.problem === 'missing' ? { missing: true } : { problem: error.message };
  }
}

/** Throws the parser's UserError (file and line) for a line the submit language does not allow. */
export function readSubmitFile(text: string, file: string): SubmitSource {
  const lines = text.split(/\r?\n/);
  const statements = parseSubmitText(text, file);
  const commands: SubmitCommands = new Map();
  for (const statement of statements) {
    if (statement.kind !== 'assign') continue;
    const lower = statement.key.toLowerCase();
    const key = lower.startsWith('my.') ? '+' + lower.slice(3) : lower;
    commands.set(key, { key, value: statement.value, line: statement.line, column: valueColumn(lines, statement) });
  }
  return { statements, commands, lines };
}

function valueColumn(lines: string[], statement: AssignStatement): number {
  const assign = /^\s*[^=\s]+\s*@?=\s*/.exec(lines[statement.line - 1] ?? '');
  return (assign?.[0].length ?? 0) + 1;
}

/**
 * Where the file writes `entry` as a value of one of `keys` (lower case): the last assignment
 * that contains it, searched on each physical line of a continued statement; the value's start
 * when no assignment shows it literally (a macro made it); null when no key is assigned here.
 */
export function locateEntry(
  source: SubmitSource,
  keys: string[],
  entry: string | null,
): { line: number; column: number } | null {
  const assignments = source.statements.filter(
    (s): s is AssignStatement => s.kind === 'assign' && keys.includes(s.key.toLowerCase()),
  );
  if (assignments.length === 0) return null;
  if (entry !== null) {
    for (const assignment of [...assignments].reverse()) {
      for (let index = assignment.line - 1; index < source.lines.length; index++) {
        const text = source.lines[index]!;
        // The parser skips a comment line inside a continued statement; so does the search.
        if (index > assignment.line - 1 && /^\s*#/.test(text)) continue;
        const from = index === assignment.line - 1 ? valueColumn(source.lines, assignment) - 1 : 0;
        const at = findEntry(text, entry, from);
        if (at >= 0) return { line: index + 1, column: at + 1 };
        if (!/\\\s*$/.test(text)) break;
      }
    }
  }
  const last = assignments[assignments.length - 1]!;
  return { line: last.line, column: valueColumn(source.lines, last) };
}

/**
 * Where `entry` stands alone in `text` at or after `from` (after `=`, `,`, white space or the
 * start; before `,`, white space, `\\` or the end), or -1. A scan, not a regular expression built
 * from the entry: a 64 KiB entry made one too large to compile.
 */
function findEntry(text: string, entry: string, from: number): number {
  if (entry === '') return -1;
  for (let at = text.indexOf(entry, from); at >= 0; at = text.indexOf(entry, at + 1)) {
    const before = at === from ? '' : text[at - 1]!;
    const after = text[at + entry.length] ?? '';
    if ((at === from || /[=,\s]/.test(before)) && (after === '' || /[,\s\\]/.test(after))) return at;
  }
  return -1;
}

/** `docker://ghcr.io/a/b:tag@sha256:...` -> repository `ghcr.io/a/b`; null when not a docker image. */
export function imageRepository(containerImage: string): string | null {
  const match = /^(?:docker:\/\/)?([^\s@:]+(?::\d+)?(?:\/[^\s@:]+)*)(?::[^\s@/]+)?(?:@sha256:[0-9a-f]+)?$/i.exec(
    containerImage.trim().replace(/^"|"$/g, ''),
  );
  if (!match) return null;
  if (/^[a-z]+:\/\//i.test(containerImage.trim()) && !/^docker:\/\//i.test(containerImage.trim())) return null;
  return match[1]!;
}

/** A finding of the submit file itself (validate turns it into an issue at file:line:col). */
export interface SubmitFinding {
  rule: string;
  message: string;
  hint: string;
  line: number;
  column: number;
}

/**
 * A GPU job that declares neither a job-length class nor self-checkpointing is ended or held at
 * the pool's limit and restarts from zero after an eviction (issue 10): CHTC's `+GPUJobLength`
 * (short 12 h / medium 24 h, the default / long 7 days), the OSPool's `+JobDurationCategory`
 * (Medium: held at 20 h, Long: held at 40 h), or `checkpoint_exit_code`. Only where
 * `request_gpus` asks for at least one GPU.
 */
export function checkJobLength(source: SubmitSource): SubmitFinding | null {
  const gpus = source.commands.get('request_gpus') ?? source.commands.get('requestgpus');
  if (!gpus || /^0*$/.test(gpus.value.trim())) return null;
  const declared = ['+gpujoblength', '+jobdurationcategory', 'checkpoint_exit_code'].some((key) => {
    const entry = source.commands.get(key);
    return entry !== undefined && entry.value.trim() !== '';
  });
  if (declared) return null;
  return {
    rule: 'submit/job-length',
    message:
      'this GPU job declares no job length (+GPUJobLength on CHTC, +JobDurationCategory on the OSPool) and does not checkpoint (checkpoint_exit_code): the pool ends or holds it at its default limit (CHTC: 24 h, OSPool: held at 20 h) and an eviction restarts it from zero',
    hint: 'add +GPUJobLength = "short" (CHTC) or +JobDurationCategory = "Medium" (OSPool), and checkpoint_exit_code with transfer_checkpoint_files for runs that may be longer (docs/long-runs.md)',
    line: gpus.line,
    column: gpus.column,
  };
}

/**
 * `getenv` that would copy a secret into the job (issue 18): the token keys, the keys of
 * `.env`, or a variable whose value holds a token. On a pool condor_submit puts what getenv
 * copies in the job ad (submit_utils.cpp:1820-1840), readable by every pool user.
 */
export function checkGetenvSecrets(
  source: SubmitSource,
  secrets: SecretEnvironment,
  env: NodeJS.ProcessEnv,
): SubmitFinding | null {
  const found = getenvSecrets(source.statements, [], env, secrets);
  if (!found) return null;
  const at = source.commands.get('getenv');
  return {
    rule: 'submit/getenv-secret',
    ...getenvSecretMessage(found),
    line: at?.line ?? found.line ?? 1,
    column: at?.column ?? 1,
  };
}
