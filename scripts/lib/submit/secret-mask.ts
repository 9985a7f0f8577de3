// What submit prints never carries a registry token: `$ENV(REGISTRY_TOKEN)` in a submit file
// expands to it (in a proc's arguments, an error quoting a value), so every value of the token
// keys, from the environment and from .env, is replaced by `***` in the checklist, the dry-run
// command and procs, --json and errors. The user halves (REGISTRY_USER, GITHUB_ACTOR) are not
// secret and often are the image's owner: masking them would garble the image reference.
import { TOKEN_KEYS } from '../env-keys.ts';
import { UserError } from '../errors.ts';
import { readEnvFile } from '../validate/env-file.ts';

/** Shorter values are not masked (as the Shell's): too many false hits, too little to hide. */
const MIN_SECRET_LENGTH = 4;

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

/** The token values in the environment and in `<root>/.env` (read by the one bounded reader). */
export async function secretMask(root: string, env: NodeJS.ProcessEnv = process.env): Promise<SecretMask> {
  const values: string[] = [];
  // A .env that cannot be read or parsed gives no values here: validate (in the preflight) reports it.
  const dotenv = await readEnvFile(root);
  const fromFile = dotenv && 'values' in dotenv ? dotenv.values : {};
  for (const key of TOKEN_KEYS) {
    if (env[key]) values.push(env[key]!);
    if (fromFile[key]) values.push(fromFile[key]!);
  }
  return new SecretMask(values);
}
