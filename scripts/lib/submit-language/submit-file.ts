// The submit description language, read into statements (htcondor.md §b): case-insensitive
// keys, `#` comment lines (no trailing comments), backslash continuation (a comment line right
// after a `\` is skipped), `key @=tag` … `@tag` values, `+Attr`/`MY.Attr`, `include : file`,
// if/elif/else/endif, and queue statements with their `( ... )` item lists. What we do not
// understand is a UserError naming the file and line, never a guess.
import { UserError } from '../errors.ts';

export interface AssignStatement {
  kind: 'assign';
  /** As written, `+X` turned into `MY.X`. */
  key: string;
  value: string;
  line: number;
}

export interface QueueStatement {
  kind: 'queue';
  /** Everything after the `queue` keyword on its line (continuations joined). */
  args: string;
  /** Lines of a `( ... )` list that followed, trimmed, comments and blanks dropped. */
  listLines: string[] | null;
  line: number;
}

export interface ControlStatement {
  kind: 'if' | 'elif' | 'else' | 'endif';
  condition: string;
  line: number;
}

export interface IncludeStatement {
  kind: 'include';
  target: string;
  line: number;
}

export type Statement = AssignStatement | QueueStatement | ControlStatement | IncludeStatement;

export function submitError(message: string, file: string, line: number, hint?: string): UserError {
  return new UserError(message, {
    file,
    line,
    hint: hint ?? 'see docs/submit.md for the submit-file features pixi-condor reads',
    exitCode: 2,
  });
}

/** Physical lines → logical lines with their first line number. */
function logicalLines(text: string): { text: string; line: number }[] {
  const raw = text.split(/\r?\n/);
  const out: { text: string; line: number }[] = [];
  for (let i = 0; i < raw.length; i++) {
    const start = i + 1;
    let line = raw[i]!;
    while (/\\\s*$/.test(line) && i + 1 < raw.length) {
      line = line.replace(/\\\s*$/, '');
      i++;
      // A comment line right after a continuation is skipped; the continuation goes on.
      while (i < raw.length && /^\s*#/.test(raw[i]!)) {
        if (!/\\\s*$/.test(raw[i]!)) {
          i++;
          break;
        }
        i++;
      }
      if (i < raw.length) line += raw[i]!.replace(/^\s+/, '');
      else break;
    }
    out.push({ text: line, line: start });
  }
  return out;
}

const CONTROL = /^(if|elif|else|endif)\b\s*(.*)$/i;
const INCLUDE = /^include\s*:\s*(.*)$/i;
const QUEUE = /^queue(?:\s+(.*))?$/i;
const ASSIGN = /^([+A-Za-z0-9_.]+)\s*(@?=)\s*(.*)$/;

export function parseSubmitText(text: string, file: string): Statement[] {
  const lines = logicalLines(text);
  const statements: Statement[] = [];
  for (let i = 0; i < lines.length; i++) {
    const { text: rawLine, line } = lines[i]!;
    const trimmed = rawLine.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    let m: RegExpExecArray | null;
    if ((m = QUEUE.exec(trimmed))) {
      let args = (m[1] ?? '').trim();
      let listLines: string[] | null = null;
      // `( ...` with no closing `)` on the line: the items follow, one per line, up to `)`.
      const open = args.lastIndexOf('(');
      if (open >= 0 && args.indexOf(')', open) < 0) {
        const first = args.slice(open + 1).trim();
        args = args.slice(0, open + 1) + ')';
        listLines = first ? [first] : [];
        let closed = false;
        for (i++; i < lines.length; i++) {
          const item = lines[i]!.text.trim();
          if (item.startsWith(')')) {
            closed = true;
            break;
          }
          if (item !== '' && !item.startsWith('#')) listLines.push(item);
        }
        if (!closed)
          throw submitError(
            "the queue statement's item list has no closing `)`",
            file,
            line,
            'end the list with a line that starts with `)`',
          );
      }
      statements.push({ kind: 'queue', args, listLines, line });
    } else if ((m = CONTROL.exec(trimmed)) && !/^\w+\s*=/.test(trimmed)) {
      statements.push({ kind: m[1]!.toLowerCase() as ControlStatement['kind'], condition: m[2]!.trim(), line });
    } else if ((m = INCLUDE.exec(trimmed))) {
      statements.push({ kind: 'include', target: m[1]!.trim(), line });
    } else if ((m = ASSIGN.exec(trimmed))) {
      let key = m[1]!;
      let value = m[3]!.trim();
      if (key.startsWith('+')) key = `MY.${key.slice(1)}`;
      if (m[2] === '@=') {
        // `key @=tag` ... `@tag`: the lines between are the value, as written.
        const tag = value;
        const body: string[] = [];
        let closed = false;
        for (i++; i < lines.length; i++) {
          if (lines[i]!.text.trim() === `@${tag}`) {
            closed = true;
            break;
          }
          body.push(lines[i]!.text);
        }
        if (!closed) throw submitError(`the multi-line value of '${key}' has no closing @${tag}`, file, line);
        value = body.join('\n');
      }
      statements.push({ kind: 'assign', key, value, line });
    } else {
      throw submitError(
        `cannot read this line: '${trimmed.length > 60 ? trimmed.slice(0, 57) + '...' : trimmed}'`,
        file,
        line,
        'submit-file lines are `key = value`, `queue ...`, `include : file`, if/else/endif, or `#` comments',
      );
    }
  }
  return statements;
}
