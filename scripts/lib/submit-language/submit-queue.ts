// The queue statement (htcondor.md §b.3): `queue [N]`, `queue [N] [var] in [slice] list`,
// `queue [N] [vars] from [slice] file|(list)`, `queue [N] [var] matching [files|dirs] [slice]
// globs`. Each item row gives the queue variables for `N` procs ($(Step) 0..N-1).
// `queue ... from cmd |` runs a command at submit time: refused, not guessed.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { evaluateArithmetic, MacroError } from './submit-macros.ts';

export interface QueueSpec {
  /** The count expression (macros not yet expanded); '1' when absent. */
  count: string;
  /** Variable names as written (default `Item`). */
  vars: string[];
  mode: 'count' | 'in' | 'from' | 'matching';
  matchKind: 'files' | 'dirs' | 'any';
  slice: string | null;
  /** Inline items text (for in/matching), the file name (from), or null with listLines. */
  inline: string | null;
  listLines: string[] | null;
}

export interface QueueRow {
  values: Record<string, string>;
  itemIndex: number;
  row: number;
}

const KEYWORD = /(?:^|\s)(in|from|matching)(?=\s|\(|\[|$)/i;
const IDENTS = /^[A-Za-z_][\w.]*(?:\s*[,\s]\s*[A-Za-z_][\w.]*)*$/;

export function parseQueueArgs(args: string, listLines: string[] | null): QueueSpec {
  const spec: QueueSpec = {
    count: '1',
    vars: ['Item'],
    mode: 'count',
    matchKind: 'any',
    slice: null,
    inline: null,
    listLines,
  };
  const keyword = KEYWORD.exec(args);
  const head = (keyword ? args.slice(0, keyword.index) : args).trim();
  if (head) {
    const first = /^(\S+)\s*(.*)$/.exec(head)!;
    if (IDENTS.test(head) && keyword) spec.vars = head.split(/[\s,]+/).filter(Boolean);
    else if (!keyword) spec.count = head;
    else {
      spec.count = first[1]!;
      if (first[2]) {
        if (!IDENTS.test(first[2])) throw new MacroError(`cannot read the queue variables '${first[2]}'`);
        spec.vars = first[2].split(/[\s,]+/).filter(Boolean);
      }
    }
  }
  if (!keyword) {
    if (listLines) throw new MacroError('a `( ... )` item list needs `in`, `from` or `matching`');
    return spec;
  }
  spec.mode = keyword[1]!.toLowerCase() as QueueSpec['mode'];
  let rest = args.slice(keyword.index + keyword[0].length).trim();
  if (spec.mode === 'matching') {
    const kind = /^(files|dirs)\b\s*/i.exec(rest);
    if (kind) {
      spec.matchKind = kind[1]!.toLowerCase() as 'files' | 'dirs';
      rest = rest.slice(kind[0].length);
    }
  }
  const slice = /^\[([^\]]*)\]\s*/.exec(rest);
  if (slice) {
    spec.slice = slice[1]!;
    rest = rest.slice(slice[0].length);
  }
  if (spec.mode === 'from' && rest.endsWith('|')) {
    throw new MacroError(
      '`queue ... from <command> |` runs a command when submitting; pixi-condor cannot know its items. Write the items into a file and use `queue ... from FILE`',
    );
  }
  if (rest === '()' || rest === '( )') rest = '';
  else if (rest.startsWith('(') && rest.endsWith(')') && !listLines) {
    spec.listLines = [rest.slice(1, -1)];
    rest = '';
  }
  spec.inline = rest || null;
  if (spec.listLines === null && spec.inline === null && spec.mode !== 'count')
    throw new MacroError(`\`queue ... ${spec.mode}\` has no items`);
  return spec;
}

/** Python-style slice over a list (no negative step, as HTCondor). */
function applySlice<T>(items: T[], slice: string | null): { item: T; index: number }[] {
  const all = items.map((item, index) => ({ item, index }));
  if (slice === null) return all;
  const parts = slice.split(':').map((p) => p.trim());
  if (parts.length < 2 || parts.length > 3) throw new MacroError(`cannot read the slice [${slice}]`);
  const n = items.length;
  const bound = (text: string | undefined, fallback: number): number => {
    if (!text) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value)) throw new MacroError(`cannot read the slice [${slice}]`);
    return value < 0 ? Math.max(0, n + value) : Math.min(n, value);
  };
  const step = parts[2] ? Number(parts[2]) : 1;
  if (!Number.isInteger(step) || step <= 0) throw new MacroError(`the slice [${slice}] needs a positive step`);
  const out: { item: T; index: number }[] = [];
  for (let i = bound(parts[0], 0); i < bound(parts[1], n); i += step) out.push(all[i]!);
  return out;
}

function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** One glob segment → a regex (`*`, `?`, `[...]`). */
function segmentRegex(segment: string): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 1);
      if (end < 0) source += '\\[';
      else {
        source += `[${segment
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function glob(pattern: string, cwd: string, kind: QueueSpec['matchKind']): string[] {
  const absolute = pattern.startsWith('/');
  const segments = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let candidates = [absolute ? '/' : ''];
  for (const [i, segment] of segments.entries()) {
    if (segment === '' && i === 0) continue;
    const next: string[] = [];
    for (const base of candidates) {
      if (!/[*?[]/.test(segment)) {
        next.push(base ? join(base, segment) : segment);
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(resolve(cwd, base || '.'));
      } catch {
        continue;
      }
      const re = segmentRegex(segment);
      for (const name of names.sort())
        if (re.test(name) && !(name.startsWith('.') && !segment.startsWith('.')))
          next.push(base ? join(base, name) : name);
    }
    candidates = next;
  }
  return candidates.filter((path) => {
    try {
      const s = statSync(resolve(cwd, path));
      return kind === 'any' || (kind === 'files' ? s.isFile() : s.isDirectory());
    } catch {
      return false;
    }
  });
}

/**
 * The item rows of a queue statement, after macro expansion of its text by the caller.
 * `cwd` is condor_submit's working directory (files and globs are relative to it).
 */
export function queueRows(
  spec: QueueSpec,
  expand: (text: string) => string,
  cwd: string,
): { count: number; rows: QueueRow[] } {
  const countValue = evaluateArithmetic(expand(spec.count));
  if (!Number.isInteger(countValue) || countValue < 0)
    throw new MacroError(`the queue count '${spec.count}' is not a whole number`);
  if (spec.mode === 'count') return { count: countValue, rows: [{ values: {}, itemIndex: 0, row: 0 }] };

  // Items: one per line of a `( ... )` list; on one line, comma and/or space separated.
  let lines: string[];
  if (spec.listLines) lines = spec.listLines.map(expand);
  else if (spec.mode === 'from') {
    const file = resolve(cwd, expand(spec.inline!));
    try {
      lines = readFileSync(file, 'utf8')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'));
    } catch {
      throw new MacroError(`the queue item file ${spec.inline} cannot be read`);
    }
  } else lines = [expand(spec.inline!)];

  let items: { text: string; row: number }[];
  if (spec.mode === 'from') items = lines.map((text, row) => ({ text, row }));
  else if (spec.mode === 'in')
    items = lines.flatMap((line, row) => splitList(line).map((text) => ({ text, row: spec.listLines ? row : -1 })));
  else
    items = lines
      .flatMap((line) => splitList(line))
      .flatMap((pattern) => glob(pattern, cwd, spec.matchKind).map((text) => ({ text, row: -1 })));

  const rows: QueueRow[] = [];
  for (const { item, index } of applySlice(items, spec.slice)) {
    const values: Record<string, string> = {};
    if (spec.vars.length === 1) values[spec.vars[0]!] = item.text;
    else {
      // Several variables: split on commas and/or spaces; the last one takes the rest.
      let rest = item.text;
      spec.vars.forEach((name, v) => {
        if (v === spec.vars.length - 1) {
          values[name] = rest.trim();
          return;
        }
        const m = /^\s*([^,\s]*)\s*[,\s]?\s*/.exec(rest)!;
        values[name] = m[1]!;
        rest = rest.slice(m[0].length);
      });
    }
    rows.push({ values, itemIndex: index, row: item.row >= 0 ? item.row : index });
  }
  return { count: countValue, rows };
}
