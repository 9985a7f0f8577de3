// The submit description language, read into statements as HTCondor's config parser reads a
// submit file (src/condor_utils/config.cpp Parse_macros, getline_implementation): case-insensitive
// keys, `#` comment lines (no trailing comments), backslash continuation (a comment line right after
// a `\` is skipped), `key @=tag` … `@tag` values, `key += value` (with a `,;|&*` separator),
// `+Attr`/`-Attr`/`MY.Attr`, `include [ifexist] [command] : target`, `error [code] : message`,
// `warning : message`, `use …`, if/elif/else/endif (a leading `:` on an if-body line is dropped),
// and queue statements with their `( ... )` item lists. A line we cannot read is a UserError naming
// the file and line, never a guess; it quotes nothing of the line (the file may be a .env).
import { UserError } from '../errors.ts';

export interface AssignStatement {
  kind: 'assign';
  /** As written, `+X` (and `-X`) turned into `MY.X`. */
  key: string;
  value: string;
  line: number;
  /** `key +<sep>= value`: appended to a non-empty previous value with this separator ('' when plain `=`). */
  append: string;
  /** `-Attr =`: removes the attribute from the job ad (config.cpp inserts MY.Attr with an empty value). */
  remove: boolean;
}

export interface QueueStatement {
  kind: 'queue';
  /** Everything after the `queue` keyword on its line (continuations joined). */
  args: string;
  /**
   * Lines of a `( ... )` list that followed, trimmed, comment lines dropped; blank lines are kept
   * as '' (condor_submit reads them as items of a `from` list: submit.cpp load_inline_q_foreach_items).
   */
  listLines: string[] | null;
  /** The physical line of each list line (parallel to listLines). */
  listLineNumbers: number[] | null;
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
  /** `include ifexist :`: a missing file is not an error. */
  ifExists: boolean;
  /** `include command :` / `include output :` / a target ending in `|`: runs a command. */
  command: boolean;
  /** `include command into FILE :` */
  into: string | null;
  line: number;
}

export interface MessageStatement {
  kind: 'error' | 'warning';
  /** The message as written (macros expanded when the statement is reached). */
  text: string;
  line: number;
}

export interface UseStatement {
  kind: 'use';
  text: string;
  line: number;
}

export type Statement =
  | AssignStatement
  | QueueStatement
  | ControlStatement
  | IncludeStatement
  | MessageStatement
  | UseStatement;

export function submitError(message: string, file: string, line: number, hint?: string): UserError {
  return new UserError(message, {
    file,
    line,
    hint: hint ?? 'see docs/submit.md for the submit-file features pixi-condor reads',
    exitCode: 2,
  });
}

/** A key as it may be shown in a message: long keys are cut (a 64 KiB key is not a message). */
export function shownKey(key: string): string {
  return key.length > 40 ? `${key.slice(0, 32)}… (${key.length} characters)` : key;
}

interface Logical {
  text: string;
  line: number;
}

/** Physical lines → logical lines with their first line number (getline_implementation). */
function logicalLines(text: string): Logical[] {
  const raw = text.split(/\r?\n/);
  const out: Logical[] = [];
  const continued = (s: string): boolean => /\\\s*$/.test(s);
  for (let i = 0; i < raw.length; i++) {
    const start = i + 1;
    let line = raw[i]!;
    // A comment line does not continue (CONFIG_GETLINE_OPT_COMMENT_DOESNT_CONTINUE).
    if (/^\s*#/.test(line)) {
      out.push({ text: line, line: start });
      continue;
    }
    while (continued(line) && i + 1 < raw.length) {
      line = line.replace(/\\\s*$/, '');
      i++;
      // A comment line right after a continuation is skipped; the continuation goes on.
      while (i < raw.length && /^\s*#/.test(raw[i]!)) {
        if (!continued(raw[i]!)) {
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

const CONTROL = /^(if|elif|else|endif)(?:\s+(.*))?$/i;
const QUEUE = /^queue(?:\s+(.*))?$/i;
/** `name [words] : rest` for the colon keywords (config.cpp ~1652). */
const COLON = /^(@?)(include|error|warning|use)\b([^:=]*):(.*)$/i;
/** `name = v`, `name @=tag`, `name += v`, `name +,= v` / `name &&= v`... (config.cpp ~1615). */
const ASSIGN = /^([+-]?[A-Za-z0-9_.]+)\s*(@=|\+(?:([,;|&*])\3?)?=|=)\s*(.*)$/s;

function includeOptions(words: string): { ifExists: boolean; command: boolean; into: string | null } | null {
  // config.cpp parse_include_options: [ifexist|ifexists] [command|output [into FILE]]
  const tokens = words.trim().split(/\s+/).filter(Boolean);
  let at = 0;
  const result = { ifExists: false, command: false, into: null as string | null };
  if (tokens[at] === 'ifexist' || tokens[at] === 'ifexists') {
    result.ifExists = true;
    at++;
  }
  if (tokens[at] === 'command' || tokens[at] === 'output') {
    result.command = true;
    at++;
    if (tokens[at] === 'into') {
      if (tokens[at + 1] === undefined) return null;
      result.into = tokens[at + 1]!;
      at += 2;
    }
  }
  return at === tokens.length ? result : null;
}

export function parseSubmitText(text: string, file: string): Statement[] {
  const lines = logicalLines(text);
  const statements: Statement[] = [];
  let ifDepth = 0;
  for (let i = 0; i < lines.length; i++) {
    const { line } = lines[i]!;
    let trimmed = lines[i]!.text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    // An if body may hide its lines from pre-8.1.5 parsers with a leading ':' (config.cpp ~1525).
    if (trimmed.startsWith(':') && (ifDepth > 0 || /^:if(\s|$)/.test(trimmed))) trimmed = trimmed.slice(1).trim();
    let m: RegExpExecArray | null;
    if ((m = QUEUE.exec(trimmed)) && !/^queue\s*(@?=|\+)/i.test(trimmed)) {
      let args = (m[1] ?? '').trim();
      let listLines: string[] | null = null;
      let listLineNumbers: number[] | null = null;
      // `( ...` with no closing `)` on the line: the items follow, one per line, up to `)`.
      const open = args.lastIndexOf('(');
      if (open >= 0 && args.indexOf(')', open) < 0) {
        const first = args.slice(open + 1).trim();
        args = args.slice(0, open + 1) + ')';
        listLines = first ? [first] : [];
        listLineNumbers = first ? [line] : [];
        let closed = false;
        for (i++; i < lines.length; i++) {
          const item = lines[i]!.text.trim();
          if (item.startsWith(')')) {
            closed = true;
            break;
          }
          if (item.startsWith('#')) continue;
          listLines.push(item);
          listLineNumbers.push(lines[i]!.line);
        }
        if (!closed)
          throw submitError(
            "the queue statement's item list has no closing `)`",
            file,
            line,
            'end the list with a line that starts with `)`',
          );
      }
      statements.push({ kind: 'queue', args, listLines, listLineNumbers, line });
    } else if ((m = CONTROL.exec(trimmed))) {
      const kind = m[1]!.toLowerCase() as ControlStatement['kind'];
      if (kind === 'if') ifDepth++;
      else if (kind === 'endif') ifDepth = Math.max(0, ifDepth - 1);
      statements.push({ kind, condition: (m[2] ?? '').trim(), line });
    } else if ((m = COLON.exec(trimmed))) {
      const keyword = m[2]!.toLowerCase();
      const words = m[3]!;
      const rest = m[4]!.trim();
      if (keyword === 'include') {
        const options = includeOptions(words);
        if (!options)
          throw submitError(
            'unexpected word(s) between `include` and `:`',
            file,
            line,
            'write `include : FILE` or `include ifexist : FILE`',
          );
        statements.push({ kind: 'include', target: rest, ...options, line });
      } else if (keyword === 'use') {
        statements.push({ kind: 'use', text: `${words.trim()} : ${rest}`, line });
      } else if (words.trim() !== '' && (keyword === 'warning' || !/^\d+$/.test(words.trim()))) {
        throw submitError(`unexpected word(s) between \`${keyword}\` and \`:\``, file, line);
      } else statements.push({ kind: keyword as 'error' | 'warning', text: rest, line });
    } else if ((m = ASSIGN.exec(trimmed))) {
      let key = m[1]!;
      const op = m[2]!;
      let value = m[4]!.trim();
      const remove = key.startsWith('-');
      if (key.startsWith('+') || remove) {
        key = `MY.${key.slice(1)}`;
        if (remove) value = '';
      } else if (key.includes('+') || key.includes('-')) {
        throw submitError(
          `'${shownKey(key)}' is not a name condor_submit accepts (letters, digits, '_' and '.')`,
          file,
          line,
        );
      }
      let append = '';
      if (op.startsWith('+')) {
        const sep = m[3];
        append = !sep ? ' ' : op.length === 4 ? ` ${sep}${sep} ` : sep;
        if (key.startsWith('MY.') && m[1]!.startsWith('+')) {
          throw submitError(`\`${m[1]!.slice(0, 40)} +=\` is not a submit statement`, file, line);
        }
      }
      if (op === '@=') {
        // `key @=tag` ... `@tag`: the lines between, each trimmed; comment and blank lines are
        // skipped (Parse_macros reads them with the same getline as every other line).
        const tag = value;
        const body: string[] = [];
        let closed = false;
        for (i++; i < lines.length; i++) {
          const inner = lines[i]!.text.trim();
          if (inner === `@${tag}`) {
            closed = true;
            break;
          }
          if (inner === '' || inner.startsWith('#')) continue;
          body.push(inner);
        }
        if (!closed) throw submitError(`the multi-line value of '${shownKey(key)}' has no closing @${tag}`, file, line);
        value = body.join('\n');
      }
      statements.push({ kind: 'assign', key, value, line, append, remove });
    } else {
      throw submitError(
        'cannot read this line: it is not `key = value`, a queue statement, `include :`, `error :`/`warning :` or if/else/endif',
        file,
        line,
        'fix or remove the line (a comment line starts with #)',
      );
    }
  }
  return statements;
}
