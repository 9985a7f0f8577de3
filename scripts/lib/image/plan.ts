// What build-image decides before any engine or registry is asked: the config, the image's
// inputs and their content hash, the repository (with its owner), both tags, the git revision
// and the registry credentials, each noted for --explain with where it came from.
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { gitInfo, gitInfoWithoutStatus, type GitInfo } from '../git.ts';
import type { Shell } from '../shell.ts';
import { readManifest, templateConfig, type TemplateConfig } from '../workspace.ts';
import { hashImageInputs, readImageInputs, type ImageInputs } from './content-hash.ts';
import { secretEnvironmentOf } from '../secret-mask.ts';
import { readDotenv, registryCredentials, type Credentials } from './credentials.ts';
import { Explain } from './explain.ts';
import { codenameOf, expandTag, parseRepository, resolveRepository, type ImageRef } from './naming.ts';

export interface PlanOptions {
  root: string;
  shell: Shell;
  env: NodeJS.ProcessEnv;
  /** --build-arg overrides, over [tool.pixi-condor] build-args. */
  buildArgs: Record<string, string>;
}

export interface Plan {
  config: TemplateConfig;
  inputs: ImageInputs;
  contentHash: string;
  /** `sha256:<hex>` of each file in the content hash (see ContentHash). */
  inputDigests: Record<string, string>;
  /** The --build-arg overrides (part of the hash: submit's recomputation needs them). */
  buildArgOverrides: Record<string, string>;
  repository: string;
  ref: ImageRef;
  contentTag: string;
  movingTag: string;
  cuda: string;
  git: GitInfo;
  credentials: Credentials | null;
  explain: Explain;
}

export async function planImage(options: PlanOptions): Promise<Plan> {
  const { root, shell, env } = options;
  const explain = new Explain();
  // git (one process) and .env run while pixi.toml and the inputs are
  // read and hashed; awaited below, so never an unhandled rejection if reading fails first.
  const gitPromise = shell.dryRun ? gitInfoWithoutStatus(shell, root) : gitInfo(shell, root);
  gitPromise.catch(() => {});
  const dotenvPromise = readDotenv(root);
  dotenvPromise.catch(() => {});
  const manifest = await readManifest(root);
  const base = templateConfig(manifest.data);
  const config: TemplateConfig = { ...base, buildArgs: { ...base.buildArgs, ...options.buildArgs } };
  for (const name of Object.keys(base.buildArgs))
    explain.note(`build arg ${name}`, config.buildArgs[name]!, `[tool.pixi-condor.build-args] in ${manifest.file}`);
  for (const [name, value] of Object.entries(options.buildArgs))
    explain.note(`build arg ${name}`, value, '--build-arg');
  explain.note('environment', config.environment, '[tool.pixi-condor] environment (default: default)');
  explain.note('platform', config.platform, '[tool.pixi-condor] platform (default: linux/amd64)');

  const inputs = await readImageInputs(root, config, new Set(Object.keys(options.buildArgs)), manifest.file);
  // The allow-list .dockerignore keeps .env out; refuse a context that would carry it.
  if (!inputs.ignore.ignores('.env')) {
    // A readable regular file (never read: a FIFO is not waited on).
    const envPath = join(root, '.env');
    const hasEnv =
      statSync(envPath, { throwIfNoEntry: false })?.isFile() === true &&
      (() => {
        try {
          accessSync(envPath, constants.R_OK);
          return true;
        } catch {
          return false;
        }
      })();
    if (hasEnv) {
      throw new UserError('.env would be sent to the image build (it holds the registry token)', {
        file: '.dockerignore',
        hint: 'add `.env` to .dockerignore (the template ignores everything but pixi.toml and pixi.lock)',
      });
    }
  }
  // A copied file that cannot be read (an unreadable pixi.lock): one line, as submit's preflight says it.
  const { hash: contentHash, digests: inputDigests } = await hashImageInputs(root, config, inputs).catch(
    async (error: unknown) => {
      const { asFileError } = await import('../submit/file-problem.ts');
      throw asFileError(error, root);
    },
  );
  explain.note(
    'content hash',
    contentHash,
    `${config.dockerfile}, build args, platform, ${inputs.files.join(', ') || 'no copied files'}`,
  );

  const git = await gitPromise;
  const repository = resolveRepository(config, git.remoteUrl, env, explain, manifest.file);
  const ref = parseRepository(repository, manifest.file);

  const cudaArg = inputs.buildArgs.effective.get('CUDA_VERSION');
  const cudaManifest = (manifest.data['system-requirements'] as { cuda?: unknown } | undefined)?.cuda;
  const cuda = cudaArg ?? (typeof cudaManifest === 'string' ? cudaManifest : undefined);
  const requirementsTable = manifest.kind === 'pyproject' ? '[tool.pixi.system-requirements]' : '[system-requirements]';
  if (!cuda) {
    throw new UserError(
      `no CUDA version for the tag: ${config.dockerfile} has no CUDA_VERSION arg and ${manifest.file} no ${requirementsTable} cuda`,
      {
        file: config.dockerfile,
        hint: 'add `ARG CUDA_VERSION="12.9"` to the Dockerfile',
      },
    );
  }
  explain.note('cuda', cuda, cudaArg ? `build arg CUDA_VERSION` : `${requirementsTable} cuda in ${manifest.file}`);
  const codename = codenameOf(inputs.model.finalImage);
  explain.note('codename', codename, `tag of the final base image ${inputs.model.finalImage ?? '(none)'}`);
  const values = { environment: config.environment, codename, cuda, hash: contentHash };
  const contentTag = expandTag(config.tag, values, 'tag', manifest.file);
  const movingTag = expandTag(config.movingTag, values, 'moving-tag', manifest.file);
  if (contentTag === movingTag || !config.tag.includes('{hash}')) {
    throw new UserError('[tool.pixi-condor] tag must contain {hash} and differ from moving-tag', {
      file: manifest.file,
      hint: 'execute points cache images by tag: only a content tag is safe to reuse; keep the default tag template',
    });
  }
  explain.note('content tag', contentTag, '[tool.pixi-condor] tag');
  explain.note('moving tag', movingTag, '[tool.pixi-condor] moving-tag');

  const dotenv = await dotenvPromise;
  const credentials = registryCredentials(ref.registry, dotenv, env, explain);
  // Every token (the one logged in with among them): none may reach argv (a --build-arg) or output.
  for (const token of secretEnvironmentOf(env, dotenv).mask.secrets) shell.addSecret(token);
  for (const [name, value] of Object.entries(config.buildArgs))
    if (shell.holdsSecret(value))
      throw new UserError(`the build argument ${name} holds a registry or GitHub token`, {
        hint: 'a build argument is kept in the image and in `docker history`: give the build a secret with a RUN --mount=type=secret instead, or leave it out',
        exitCode: 2,
      });
  return {
    config,
    inputs,
    contentHash,
    inputDigests,
    buildArgOverrides: { ...options.buildArgs },
    repository,
    ref,
    contentTag,
    movingTag,
    cuda,
    git,
    credentials,
    explain,
  };
}
