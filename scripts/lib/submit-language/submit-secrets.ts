// Credentials never leave through the submit-file reader: the values of the credential keys
// (scripts/lib/env-keys.ts), from the environment or assigned in a submit file (an
// `include : .env` turns `REGISTRY_TOKEN=…` into a submit macro), are replaced by a mask in every
// message, warning and planned value the reader produces.
import { GITHUB_CREDENTIALS, REGISTRY_CREDENTIALS, TOKEN_KEYS } from '../env-keys.ts';

export const CREDENTIAL_KEYS: readonly string[] = [...REGISTRY_CREDENTIALS, ...GITHUB_CREDENTIALS];
export const MASK = '***'; // the same mask the command gateway (shell.ts) and submit's own printing use

function bare(name: string): string {
  return name.trim().toUpperCase().replace(/^MY\./, '');
}

/** A credential key: its value is never expanded into the plan ($ENV(…), $(…), +Attr). */
export function isCredentialKey(name: string): boolean {
  return CREDENTIAL_KEYS.includes(bare(name));
}

/** A token key: its value is also masked wherever it appears in a message. */
export function isTokenKey(name: string): boolean {
  return TOKEN_KEYS.includes(bare(name));
}

export class SecretMask {
  private readonly values = new Set<string>();

  constructor(env: NodeJS.ProcessEnv) {
    for (const key of TOKEN_KEYS) this.add(env[key]);
  }

  add(value: string | undefined): void {
    const trimmed = value?.trim().replace(/^"(.*)"$/s, '$1');
    // Very short values would mask ordinary words; a credential is never that short.
    if (trimmed && trimmed.length >= 4) this.values.add(trimmed);
  }

  mask(text: string): string {
    let out = text;
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join(MASK);
    return out;
  }
}
