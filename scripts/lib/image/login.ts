// `docker login` / `podman login` with the token on stdin (--password-stdin), into a private,
// temporary credentials folder used only for the push: the token is never in argv, never in
// the user's ~/.docker/config.json after the run (nor after a Ctrl-C), and never near the build.
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { lastLine, type Shell } from '../shell.ts';
import type { Credentials } from './credentials.ts';
import type { Engine } from './engine.ts';
import { registryBaseUrl } from './registry.ts';
import { removeOnExit } from './remove-on-exit.ts';

const REJECTED = /unauthorized|401|invalid username\/password|incorrect username or password|denied/i;
const UNREACHABLE = /connection refused|no such host|i\/o timeout|dial tcp|network is unreachable|timeout exceeded/i;

/** Podman, unlike docker, does not treat loopback registries as plain HTTP by itself. */
export function tlsFlags(engine: Engine, registry: string): string[] {
  return engine.kind === 'podman' && registryBaseUrl(registry).startsWith('http:') ? ['--tls-verify=false'] : [];
}

export interface RegistryAuth {
  /** Environment for engine commands that talk to the registry (login, push). */
  env: Record<string, string>;
  /** Remove the temporary credentials. */
  dispose(): Promise<void>;
}

/** Log in to `registry` in a fresh credentials folder (dry run: print the command only). */
export async function login(
  shell: Shell,
  engine: Engine,
  registry: string,
  credentials: Credentials,
): Promise<RegistryAuth> {
  shell.addSecret(credentials.token);
  // Created and guarded in one synchronous step: no signal can be handled in between.
  const dir = shell.dryRun
    ? join(tmpdir(), 'pixi-condor-auth-XXXXXX')
    : mkdtempSync(join(tmpdir(), 'pixi-condor-auth-'));
  const release = shell.dryRun ? () => {} : removeOnExit(dir);
  const env: Record<string, string> =
    engine.kind === 'podman' ? { REGISTRY_AUTH_FILE: join(dir, 'auth.json') } : { DOCKER_CONFIG: dir };
  // podman refuses to push with an auth file that does not exist yet. docker, given a config
  // with no auths, picks the machine's default credential helper (the desktop keyring, `pass`)
  // and stores the token there, past this run: an entry for a name no registry has keeps it in
  // this file (docker's ContainsAuth).
  if (!shell.dryRun)
    await writeFile(
      join(dir, engine.kind === 'podman' ? 'auth.json' : 'config.json'),
      engine.kind === 'podman' ? '{"auths":{}}\n' : '{"auths":{"pixi-condor.invalid":{}}}\n',
      { mode: 0o600 },
    );
  const dispose = async () => {
    if (shell.dryRun) return;
    await rm(dir, { recursive: true, force: true });
    release();
  };
  const result = await shell.run(
    [
      engine.bin,
      'login',
      '--username',
      credentials.username,
      '--password-stdin',
      ...tlsFlags(engine, registry),
      registry,
    ],
    { stdin: credentials.token, env, nothrow: true, timeoutMs: 60_000 },
  );
  if (result.exitCode !== 0) {
    await dispose();
    const last = lastLine(result.stderr) || `exit ${result.exitCode}`;
    if (UNREACHABLE.test(result.stderr)) {
      throw new UserError(`registry ${registry} is unreachable: ${last}`, {
        hint: 'check the network and the registry host in [tool.pixi-condor] repository',
      });
    }
    if (REJECTED.test(result.stderr)) {
      throw new UserError(`registry ${registry} rejected the login of '${credentials.username}'`, {
        hint: 'check REGISTRY_USER and REGISTRY_TOKEN in .env (for ghcr.io: a token with write:packages)',
      });
    }
    throw new UserError(`\`${engine.bin} login\` failed: ${last}`, {
      hint: `try \`${engine.bin} login ${registry}\` by hand to see why`,
    });
  }
  return { env, dispose };
}
