// The submit file as validate reads it, with the one submit-language parser
// (scripts/lib/submit-language/submit-file.ts): its statements (for the planner, which knows where
// condor_submit looks for files) and the few commands validate checks by value. The last
// assignment of a key wins, keys are case-insensitive, `+Attr` and `MY.Attr` are one key.
// Columns are found on the physical line where a value or entry is written.
import { parseSubmitText, type AssignStatement, type Statement } from '../submit-language/submit-file.ts';

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
    const pattern = new RegExp(`(^|[=,\\s])(${entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})(?=$|[,\\s\\\\])`);
    for (const assignment of [...assignments].reverse()) {
      for (let index = assignment.line - 1; index < source.lines.length; index++) {
        const text = source.lines[index]!;
        // The parser skips a comment line inside a continued statement; so does the search.
        if (index > assignment.line - 1 && /^\s*#/.test(text)) continue;
        const from = index === assignment.line - 1 ? valueColumn(source.lines, assignment) - 1 : 0;
        const match = pattern.exec(text.slice(from));
        if (match) return { line: index + 1, column: from + match.index + match[1]!.length + 1 };
        if (!/\\\s*$/.test(text)) break;
      }
    }
  }
  const last = assignments[assignments.length - 1]!;
  return { line: last.line, column: valueColumn(source.lines, last) };
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
