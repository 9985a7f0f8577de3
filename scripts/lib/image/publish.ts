// The build-image step from end to end: work out the tags from the inputs, skip everything
// when the registry already has the content tag, else build, log in (only when the registry
// wants it), push both tags, read the digest back from the registry, and record it.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { gitInfo, githubRepoFromRemote, type GitInfo } from '../git.ts';
import { IMAGE_RECORD, writeImageRecord, type ImageRecord } from '../image-record.ts';
import type { Shell } from '../shell.ts';
import { readManifest, templateConfig, type TemplateConfig } from '../workspace.ts';
import { buildImage } from './build.ts';
import { hashImageInputs, readImageInputs, type ImageInputs } from './content-hash.ts';
import { readDotenv, registryCredentials, type Credentials } from './credentials.ts';
import { detectEngine, type Engine } from './engine.ts';
import { Explain } from './explain.ts';
import { checkLock } from './lock-check.ts';
import { login, type RegistryAuth } from './login.ts';
import { codenameOf, expandTag, parseRepository, resolveRepository, type ImageRef } from './naming.ts';
import { formatBytes } from './progress.ts';
import { pushImage } from './push.ts';
import { RegistryClient, type TagLookup } from './registry.ts';

export interface PublishOptions {
  root: string;
  shell: Shell;
  env: NodeJS.ProcessEnv;
  /** --engine: docker, podman or a path. */
  engine?: string;
  /** Build and push even when the content tag exists. */
  force: boolean;
  /** false for --no-push: build only. */
  push: boolean;
  explain: boolean;
  /** --network for RUN steps. */
  network?: string;
  /** --build-arg overrides, over [tool.pixi-condor] build-args. */
  buildArgs: Record<string, string>;
  /** Summary lines (stdout). */
  out: (line: string) => void;
  /** Progress and notes (stderr). */
  err: (line: string) => void;
}

export interface Plan {
  config: TemplateConfig;
  inputs: ImageInputs;
  contentHash: string;
  repository: string;
  ref: ImageRef;
  contentTag: string;
  movingTag: string;
  cuda: string;
  git: GitInfo;
  credentials: Credentials | null;
  explain: Explain;
}

/** Everything decided before any engine or registry is asked: names, tags, credentials. */
export async function planImage(options: Pick<PublishOptions, 'root' | 'shell' | 'env' | 'buildArgs'>): Promise<Plan> {
  const { root, shell, env } = options;
  const explain = new Explain();
  const manifest = await readManifest(root);
  const base = templateConfig(manifest.data);
  const config: TemplateConfig = { ...base, buildArgs: { ...base.buildArgs, ...options.buildArgs } };
  for (const name of Object.keys(base.buildArgs)) explain.note(`build arg ${name}`, config.buildArgs[name]!, '[tool.pixi-condor.build-args] in pixi.toml');
  for (const [name, value] of Object.entries(options.buildArgs)) explain.note(`build arg ${name}`, value, '--build-arg');
  explain.note('environment', config.environment, '[tool.pixi-condor] environment (default: default)');
  explain.note('platform', config.platform, '[tool.pixi-condor] platform (default: linux/amd64)');

  // git answers while the inputs are read and hashed.
  const gitPromise = gitInfo(shell, root);
  gitPromise.catch(() => {}); // awaited below; never an unhandled rejection if reading fails first
  const inputs = await readImageInputs(root, config);
  // The allow-list .dockerignore keeps .env out; refuse a context that would carry it.
  if (!inputs.ignore.ignores('.env')) {
    const hasEnv = await readFile(join(root, '.env')).then(() => true, () => false);
    if (hasEnv) {
      throw new UserError('.env would be sent to the image build (it holds the registry token)', {
        file: '.dockerignore',
        hint: 'add `.env` to .dockerignore (the template ignores everything but pixi.toml and pixi.lock)',
      });
    }
  }
  const contentHash = await hashImageInputs(root, config, inputs);
  explain.note('content hash', contentHash, `${config.dockerfile}, build args, platform, ${inputs.files.join(', ') || 'no copied files'}`);

  const git = await gitPromise;
  const repository = resolveRepository(config, git.remoteUrl, env, explain);
  const ref = parseRepository(repository);

  const cudaArg = inputs.buildArgs.effective.get('CUDA_VERSION');
  const cudaManifest = (manifest.data['system-requirements'] as { cuda?: unknown } | undefined)?.cuda;
  const cuda = cudaArg ?? (typeof cudaManifest === 'string' ? cudaManifest : undefined);
  if (!cuda) {
    throw new UserError(`no CUDA version for the tag: ${config.dockerfile} has no CUDA_VERSION arg and pixi.toml no [system-requirements] cuda`, {
      file: config.dockerfile,
      hint: 'add `ARG CUDA_VERSION="12.9"` to the Dockerfile',
    });
  }
  explain.note('cuda', cuda, cudaArg ? `build arg CUDA_VERSION` : '[system-requirements] cuda in pixi.toml');
  const codename = codenameOf(inputs.model.finalImage);
  explain.note('codename', codename, `tag of the final base image ${inputs.model.finalImage ?? '(none)'}`);
  const values = { environment: config.environment, codename, cuda, hash: contentHash };
  const contentTag = expandTag(config.tag, values, 'tag');
  const movingTag = expandTag(config.movingTag, values, 'moving-tag');
  if (contentTag === movingTag || !config.tag.includes('{hash}')) {
    throw new UserError('[tool.pixi-condor] tag must contain {hash} and differ from moving-tag', {
      file: 'pixi.toml',
      hint: 'execute points cache images by tag: only a content tag is safe to reuse; keep the default tag template',
    });
  }
  explain.note('content tag', contentTag, '[tool.pixi-condor] tag');
  explain.note('moving tag', movingTag, '[tool.pixi-condor] moving-tag');

  const credentials = registryCredentials(ref.registry, await readDotenv(root), env, explain);
  if (credentials) shell.addSecret(credentials.token);
  return { config, inputs, contentHash, repository, ref, contentTag, movingTag, cuda, git, credentials, explain };
}

function sha256File(text: Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

async function labelsFor(plan: Plan, root: string): Promise<Record<string, string>> {
  const github = githubRepoFromRemote(plan.git.remoteUrl);
  const lock = await readFile(join(root, 'pixi.lock')).catch(() => null);
  const labels: Record<string, string> = {
    'org.opencontainers.image.source': github ? `https://github.com/${github.owner}/${github.name}` : `https://${plan.repository}`,
    'org.opencontainers.image.revision': plan.git.revision ?? 'unknown',
    'org.opencontainers.image.created': new Date().toISOString(),
    'org.opencontainers.image.title': `${plan.ref.path.split('/').pop()} (${plan.config.environment}, CUDA ${plan.cuda})`,
    'io.pixi-condor.content-hash': plan.contentHash,
  };
  if (lock) labels['io.pixi-condor.pixi-lock.sha256'] = sha256File(lock);
  return labels;
}

function recordFor(plan: Plan, digest: string, sizeBytes: number | undefined): ImageRecord {
  return {
    version: 1,
    repository: plan.repository,
    contentTag: plan.contentTag,
    tags: [plan.contentTag, plan.movingTag],
    digest,
    reference: `${plan.repository}@${digest}`,
    contentHash: plan.contentHash,
    environment: plan.config.environment,
    cuda: plan.cuda,
    platform: plan.config.platform,
    gitRevision: plan.git.revision,
    recordedAt: new Date().toISOString(),
    ...(sizeBytes !== undefined ? { sizeBytes } : {}),
  };
}

async function lookup(registry: RegistryClient, tag: string, options: PublishOptions): Promise<TagLookup | null> {
  try {
    return await registry.lookupTag(tag);
  } catch (error) {
    // A dry run still shows its plan when the registry cannot be asked.
    if (options.shell.dryRun && error instanceof UserError) {
      options.err(`note: could not check the registry (${error.message}); showing a full build`);
      return null;
    }
    throw error;
  }
}

async function record(plan: Plan, registry: RegistryClient, digest: string, options: PublishOptions): Promise<ImageRecord> {
  const sizeBytes = await registry.imageSize(digest, plan.config.platform).catch(() => undefined);
  const result = recordFor(plan, digest, sizeBytes);
  if (options.shell.dryRun) options.err(`would write ${IMAGE_RECORD}`);
  else await writeImageRecord(options.root, result);
  return result;
}

/** After a revert the content tag exists but the moving tag may name a newer image: point it back. */
async function pointMovingTag(plan: Plan, registry: RegistryClient, digest: string, options: PublishOptions): Promise<void> {
  const moving = await registry.lookupTag(plan.movingTag);
  if (moving.state === 'found' && moving.manifest.digest === digest) return;
  if (options.shell.dryRun) {
    options.err(`would point ${plan.repository}:${plan.movingTag} at ${digest}`);
    return;
  }
  await registry.retag(digest, plan.movingTag);
  options.err(`pointed ${plan.repository}:${plan.movingTag} at ${digest}`);
}

function summary(options: PublishOptions, result: ImageRecord, how: string, localSize?: number): void {
  const sizes = [result.sizeBytes !== undefined ? `${formatBytes(result.sizeBytes)} compressed in the registry` : null, localSize ? `${formatBytes(localSize)} unpacked` : null].filter(Boolean);
  options.out(`${how}`);
  options.out(`  image   ${result.reference}`);
  options.out(`  tags    ${result.tags.join(', ')}`);
  if (sizes.length > 0) options.out(`  size    ${sizes.join(', ')}`);
  options.out(`  record  ${IMAGE_RECORD}${options.shell.dryRun ? ' (not written: dry run)' : ''}`);
}

export async function publishImage(options: PublishOptions): Promise<number> {
  const { shell } = options;
  const plan = await planImage(options);
  if (options.explain) options.err(`where each value comes from:\n${plan.explain.format()}`);
  const contentRef = `${plan.repository}:${plan.contentTag}`;
  const movingRef = `${plan.repository}:${plan.movingTag}`;
  options.err(`content tag: ${contentRef}`);
  const registry = new RegistryClient(plan.ref, plan.credentials);

  if (options.push && !options.force) {
    const found = await lookup(registry, plan.contentTag, options);
    if (found?.state === 'found') {
      options.err(`${contentRef} is already in the registry: nothing to build or push`);
      await pointMovingTag(plan, registry, found.manifest.digest, options);
      const result = await record(plan, registry, found.manifest.digest, options);
      summary(options, result, `up to date: ${result.reference}`);
      return 0;
    }
    if (found?.state === 'needs-credentials') {
      throw new UserError(`registry ${plan.ref.registry} needs credentials to check and push ${plan.repository}`, {
        hint: 'set REGISTRY_USER and REGISTRY_TOKEN in .env (see .env.example)' + (plan.ref.registry === 'ghcr.io' ? ', or GITHUB_ACTOR/GITHUB_TOKEN' : ''),
      });
    }
  }

  await checkLock(options.root);
  const engine: Engine = await detectEngine(shell, options.engine, options.env, plan.explain);
  if (options.explain) options.err(`  engine: ${engine.bin} (${engine.kind} ${engine.serverVersion}, builder ${engine.builder})`);
  const built = await buildImage(shell, engine, {
    root: options.root,
    dockerfile: plan.config.dockerfile,
    platform: plan.config.platform,
    tags: [contentRef, movingRef],
    buildArgs: plan.inputs.buildArgs.passed,
    labels: await labelsFor(plan, options.root),
    ...(options.network ? { network: options.network } : {}),
    noCache: options.force,
  });
  let localSize: number | undefined;
  if (built.imageId) {
    const inspect = await shell.run([engine.bin, 'image', 'inspect', '--format', '{{.Size}}', built.imageId], { readOnly: true, nothrow: true });
    localSize = Number(inspect.stdout.trim()) || undefined;
  }
  if (!options.push) {
    options.out(`built ${contentRef}${built.imageId ? ` (${built.imageId.slice(0, 19)}${localSize ? `, ${formatBytes(localSize)}` : ''})` : ''}; not pushed (--no-push), ${IMAGE_RECORD} unchanged`);
    return 0;
  }

  // Log in only when the registry asks for credentials and we have them.
  let auth: RegistryAuth | null = null;
  const needsLogin = plan.credentials !== null && (await registry.requiresAuth().catch((error) => (shell.dryRun ? true : Promise.reject(error))));
  try {
    if (needsLogin) auth = await login(shell, engine, plan.ref.registry, plan.credentials!);
    const pushed = await pushImage(shell, engine, contentRef, plan.ref.registry, auth?.env ?? {});
    await pushImage(shell, engine, movingRef, plan.ref.registry, auth?.env ?? {});
    if (shell.dryRun) {
      options.err(`would write ${IMAGE_RECORD}`);
      options.out(`would build and push ${contentRef} and ${movingRef}, then record the digest in ${IMAGE_RECORD}`);
      return 0;
    }
    // The registry's own answer is what a pull of the tag resolves to: record that.
    const found = await registry.lookupTag(plan.contentTag);
    if (found.state !== 'found') {
      throw new UserError(`the registry does not show ${contentRef} after the push`, { hint: 'the registry may be eventually consistent: run build-image again' });
    }
    if (pushed.digest && pushed.digest !== found.manifest.digest) {
      options.err(`note: the engine reported ${pushed.digest}, the registry serves ${found.manifest.digest}; recording the registry's`);
    }
    const result = await record(plan, registry, found.manifest.digest, options);
    summary(options, result, `pushed: ${result.reference}`, localSize);
    return 0;
  } finally {
    await auth?.dispose();
  }
}
