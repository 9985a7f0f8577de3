// `.env`: parsed with dotenv (which never touches process.env here); a key no script reads is
// most likely a typo (REGISTY_TOKEN) that would make a push fail later. Values are secrets:
// they are never printed, not even in a finding.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { closest } from './text.ts';
import type { IssueList } from './types.ts';
import { KNOWN_ENV_KEYS } from '../env-keys.ts';

export const ENV_FILE = '.env';
const EXAMPLE_FILE = '.env.example';

/** Keys of a dotenv text, with the line each is on; lines that are not `KEY=value` are reported. */
export function envKeys(text: string): { keys: { key: string; line: number }[]; malformed: number[] } {
  const keys: { key: string; line: number }[] = [];
  const malformed: number[] = [];
  const lines = text.split(/\r?\n/);
  let inQuote: string | null = null;
  lines.forEach((raw, i) => {
    if (inQuote) {
      if (raw.includes(inQuote)) inQuote = null;
      return;
    }
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(["'`]?)(.*)$/.exec(line);
    if (!match) {
      malformed.push(i + 1);
      return;
    }
    keys.push({ key: match[1]!, line: i + 1 });
    const quote = match[2]!;
    // A quoted value may run over several lines (dotenv allows it).
    if (quote && !match[3]!.includes(quote)) inQuote = quote;
  });
  return { keys, malformed };
}

export async function checkEnvFile(root: string, issues: IssueList): Promise<void> {
  let text: string;
  try {
    text = await readFile(join(root, ENV_FILE), 'utf8');
  } catch {
    return; // no .env: nothing to check (the environment may provide everything)
  }
  const { parse } = await import('dotenv');
  const parsed = parse(text);
  let exampleKeys: string[] = [];
  try {
    // Commented-out keys in the example (`# GITHUB_TOKEN=`) are documented settings too.
    const example = await readFile(join(root, EXAMPLE_FILE), 'utf8');
    exampleKeys = [...example.matchAll(/^[ \t]*#?[ \t]*(?:export[ \t]+)?([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
  } catch {
    // no example file: the built-in list alone
  }
  const known = new Set([...KNOWN_ENV_KEYS, ...exampleKeys]);
  const { keys, malformed } = envKeys(text);
  for (const { key, line } of keys) {
    if (known.has(key) || !(key in parsed)) continue;
    const guess = closest(key, known);
    issues.warning({
      file: ENV_FILE,
      pointer: '',
      line,
      column: 1,
      rule: 'env/unknown-key',
      message: `${key} is not a setting any pixi-condor script reads`,
      hint: guess ? `did you mean ${guess}?` : `known keys: ${[...known].join(', ')}`,
    });
  }
  for (const line of malformed) {
    issues.warning({
      file: ENV_FILE,
      pointer: '',
      line,
      column: 1,
      rule: 'env/malformed-line',
      message: 'this line is not KEY=value and is ignored',
      hint: 'write KEY=value, or start the line with # to make it a comment',
    });
  }
}
