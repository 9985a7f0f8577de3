// The one mask for secrets (registry and GitHub tokens) in everything the scripts print: the
// command gateway's display of argv and tool output (shell.ts), the submit-file reader's
// messages and planned values (a `$ENV(REGISTRY_TOKEN)` or an `include : .env` brings a token
// into them), and submit's checklist, dry-run command, --json and errors. The user halves
// (REGISTRY_USER, GITHUB_ACTOR) are not secret and often are the image's owner: masking them
// would garble the image reference, so only the token keys' values are added.
import { TOKEN_KEYS } from './env-keys.ts';
import { UserError } from './errors.ts';
import { readEnvFileSync } from './validate/env-file.ts';

export const MASK = '***';
/** Shorter values are not masked: too many false hits, too little to hide. */
const MIN_SECRET_LENGTH = 4;

export class SecretMask {
  private readonly values = new Set<string>();
  /** Longest first, so a secret that contains another is masked whole; null: rebuild on next use. */
  private pattern: RegExp | null = null;

  constructor(values: Iterable<string | undefined> = []) {
    for (const value of values) this.add(value);
  }

  /**
   * A secret, as given and as a submit file or .env may quote it (`"tok"`, spaces around), each
   * also as it appears inside a JSON string (--json) when it holds quotes or backslashes.
   */
  add(value: string | undefined): void {
    if (!value) return;
    for (const form of new Set([value, value.trim().replace(/^"(.*)"$/s, '$1')])) {
      if (form.length < MIN_SECRET_LENGTH) continue;
      this.values.add(form);
      this.values.add(JSON.stringify(form).slice(1, -1));
    }
    this.pattern = null;
  }

  get secrets(): readonly string[] {
    return [...this.values].sort((a, b) => b.length - a.length);
  }

  /** Does `text` hold a secret (as mask() would find it)? */
  foundIn(text: string): boolean {
    const pattern = this.regex();
    if (!pattern) return false;
    pattern.lastIndex = 0;
    return pattern.test(text);
  }

  mask(text: string): string {
    const pattern = this.regex();
    return pattern ? text.replace(pattern, MASK) : text;
  }

  /** The same error with every secret masked (a UserError keeps its hint, location and exit code). */
  maskError(error: unknown): unknown {
    if (this.values.size === 0) return error;
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

  private regex(): RegExp | null {
    if (this.pattern === null && this.values.size > 0) {
      // Case-insensitive: the submit language lower-cases some values it quotes (a universe).
      const escaped = this.secrets.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      this.pattern = new RegExp(escaped.join('|'), 'gi');
    }
    return this.pattern;
  }
}

/** The token keys' values in an environment. */
export function tokenValues(env: NodeJS.ProcessEnv): (string | undefined)[] {
  return TOKEN_KEYS.map((key) => env[key]);
}

/**
 * The variables no job may be given (issue 18): the token keys, every key `.env` sets (its
 * values are secrets, and a shell that sourced it exports them), and any variable whose value
 * holds a token (`MY_TOKEN=$REGISTRY_TOKEN`). Names compare case-insensitively, as getenv's do.
 */
export interface SecretEnvironment {
  names: ReadonlySet<string>;
  /** The tokens: a variable whose value holds one anywhere is a secret. */
  mask: SecretMask;
  /** `.env`'s values of 8 characters or more: a variable whose whole value is one is a secret. */
  values: ReadonlySet<string>;
}

/** Shorter `.env` values (`1`, `true`, a user name) match too many harmless variables to withhold them. */
const MIN_DOTENV_VALUE = 8;

export function secretEnvironmentOf(env: NodeJS.ProcessEnv, dotenv: Record<string, string> = {}): SecretEnvironment {
  const names = new Set([...TOKEN_KEYS, ...Object.keys(dotenv)].map((n) => n.toUpperCase()));
  const values = new Set(Object.values(dotenv).filter((v) => v.length >= MIN_DOTENV_VALUE));
  return { names, mask: new SecretMask([...tokenValues(env), ...tokenValues(dotenv)]), values };
}

export function isSecretVariable(secrets: SecretEnvironment, name: string, value: string | undefined): boolean {
  if (secrets.names.has(name.toUpperCase())) return true;
  return value !== undefined && (secrets.values.has(value) || secrets.mask.foundIn(value));
}

const dotenvOfRoot = new Map<string, Record<string, string>>();

/**
 * The secret environment of the workspace at `root`, `.env` read once per workspace and process
 * by the one bounded reader (the local runner asks for every proc it starts; a .env that cannot
 * be read or parsed gives no values: validate reports it); `root` null: the tokens alone.
 */
export function workspaceSecrets(root: string | null, env: NodeJS.ProcessEnv = process.env): SecretEnvironment {
  let dotenv = root === null ? {} : dotenvOfRoot.get(root);
  if (dotenv === undefined && root !== null) {
    const read = readEnvFileSync(root);
    dotenv = read && 'values' in read ? read.values : {};
    dotenvOfRoot.set(root, dotenv);
  }
  return secretEnvironmentOf(env, dotenv);
}

/** What a submit file is planned in (submit-plan.ts PlanOptions): condor_submit's environment. */
export interface SubmitEnvironment {
  /** The environment less its secret variables: all that a submit file's `$ENV(NAME)` can read. */
  env: NodeJS.ProcessEnv;
  /** The variables left out (secretVariablesIn): condor_submit runs without them, and `$ENV()` of one reads as unset. */
  withheld: ReadonlySet<string>;
  /** The tokens (of the environment and .env), still masked wherever they show. */
  tokens: readonly string[];
}

/**
 * The environment the workspace at `root` plans its submit file in, and runs condor_submit in
 * (condor-submit.ts). Plans made here (a pool's preview and record, a local run, validate) read
 * it as condor_submit does, so `$ENV()` of a secret reads as unset in all of them and no secret
 * reaches a job, its spec or its record through it.
 */
export function submitEnvironment(root: string, env: NodeJS.ProcessEnv = process.env): SubmitEnvironment {
  const secrets = workspaceSecrets(root, env);
  const withheld = new Set(secretVariablesIn(env, secrets));
  // No prototype: a variable named `__proto__` or `constructor` is a key like any other.
  const kept = Object.create(null) as NodeJS.ProcessEnv;
  for (const [name, value] of Object.entries(env)) if (value !== undefined && !withheld.has(name)) kept[name] = value;
  return { env: kept, withheld, tokens: secrets.mask.secrets };
}

/** The names of the secret variables set in `env`, sorted. */
export function secretVariablesIn(env: NodeJS.ProcessEnv, secrets: SecretEnvironment): string[] {
  return Object.keys(env)
    .filter((name) => env[name] !== undefined && isSecretVariable(secrets, name, env[name]))
    .sort();
}
