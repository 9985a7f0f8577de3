// `arguments` in its two syntaxes (htcondor-jdl `arguments`): the old one (V1) is split on
// white space; the new one (V2) is the whole value in double quotes, `""` for a literal `"`,
// single quotes group words, `''` inside them for a literal `'`.

export interface Arguments {
  argv: string[];
  syntax: 'v1' | 'v2';
  /** The job-ad attribute condor_submit writes (Args for V1, Arguments for V2) and its value. */
  attribute: 'Args' | 'Arguments';
  /** The attribute's string content (V1 as written; V2 re-quoted the way condor_submit does). */
  text: string;
}

export class ArgumentsError extends Error {}

function parseV2(inner: string): string[] {
  const argv: string[] = [];
  let current = '';
  let inWord = false;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === "'") {
      inWord = true;
      for (i++; ; i++) {
        if (i >= inner.length) throw new ArgumentsError('unbalanced single quote in arguments');
        if (inner[i] === "'") {
          if (inner[i + 1] === "'") {
            current += "'";
            i++;
            continue;
          }
          break;
        }
        current += inner[i];
      }
    } else if (/\s/.test(c)) {
      if (inWord) argv.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (inWord) argv.push(current);
  return argv;
}

/** V2 text of an argv: white space and quotes inside an argument are single-quoted one by one. */
export function renderV2(argv: string[]): string {
  return argv
    .map((arg) => {
      if (arg === '') return "''";
      let out = '';
      for (const c of arg) out += /\s/.test(c) ? `'${c}'` : c === "'" ? "''''" : c;
      return out;
    })
    .join(' ');
}

/** Read `arguments`/`args` (and `arguments2`, always V2, which wins when set). */
export function readArguments(value: string | undefined, v2Only: string | undefined): Arguments {
  if (v2Only !== undefined) {
    const inner = /^".*"$/s.test(v2Only.trim()) ? v2Only.trim().slice(1, -1).replace(/""/g, '"') : v2Only;
    const argv = parseV2(inner);
    return { argv, syntax: 'v2', attribute: 'Arguments', text: renderV2(argv) };
  }
  const text = (value ?? '').trim();
  if (text === '') return { argv: [], syntax: 'v2', attribute: 'Arguments', text: '' };
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    const argv = parseV2(text.slice(1, -1).replace(/""/g, '"'));
    return { argv, syntax: 'v2', attribute: 'Arguments', text: renderV2(argv) };
  }
  return { argv: text.split(/\s+/), syntax: 'v1', attribute: 'Args', text };
}
