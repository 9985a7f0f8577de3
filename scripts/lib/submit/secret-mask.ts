// What submit prints never carries a registry token: `$ENV(REGISTRY_TOKEN)` in a submit file
// expands to it (in a proc's arguments, an error quoting a value), so every value of the token
// keys, from the environment and from .env, is replaced by `***` in the checklist, the dry-run
// command and procs, --json and errors. The user halves (REGISTRY_USER, GITHUB_ACTOR) are not
// secret and often are the image's owner: masking them would garble the image reference.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { GITHUB_CREDENTIALS, REGISTRY_CREDENTIALS } from '../env-keys.ts';
import { UserError } from '../errors.ts';

/** The keys whose values are secret: the token of each credential pair. */
export const SECRET_KEYS: readonly string[] = [REGISTRY_CREDENTIALS[1], GITHUB_CREDENTIALS[1]];

/** Shorter values are not masked (as the Shell's): too many false hits, too little to hide. */
const MIN_SECRET_LENGTH = 4;
/** .env is read for its token only; a larger one is not a .env (validate says what it is). */
const MAX_DOTENV_BYTES = 1024 * 1024;

export class SecretMask {
  private readonly values: string[];
  private readonly pattern: RegExp | null;

  constructor(values: Iterable<string>) {
    const unique = new Set<string>();
    for (const value of values) {
      if (value.length < MIN_SECRET_LENGTH) continue;
      unique.add(value);
      // As it appears inside a JSON string (--json) when it holds quotes or backslashes.
      unique.add(JSON.stringify(value).slice(1, -1));
    }
    // Longest first: a secret that contains another is masked whole.
    this.values = [...unique].sort((a, b) => b.length - a.length);
    // Case-insensitive: the submit language lower-cases some values it quotes (a universe).
    this.pattern =
      this.values.length > 0
        ? new RegExp(this.values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi')
        : null;
  }

  get secrets(): readonly string[] {
    return this.values;
  }

  mask(text: string): string {
    return this.pattern ? text.replace(this.pattern, '***') : text;
  }

  /** The same error with every secret masked (a UserError keeps its hint, location and exit code). */
  maskError(error: unknown): unknown {
    if (this.values.length === 0) return error;
    if (error instanceof UserError) {
      const masked = new UserError(this.mask(error.message), {
        ...(error.hint !== undefined ? { hint: this.mask(error.hint) } : {}),
        exitCode: error.exitCode,
        ...(error.file !== undefined ? { file: this.mask(error.file) } : {}),
        ...(error.line !== undefined ? { line: error.line } : {}),
        ...(error.column !== undefined ? { column: error.column } : {}),
      });
      masked.name = error.name;
      return masked;
    }
    if (error instanceof Error) {
      error.message = this.mask(error.message);
      if (error.stack) error.stack = this.mask(error.stack);
    }
    return error;
  }
}

/** The token values in the environment and in `<root>/.env`. */
export function secretMask(root: string, env: NodeJS.ProcessEnv = process.env): SecretMask {
  const values: string[] = [];
  for (const key of SECRET_KEYS) if (env[key]) values.push(env[key]!);
  try {
    const text = readFileSync(join(root, '.env'));
    if (text.length <= MAX_DOTENV_BYTES) {
      // Only the token lines go to dotenv, one at a time: the rest of the file is not ours to
      // read (and an odd line elsewhere cannot cost dotenv's regular expression its stack).
      for (const line of text.toString('utf8').split(/\r?\n/)) {
        const m = /^\s*(?:export\s+)?([A-Z_]+)\s*[=:]/.exec(line);
        if (!m || !SECRET_KEYS.includes(m[1]!) || line.length > 64 * 1024) continue;
        const value = parseDotenv(line)[m[1]!];
        if (value) values.push(value);
      }
    }
  } catch {
    // no .env, or one that cannot be read or parsed: validate reports it
  }
  return new SecretMask(values);
}
