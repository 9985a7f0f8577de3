// Credentials never leave through the submit-file reader: the values of the credential keys
// (scripts/lib/env-keys.ts), from the environment or assigned in a submit file (an
// `include : .env` turns `REGISTRY_TOKEN=…` into a submit macro), are replaced by a mask in every
// message, warning and planned value the reader produces.
// The mask itself is the one every script uses: ../secret-mask.ts.
import { GITHUB_CREDENTIALS, REGISTRY_CREDENTIALS, TOKEN_KEYS } from '../env-keys.ts';

export const CREDENTIAL_KEYS: readonly string[] = [...REGISTRY_CREDENTIALS, ...GITHUB_CREDENTIALS];

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
