// Throw-away copies of the template workspace for the build-image tests: the real Dockerfile,
// .dockerignore, pixi.toml, pixi.lock and job/, in a git repository with a GitHub remote, with
// [tool.pixi-condor] repository pointed wherever the test pushes.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import { runScript, type RunResult } from '../helpers/process.ts';

export const TEMPLATE_FILES = ['Dockerfile', '.dockerignore', 'pixi.toml', 'pixi.lock', 'job', 'mnist_gpu_docker.sub'];

/**
 * The registry credentials and engine choice of the environment the tests run in, unset: a build
 * sees only what its test gives it (DOCKER_CONFIG, the registry's name).
 */
export const NO_CREDENTIALS_ENV = {
  REGISTRY_USER: undefined,
  REGISTRY_TOKEN: undefined,
  GITHUB_ACTOR: undefined,
  GITHUB_TOKEN: undefined,
  GITHUB_REPOSITORY_OWNER: undefined,
  PIXI_CONDOR_ENGINE: undefined,
};

export interface TestWorkspace {
  root: string;
  write(path: string, text: string): void;
  read(path: string): string;
  /** Run build-image on this workspace (as pixi would: PIXI_PROJECT_ROOT), time-bounded. */
  buildImage(
    args: string[],
    options?: { env?: Record<string, string | undefined>; timeoutMs?: number },
  ): Promise<RunResult>;
  remove(): void;
}

function git(root: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.email=test@example.invalid', '-c', 'user.name=test', ...args], {
    cwd: root,
    stdio: 'ignore',
  });
}

export function makeWorkspace(repository: string, options: { git?: boolean } = {}): TestWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'pixi-condor-image-'));
  for (const file of TEMPLATE_FILES) cpSync(join(repoRoot, file), join(root, file), { recursive: true });
  const manifest = readFileSync(join(root, 'pixi.toml'), 'utf8');
  if (!/^repository = ".*"$/m.test(manifest))
    throw new Error('template pixi.toml has no [tool.pixi-condor] repository line');
  writeFileSync(join(root, 'pixi.toml'), manifest.replace(/^repository = ".*"$/m, `repository = "${repository}"`));
  if (options.git !== false) {
    git(root, 'init', '-q');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'template');
    git(root, 'remote', 'add', 'origin', 'https://github.com/Test-Owner/pixi-condor-fork.git');
  }
  return {
    root,
    write: (path, text) => writeFileSync(join(root, path), text),
    read: (path) => readFileSync(join(root, path), 'utf8'),
    buildImage: (args, opts = {}) =>
      runScript('build-image.ts', args, {
        cwd: repoRoot,
        env: {
          PIXI_PROJECT_ROOT: root,
          ...NO_CREDENTIALS_ENV,
          ...opts.env,
        },
        timeoutMs: opts.timeoutMs ?? 60_000,
      }),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A name no earlier run has pushed, so every test starts from an empty registry path. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}
