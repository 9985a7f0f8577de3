// `getenv`: which of the submitter's variables condor_submit copies into the job
// (submit_utils.cpp:1820-1840). A boolean (true: every variable), or a list split on `,`, `;` and
// white space whose names (case-insensitive, `*` wildcards) are let through, and whose `!name`
// entries are kept out; with only `!` entries everything else goes through
// (env.cpp WhiteBlackEnvFilter::AddToWhiteBlackList and operator(), 714-755).
import { type SecretEnvironment, secretVariablesIn } from '../secret-mask.ts';

/** null: getenv copies nothing; else whether a variable of this name is copied. */
export function getenvMatcher(value: string | undefined): ((name: string) => boolean) | null {
  const text = value?.trim() ?? '';
  if (!text || /^(false|no|0)$/i.test(text)) return null;
  if (/^(true|yes|1)$/i.test(text)) return () => true;
  const allow: RegExp[] = [];
  const deny: RegExp[] = [];
  for (const item of text.split(/[,;\s]+/)) {
    const name = item.startsWith('!') ? item.slice(1).trim() : item;
    if (!name) continue;
    const pattern = new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
    (item.startsWith('!') ? deny : allow).push(pattern);
  }
  return (name) => !deny.some((p) => p.test(name)) && (allow.length === 0 || allow.some((p) => p.test(name)));
}

/** Where a submit file sets getenv, and the secret names it would copy. */
export interface GetenvSecrets {
  /** 1-based line of the last `getenv` assignment; null when only an -append line sets it. */
  line: number | null;
  value: string;
  /** The secret names it matches, sorted: those set now, and the token and .env keys. */
  names: string[];
}

/**
 * The secrets `getenv` would copy (issue 18): the last `getenv` (or `GetEnv`) of the file, or of
 * the `-append` lines read after it, against the token keys, the `.env` keys and the secret
 * variables set in `env`. null when it copies none.
 */
export function getenvSecrets(
  statements: readonly { kind: string; key?: string; value?: string; line: number }[],
  append: readonly string[],
  env: NodeJS.ProcessEnv,
  secrets: SecretEnvironment,
): GetenvSecrets | null {
  let found: { line: number | null; value: string } | null = null;
  for (const s of statements)
    if (s.kind === 'assign' && s.key?.toLowerCase() === 'getenv') found = { line: s.line, value: s.value ?? '' };
  for (const line of append) {
    const m = /^\s*getenv\s*=\s*(.*)$/i.exec(line);
    if (m) found = { line: null, value: m[1]!.trim() };
  }
  if (!found) return null;
  const copied = getenvMatcher(found.value);
  if (!copied) return null;
  const candidates = new Set([...secrets.names, ...secretVariablesIn(env, secrets)]);
  const names = [...candidates].filter((name) => copied(name)).sort();
  return names.length === 0 ? null : { ...found, names };
}

/** The warning's words, the same in validate and submit. */
export function getenvSecretMessage(found: GetenvSecrets): { message: string; hint: string } {
  return {
    message: `getenv = ${found.value} would copy ${found.names.join(', ')} into the job: on a pool condor_submit puts what getenv copies in the job ad, which every user of the pool can read (condor_q -l)`,
    hint: 'pixi-condor withholds these from local jobs and from condor_submit; name only what the job needs (getenv = PATH, CUDA*) or add !*TOKEN* to the list',
  };
}
