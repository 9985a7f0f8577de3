// Registry credentials: REGISTRY_USER/REGISTRY_TOKEN from the environment or the workspace's
// .env (the environment wins, as dotenv does), and GITHUB_ACTOR/GITHUB_TOKEN for ghcr.io, which
// GitHub Actions provides. The token is registered with the Shell as a secret so it is refused
// in argv and masked in output; it travels to `docker login` on stdin only.
import { GITHUB_CREDENTIALS, REGISTRY_CREDENTIALS } from '../env-keys.ts';
import { UserError } from '../errors.ts';
import type { Explain } from './explain.ts';

export interface Credentials {
  username: string;
  token: string;
}

/** `<root>/.env` without touching process.env; absent = empty. Read within validate's bounds (one reader). */
export { readEnvValues as readDotenv } from '../validate/env-file.ts';

export function registryCredentials(
  registry: string,
  dotenv: Record<string, string>,
  env: NodeJS.ProcessEnv,
  explain: Explain,
): Credentials | null {
  const lookup = (name: string): { value: string; source: string } | null => {
    if (env[name]) return { value: env[name]!, source: `$${name}` };
    if (dotenv[name]) return { value: dotenv[name]!, source: `${name} in .env` };
    return null;
  };
  const pairs: (readonly [string, string])[] = [REGISTRY_CREDENTIALS];
  if (registry === 'ghcr.io') pairs.push(GITHUB_CREDENTIALS);
  for (const [userKey, tokenKey] of pairs) {
    const user = lookup(userKey);
    const token = lookup(tokenKey);
    if (user && token) {
      explain.note('registry user', user.value, user.source);
      explain.note('registry token', '(set, not shown)', token.source);
      return { username: user.value, token: token.value };
    }
    if (user || token) {
      throw new UserError(`${user ? userKey : tokenKey} is set but ${user ? tokenKey : userKey} is not`, {
        hint: `set both in .env (see .env.example) or the environment`,
      });
    }
  }
  explain.note(
    'registry credentials',
    'none',
    'neither REGISTRY_USER/REGISTRY_TOKEN' +
      (registry === 'ghcr.io' ? ' nor GITHUB_ACTOR/GITHUB_TOKEN' : '') +
      ' is set',
  );
  return null;
}
