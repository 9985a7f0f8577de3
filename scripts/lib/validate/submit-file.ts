// Just enough of the HTCondor submit language (htcondor.md §b.1) to read the few commands
// validate checks: case-insensitive keys, `#` comment lines, backslash continuation (a comment
// right after a continued line is skipped), `+Attr`/`MY.Attr`, `name @=tag ... @tag` values,
// and the last assignment of a key winning. queue/include/if lines are not assignments.

export interface SubmitEntry {
  /** Lower-cased key; `+Attr` and `MY.Attr` are both `+attr`. */
  key: string;
  value: string;
  /** 1-based line and column where the value starts. */
  line: number;
  column: number;
}

export type SubmitCommands = Map<string, SubmitEntry>;

const STATEMENT = /^(include|queue|if|elif|else|endif|error|warning)\b/i;

export function readSubmitFile(text: string): SubmitCommands {
  const lines = text.split(/\r?\n/);
  const commands: SubmitCommands = new Map();
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!;
    if (/^\s*(#|$)/.test(first)) continue;
    const startLine = i + 1;
    let logical = first;
    // Backslash continuation joins lines; a comment line inside the run is skipped.
    while (/\\\s*$/.test(logical) && i + 1 < lines.length) {
      logical = logical.replace(/\\\s*$/, ' ');
      i++;
      if (/^\s*#/.test(lines[i]!)) {
        if (/\\\s*$/.test(lines[i]!)) logical += '\\';
        continue;
      }
      logical += lines[i]!.trimStart();
    }
    const match = /^\s*([+A-Za-z_][A-Za-z0-9_.+-]*)\s*(@?=)\s*/.exec(logical);
    if (!match || STATEMENT.test(logical.trimStart()) && !match[2]) continue;
    let key = match[1]!.toLowerCase();
    if (key.startsWith('my.')) key = '+' + key.slice(3);
    let value = logical.slice(match[0].length).trimEnd();
    const column = match[0].length + 1;
    if (match[2] === '@=') {
      // name @=tag ... @tag : the lines in between are the value.
      const tag = value.trim();
      const body: string[] = [];
      while (i + 1 < lines.length && lines[i + 1]!.trim() !== `@${tag}`) body.push(lines[++i]!);
      i++;
      value = body.join('\n');
    }
    commands.set(key, { key, value, line: startLine, column });
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
