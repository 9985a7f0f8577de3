// Credentials never leave through the submit-file reader: the values of the credential keys
// (scripts/lib/env-keys.ts), from the environment or assigned in a submit file (an
// `include : .env` turns `REGISTRY_TOKEN=…` into a submit macro), are replaced by a mask in every
// message, warning and planned value the reader produces.
import { GITHUB_CREDENTIALS, REGISTRY_CREDENTIALS } from '../env-keys.ts';

export const CREDENTIAL_KEYS: readonly string[] = [...REGISTRY_CREDENTIALS, ...GITHUB_CREDENTIALS];
export const MASK = '********';

export function isCredentialKey(name: string): boolean {
  const upper = name.trim().toUpperCase();
  return CREDENTIAL_KEYS.includes(upper) || CREDENTIAL_KEYS.includes(upper.replace(/^MY\./, ''));
}

export class SecretMask {
  private readonly values = new Set<string>();

  constructor(env: NodeJS.ProcessEnv) {
    for (const key of CREDENTIAL_KEYS) this.add(env[key]);
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
