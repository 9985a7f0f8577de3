// The few submit-file commands validate checks, read with the one submit-language parser
// (scripts/lib/condor/submit-file.ts): the last assignment of a key wins, keys are
// case-insensitive, `+Attr` and `MY.Attr` are one key. Columns are found on the statement's
// first physical line, where the value starts.
import { parseSubmitText } from '../condor/submit-file.ts';

export interface SubmitEntry {
  /** Lower-cased key; `+Attr` and `MY.Attr` are both `+attr`. */
  key: string;
  value: string;
  /** 1-based line and column where the value starts. */
  line: number;
  column: number;
}

export type SubmitCommands = Map<string, SubmitEntry>;

/** Throws the parser's UserError (file and line) for a line the submit language does not allow. */
export function readSubmitFile(text: string, file: string): SubmitCommands {
  const physical = text.split(/\r?\n/);
  const commands: SubmitCommands = new Map();
  for (const statement of parseSubmitText(text, file)) {
    if (statement.kind !== 'assign') continue;
    const lower = statement.key.toLowerCase();
    const key = lower.startsWith('my.') ? '+' + lower.slice(3) : lower;
    const first = physical[statement.line - 1] ?? '';
    const assign = /^\s*[^=\s]+\s*@?=\s*/.exec(first);
    commands.set(key, { key, value: statement.value, line: statement.line, column: (assign?.[0].length ?? 0) + 1 });
  }
  return commands;
}

/** `transfer_input_files` and friends: a comma (or space) separated list, with each item's column. */
export function splitFileList(entry: SubmitEntry): { path: string; column: number }[] {
  const items: { path: string; column: number }[] = [];
  const pattern = /[^,\s]+/g;
  for (const match of entry.value.matchAll(pattern)) {
    items.push({ path: match[0], column: entry.column + match.index! });
  }
  return items;
}

/** `docker://ghcr.io/a/b:tag@sha256:...` -> repository `ghcr.io/a/b`; null when not a docker image. */
export function imageRepository(containerImage: string): string | null {
  const match = /^(?:docker:\/\/)?([^\s@:]+(?::\d+)?(?:\/[^\s@:]+)*)(?::[^\s@/]+)?(?:@sha256:[0-9a-f]+)?$/i.exec(containerImage.trim().replace(/^"|"$/g, ''));
  if (!match) return null;
  if (/^[a-z]+:\/\//i.test(containerImage.trim()) && !/^docker:\/\//i.test(containerImage.trim())) return null;
  return match[1]!;
}
