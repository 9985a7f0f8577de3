// The path that moves bytes, taken when the registry lacks the content tag (or on --force,
// --no-push): check the lock, pick the engine, build with the OCI labels, then log in (only
// when the registry asks), push both tags, read the digest back from the registry, record it.
import { createHash } from 'node:crypto';
import { readBounded } from '../bounded-read.ts';
import { MAX_LOCK_BYTES } from '../validate/lock-check.ts';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { githubRepoFromRemote } from '../git.ts';
import { IMAGE_RECORD } from '../image-record.ts';
import { buildImage } from './build.ts';
import { detectEngine, engineWithoutAsking } from './engine.ts';
import { finish } from './finish.ts';
import { checkLockFreshness } from './lock-freshness.ts';
import { login, type RegistryAuth } from './login.ts';
import type { Plan } from './plan.ts';
import { formatBytes } from '../format.ts';
import type { PublishOptions } from './publish.ts';
import { pushImage } from './push.ts';
import type { RegistryClient } from './registry.ts';

async function labelsFor(plan: Plan, root: string): Promise<Record<string, string>> {
  const github = githubRepoFromRemote(plan.git.remoteUrl);
  let lock: Buffer | null;
  try {
    lock = readBounded(join(root, 'pixi.lock'), MAX_LOCK_BYTES);
  } catch {
    lock = null; // no label: the build itself says what is wrong with the lock
  }
  const labels: Record<string, string> = {
    'org.opencontainers.image.source': github
      ? `https://github.com/${github.owner}/${github.name}`
      : `https://${plan.repository}`,
    'org.opencontainers.image.revision': plan.git.revision ?? 'unknown',
    'org.opencontainers.image.created': new Date().toISOString(),
    'org.opencontainers.image.title': `${plan.ref.path.split('/').pop()} (${plan.config.environment}, CUDA ${plan.cuda})`,
    'io.pixi-condor.content-hash': plan.contentHash,
  };
  if (lock) labels['io.pixi-condor.pixi-lock.sha256'] = createHash('sha256').update(lock).digest('hex');
  return labels;
}

export async function buildAndPush(plan: Plan, registry: RegistryClient, options: PublishOptions): Promise<number> {
  const { shell } = options;
  const contentRef = `${plan.repository}:${plan.contentTag}`;
  const movingRef = `${plan.repository}:${plan.movingTag}`;
  const incomplete = await checkLockFreshness(options.root, {
    saveCache: !shell.dryRun,
    lockOnly: shell.dryRun,
    err: options.err,
  });
  if (incomplete) options.err(`warning: ${incomplete.warning}\nhint: ${incomplete.hint}`);
  if (shell.dryRun)
    options.err("dry run: validate's lock checks ran, its others did not (a real run stops on any error)");
  // A dry run asks the engine nothing (engine.ts, engineWithoutAsking): its plan is local facts.
  const engine = shell.dryRun
    ? await engineWithoutAsking(options.engine, options.env, options.err)
    : await detectEngine(shell, options.engine, options.env, plan.explain);
  if (options.explain)
    options.err(`  engine: ${engine.bin} (${engine.kind} ${engine.serverVersion}, builder ${engine.builder})`);
  if (shell.dryRun && plan.git.commit)
    options.err(
      'dry run: git was not asked whether the work tree has changes (a real run labels the revision ' +
        `${plan.git.commit.slice(0, 12)}…-dirty when it has)`,
    );
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
    const inspect = await shell.run([engine.bin, 'image', 'inspect', '--format', '{{.Size}}', built.imageId], {
      readOnly: true,
      nothrow: true,
    });
    localSize = Number(inspect.stdout.trim()) || undefined;
  }
  if (!options.push) {
    options.out(
      `built ${contentRef}${built.imageId ? ` (${built.imageId.slice(0, 19)}${localSize ? `, ${formatBytes(localSize)}` : ''})` : ''}; not pushed (--no-push), ${IMAGE_RECORD} unchanged`,
    );
    return 0;
  }

  // Log in only when the registry asks for credentials and we have them.
  let auth: RegistryAuth | null = null;
  // (A dry run did not ask: with credentials it shows the login a real run makes when asked.)
  const needsLogin = plan.credentials !== null && (shell.dryRun || (await registry.requiresAuth()));
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
    const found = await registry.lookupTag(plan.contentTag, plan.config.platform);
    if (found.state !== 'found') {
      throw new UserError(`the registry does not show ${contentRef} after the push`, {
        hint: 'the registry may be eventually consistent: run build-image again',
      });
    }
    if (pushed.digest && pushed.digest !== found.manifest.digest) {
      options.err(
        `note: the engine reported ${pushed.digest}, the registry serves ${found.manifest.digest}; recording the registry's`,
      );
    }
    // Execute points pull without credentials: say now if they cannot (ghcr.io's new packages
    // are private). The same check as submit's preflight (one implementation).
    const pinned = `${plan.repository}@${found.manifest.digest}`;
    const { makePublicHint, probeAnonymousPull } = await import('../submit/anonymous-pull.ts');
    const pull = await probeAnonymousPull(pinned);
    if (pull.state === 'not-pullable') {
      options.err(`warning: execute points cannot pull ${pinned} without credentials: ${pull.reason}`);
      options.err(`hint: ${makePublicHint(pinned)}`);
    } else if (pull.state === 'unknown') {
      options.err(`note: could not check that execute points can pull the image without credentials: ${pull.reason}`);
    }
    await finish(
      plan,
      found.manifest.digest,
      found.sizeBytes,
      'built and pushed',
      {
        root: options.root,
        dryRun: false,
        out: options.out,
        err: options.err,
      },
      localSize,
    );
    return 0;
  } finally {
    await auth?.dispose();
  }
}
