// `.env`: parsed with dotenv (which never touches process.env here); a key no script reads is
// most likely a typo (REGISTY_TOKEN) that would make a push fail later. Values are secrets:
// they are never printed, not even in a finding, and neither is a line that may be one (a token
// pasted on its own line, `dGhp...==`, reads as a key): findings name the line number, and a key
// only when it is a near miss of a known one.
import { BoundedReadError, readBounded, readBoundedText } from '../bounded-read.ts';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { UserError } from '../errors.ts';
import { closest } from './text.ts';
import type { IssueList } from './types.ts';
import { KNOWN_ENV_KEYS } from '../env-keys.ts';

export const ENV_FILE = '.env';
const EXAMPLE_FILE = '.env.example';
/**
 * A .env of settings is a few hundred bytes. dotenv's quoted-value expression overflows the stack
 * on a multi-megabyte line after an unclosed quote; nothing near this bound does.
 */
export const MAX_ENV_BYTES = 256 * 1024;

export type EnvRead = { text: string; values: Record<string, string> } | { problem: string } | null;

/**
 * `<root>/.env` read and parsed within bounds: null when absent, `problem` (a one-line reason,
 * never a value) when it cannot be read or parsed. build-image's credentials should read it here.
 */
export async function readEnvFile(root: string): Promise<EnvRead> {
  return readEnvFileSync(root);
}

/** readEnvFile for a caller that cannot wait (a job's environment is built in one step). */
export function readEnvFileSync(root: string): EnvRead {
  let text: string;
  try {
    text = readBounded(join(root, ENV_FILE), MAX_ENV_BYTES).toString('utf8');
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    if (error.problem === 'missing') return null;
    if (error.problem === 'too-large')
      return {
        problem: `${ENV_FILE} is ${error.size} bytes, over the ${MAX_ENV_BYTES}-byte limit for a file of settings`,
      };
    if (error.problem === 'not-a-file' && !error.isDirectory)
      return { problem: `cannot read ${ENV_FILE}: not a regular file (a FIFO or device is not read)` };
    return { problem: `cannot read ${ENV_FILE}: ${error.code ?? 'unreadable'}` };
  }
  try {
    // dotenv loads only when there is a .env to parse (the template has none).
    const { parse } = createRequire(import.meta.url)('dotenv') as typeof import('dotenv');
    return { text, values: parse(text) };
  } catch (error) {
    // Never the error's text: a parser's message may quote the value it choked on.
    return { problem: `${ENV_FILE} cannot be parsed (${error instanceof Error ? error.name : 'error'})` };
  }
}

/** readEnvFile for scripts that stop on a problem: values, {} when absent, a UserError (exit 2) otherwise. */
export async function readEnvValues(root: string): Promise<Record<string, string>> {
  const read = await readEnvFile(root);
  if (read === null) return {};
  if ('problem' in read)
    throw new UserError(read.problem, {
      hint: 'keep .env to KEY=value lines (see .env.example); a quote opened in a value must be closed',
      exitCode: 2,
    });
  return read.values;
}

/** Keys of a dotenv text, with the line each is on; lines that are not `KEY=value` are reported. */
export function envKeys(text: string): {
  keys: { key: string; line: number }[];
  malformed: number[];
  unclosed: number | null;
} {
  const keys: { key: string; line: number }[] = [];
  const malformed: number[] = [];
  const lines = text.split(/\r?\n/);
  let inQuote: string | null = null;
  let openedAt = 0;
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
    if (quote && !match[3]!.includes(quote)) {
      inQuote = quote;
      openedAt = i + 1;
    }
  });
  return { keys, malformed, unclosed: inQuote ? openedAt : null };
}

export async function checkEnvFile(root: string, issues: IssueList): Promise<void> {
  const read = await readEnvFile(root);
  if (read === null) return; // no .env: nothing to check (the environment may provide everything)
  if ('problem' in read) {
    issues.error({
      file: ENV_FILE,
      pointer: '',
      line: 0,
      column: 0,
      rule: 'env/unreadable',
      message: read.problem,
      hint: 'keep .env to KEY=value lines (see .env.example); build-image and submit stop on this file too',
    });
    return;
  }
  const { text, values: parsed } = read;
  let exampleKeys: string[] = [];
  try {
    // Commented-out keys in the example (`# GITHUB_TOKEN=`) are documented settings too.
    const example = readBoundedText(join(root, EXAMPLE_FILE), MAX_ENV_BYTES);
    exampleKeys = [...example.matchAll(/^[ \t]*#?[ \t]*(?:export[ \t]+)?([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
  } catch {
    // no example file: the built-in list alone
  }
  const known = new Set([...KNOWN_ENV_KEYS, ...exampleKeys]);
  const { keys, malformed, unclosed } = envKeys(text);
  for (const { key, line } of keys) {
    if (known.has(key) || !(key in parsed)) continue;
    // Only a near miss of a known key is shown: anything else may be a pasted token.
    const guess = closest(key, known);
    issues.warning({
      file: ENV_FILE,
      pointer: '',
      line,
      column: 1,
      rule: 'env/unknown-key',
      message: guess
        ? `${key} is not a setting any pixi-condor script reads`
        : `line ${line} sets a key no pixi-condor script reads (not shown: it may be a value pasted on its own line)`,
      hint: guess
        ? `did you mean ${guess}?`
        : `known keys: ${[...known].join(', ')}; if this line is a token, put it after REGISTRY_TOKEN=`,
    });
  }
  for (const line of malformed) {
    issues.warning({
      file: ENV_FILE,
      pointer: '',
      line,
      column: 1,
      rule: 'env/malformed-line',
      message: `line ${line} is not KEY=value and is ignored (not shown: it may be a value)`,
      hint: 'write KEY=value, or start the line with # to make it a comment',
    });
  }
  if (unclosed !== null) {
    issues.warning({
      file: ENV_FILE,
      pointer: '',
      line: unclosed,
      column: 1,
      rule: 'env/unclosed-quote',
      message: `the value on line ${unclosed} opens a quote that is never closed: dotenv reads the rest of the file into it`,
      hint: 'close the quote on that line (or on the line where the value ends)',
    });
  }
}
