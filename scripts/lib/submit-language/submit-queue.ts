// The queue statement (htcondor.md §b.3): `queue [N]`, `queue [N] [var] in [slice] list`,
// `queue [N] [vars] from [slice] file|(list)`, `queue [N] [var] matching [files|dirs|any] [slice]
// globs`. Each item row gives the queue variables for `N` procs ($(Step) 0..N-1).
// Items of `from` are read and split exactly as condor_submit does (submit_utils.cpp
// SubmitForeachArgs::parse_queue_args ~9132, split_item ~9324, load_external_q_foreach_items ~9600;
// submit_utils.h SubmitStepFromQArgs::select_rowdata): every line of a file is an item after
// trimming (blank lines and `#` lines included; only an inline `( … )` list skips `#` lines); an
// item is split on the first comma, space or tab (or on US, 0x1F, when the item has one) until each
// variable but the last has a value, the last takes the rest; quotes mean nothing; a blank item
// queues its procs with the previous item's values. What surprises people is reported as a warning.
// `queue ... from cmd |` and `from -` read a command or stdin at submit time: refused, not guessed.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { evaluateArithmetic, MacroError, shownText } from './submit-macros.ts';
import { BoundedReadError, readBoundedText } from '../bounded-read.ts';
import { MAX_ITEMS_FILE_BYTES } from './submit-source.ts';

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
        if (!IDENTS.test(first[2])) throw new MacroError(`cannot read the queue variables '${shownText(first[2])}'`);
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
  // Qualifiers after the keyword, in any order (parse_queue_args ~9160): files|dirs|any after
  // matching, table after from, and a [slice].
  for (;;) {
    const qualifier = /^(files|dirs|any|table)(?=\s|\(|\[|$)\s*/i.exec(rest);
    if (qualifier) {
      const word = qualifier[1]!.toLowerCase();
      if (word === 'table') {
        if (spec.mode !== 'from')
          throw new MacroError('`table` belongs after `from` (condor_submit: "Queue keyword conflict")');
        throw new MacroError(
          '`queue ... from table` (a header row naming the variables) is not documented by HTCondor and pixi-condor does not read it; name the variables in the queue statement and drop the header row',
        );
      }
      if (spec.mode !== 'matching')
        throw new MacroError(`\`${word}\` belongs after \`matching\` (condor_submit: "Queue keyword conflict")`);
      spec.matchKind = word as QueueSpec['matchKind'];
      rest = rest.slice(qualifier[0].length);
      continue;
    }
    const slice = /^\[([^\]]*)\]\s*/.exec(rest);
    if (slice && spec.slice === null) {
      spec.slice = slice[1]!;
      rest = rest.slice(slice[0].length);
      continue;
    }
    break;
  }
  if (spec.mode === 'from' && rest.endsWith('|')) {
    throw new MacroError(
      '`queue ... from <command> |` runs a command when submitting; pixi-condor does not run it and cannot know its items. Write the items into a file and use `queue ... from FILE`',
    );
  }
  if (spec.mode === 'from' && rest === '-')
    throw new MacroError('`queue ... from -` reads the items from standard input; write them into a file instead');
  if (rest === '()' || rest === '( )') rest = '';
  else if (rest.startsWith('(') && rest.endsWith(')') && !listLines) {
    spec.listLines = [rest.slice(1, -1).trim()];
    rest = '';
  }
  spec.inline = rest || null;
  if (spec.listLines === null && spec.inline === null && spec.mode !== 'count')
    throw new MacroError(`\`queue ... ${spec.mode}\` has no items`);
  return spec;
}

/**
 * condor_submit's slice (submit_utils.cpp qslice::set/translate ~8782): `[start]`, `[start:end]`,
 * `[start:end:step]`, each part optional, negative start/end count from the end; a step must be
 * positive (condor_submit ASSERTs on a negative one).
 */
function applySlice<T>(items: T[], slice: string | null): { item: T; index: number }[] {
  const all = items.map((item, index) => ({ item, index }));
  if (slice === null) return all;
  const parts = slice.split(':').map((p) => p.trim());
  const bad = (): never => {
    throw new MacroError(`cannot read the slice [${shownText(slice)}]`);
  };
  if (parts.length > 3) bad();
  const n = items.length;
  const number = (text: string | undefined): number | null => {
    if (!text) return null;
    if (!/^[+-]?\d+$/.test(text)) bad();
    return Number(text);
  };
  const start = number(parts[0]);
  const end = number(parts[1]);
  const step = number(parts[2]) ?? 1;
  if (step <= 0) throw new MacroError(`the slice [${shownText(slice)}] needs a positive step`);
  const from = start === null ? 0 : start < 0 ? start + n : start;
  const to = Math.min(n, end === null ? n : end < 0 ? end + n : end);
  const out: { item: T; index: number }[] = [];
  for (let i = Math.max(0, from); i < to; i += step) out.push(all[i]!);
  return out;
}

/**
 * One item split into `count` values (split_item, legacy options): on the first `,`/space/tab
 * (or US when the item holds one), whitespace trimmed around each split; the last value keeps the
 * rest; missing values are ''. null for an empty item (its procs keep the previous values).
 */
export function splitItem(item: string, count: number): string[] | null {
  // Indices, not regex trims: `[ \t]+$` retried at every blank is quadratic in a long run of blanks
  // (issue 25: 64 Ki blanks took 9 s), and an items file may be 32 MiB.
  let end = item.length;
  if (item.charCodeAt(end - 1) === LF) end -= item.charCodeAt(end - 2) === CR ? 2 : 1;
  if (item.charCodeAt(end - 1) === CR) end--;
  let start = 0;
  while (start < end && isBlank(item.charCodeAt(start))) start++;
  while (end > start && isBlank(item.charCodeAt(end - 1))) end--;
  if (start === end) return null;
  const unitSeparated = item.slice(start, end).includes('\x1f');
  const isSeparator = (c: number): boolean => (unitSeparated ? c === 0x1f : c === 44 || isBlank(c));
  const values: string[] = [];
  let pos = start;
  while (values.length < count - 1) {
    let at = pos;
    while (at < end && !isSeparator(item.charCodeAt(at))) at++;
    if (at >= end) break;
    let valueEnd = at;
    while (valueEnd > pos && isBlank(item.charCodeAt(valueEnd - 1))) valueEnd--;
    values.push(item.slice(pos, valueEnd));
    pos = at + 1;
    while (pos < end && isBlank(item.charCodeAt(pos))) pos++;
  }
  values.push(item.slice(pos, end));
  while (values.length < count) values.push('');
  return values;
}

const LF = 10;
const CR = 13;
/** A blank as condor_submit's item splitting sees one: space or tab. */
function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

/**
 * The lines of an items file as condor_submit's getline_trim returns them: trimmed, `\`
 * continuations joined, blank and `#` lines kept (they are items), no item after a final newline.
 */
export function itemFileLines(text: string): { text: string; line: number }[] {
  const raw = text.split('\n');
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  const out: { text: string; line: number }[] = [];
  for (let i = 0; i < raw.length; i++) {
    const start = i + 1;
    let line = raw[i]!.trim();
    const comment = line.startsWith('#');
    while (!comment && line.endsWith('\\') && i + 1 < raw.length) {
      line = line.slice(0, -1);
      i++;
      const next = raw[i]!.trim();
      // A comment line inside a continuation counts as blank, keeping a trailing `\`.
      line += next.startsWith('#') ? (next.endsWith('\\') ? '\\' : '') : next;
    }
    out.push({ text: line, line: start });
  }
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

/** Something condor_submit does with the items that the author may not expect. */
export interface QueueNotice {
  message: string;
  /** The items file and its line, when the notice is about one. */
  file?: string;
  line?: number;
}

/**
 * The item rows of a queue statement. The queue line itself is macro-expanded (parse_q_args,
 * submit_utils.cpp:9503); the lines of a `( … )` list after it are kept as written
 * (load_inline_q_foreach_items, submit_utils.cpp:9532-9565, no expand_macro), and their macros
 * expand per proc when the item is used: expand_macro re-scans the text it substituted
 * (config.cpp:3906-3925), so `"--job $(a)"` gives that row's `a`.
 * `cwd` is condor_submit's working directory (files and globs are relative to it).
 */
export function queueRows(
  spec: QueueSpec,
  expand: (text: string) => string,
  cwd: string,
  notices: QueueNotice[] = [],
): { count: number; rows: QueueRow[] } {
  const countValue = evaluateArithmetic(expand(spec.count));
  if (!Number.isInteger(countValue) || countValue < 0)
    throw new MacroError(`the queue count '${shownText(spec.count)}' is not a whole number`);
  if (spec.mode === 'count') return { count: countValue, rows: [{ values: {}, itemIndex: 0, row: 0 }] };

  // Items with where they were written (for the notices).
  let items: { text: string; file?: string; line?: number }[];
  if (spec.mode === 'from') {
    if (spec.listLines) items = spec.listLines.map((text) => ({ text }));
    else {
      const name = expand(spec.inline!);
      const path = resolve(cwd, name);
      let text: string;
      try {
        text = readBoundedText(path, MAX_ITEMS_FILE_BYTES);
      } catch (error) {
        if (!(error instanceof BoundedReadError)) throw error;
        throw new MacroError(`the queue item file ${shownText(name)} ${error.message}`);
      }
      items = itemFileLines(text).map(({ text, line }) => ({ text, file: name, line }));
    }
  } else {
    const lines = spec.listLines ?? [expand(spec.inline!)];
    items = lines.flatMap((line) => splitList(line)).map((text) => ({ text }));
    if (spec.mode === 'matching')
      items = items.flatMap(({ text }) => glob(text, cwd, spec.matchKind).map((path) => ({ text: path })));
  }

  const rows: QueueRow[] = [];
  // The live values start empty and an empty item leaves them as they were (select_rowdata).
  const live: Record<string, string> = Object.fromEntries(spec.vars.map((name) => [name, '']));
  let quoted = false;
  for (const { item, index } of applySlice(items, spec.slice)) {
    const values = splitItem(item.text, spec.vars.length);
    if (values === null) {
      notices.push({
        message: `item ${index} is blank: condor_submit queues its proc(s) anyway, with the values of the item before it`,
        ...(item.file ? { file: item.file, line: item.line } : {}),
      });
    } else {
      spec.vars.forEach((name, v) => {
        live[name] = values[v] ?? '';
      });
      if (item.file && item.text.startsWith('#'))
        notices.push({
          message: `condor_submit reads this '#' line of ${shownText(item.file)} as an item (only an inline ( … ) list skips comments)`,
          file: item.file,
          line: item.line,
        });
      // A quote in the last value is kept whole (the V2 `arguments` of many sweeps); one before it was split.
      if (!quoted && spec.mode === 'from' && values.slice(0, -1).some((value) => /["']/.test(value))) {
        quoted = true;
        notices.push({
          message:
            'condor_submit does not treat quotes in queue items specially: an item is split at the first comma, space or tab whatever the quotes',
          ...(item.file ? { file: item.file, line: item.line } : {}),
        });
      }
    }
    rows.push({ values: { ...live }, itemIndex: index, row: index });
  }
  return { count: countValue, rows };
}
