// The build-image step from end to end: plan the tags from the inputs; when the registry already
// has the content tag, record its digest and stop (the common case, kept light: the engine,
// build and push modules load only when something is built); else build, push and record.
import { UserError } from '../errors.ts';
import type { Shell } from '../shell.ts';
import { printSummary, recordFor, saveRecord } from './finish.ts';
import { planImage, type Plan, type PlanOptions } from './plan.ts';
import { RegistryClient } from './registry.ts';

export interface PublishOptions extends PlanOptions {
  /** --engine: docker, podman or a path. */
  engine?: string;
  /**
   * Rebuild without the engine's cache. Never moves a content tag: when the registry has it
   * already, --force refuses (a rebuild is a new image with a new digest under the same name).
   */
  force: boolean;
  /** false for --no-push: build only. */
  push: boolean;
  explain: boolean;
  /** --network for RUN steps. */
  network?: string;
  /** --sif (or [tool.pixi-condor] sif = true): also make, push and record a SIF for Apptainer. */
  sif?: boolean;
  /** --stage DIR: put the SIF in this staging folder instead of the registry. */
  stage?: string;
  /** Summary lines (stdout). */
  out: (line: string) => void;
  /** Progress and notes (stderr). */
  err: (line: string) => void;
}

/**
 * After a revert the content tag exists but the moving tag may name a newer image: point it
 * back. Best effort: submit pins the digest, so a moving tag that cannot be moved (no
 * credentials for a registry that lets anyone read) is a warning. True when it now points here.
 */
async function pointMovingTag(
  plan: Plan,
  registry: RegistryClient,
  digest: string,
  shell: Shell,
  err: PublishOptions['err'],
): Promise<boolean> {
  const moving = `${plan.repository}:${plan.movingTag}`;
  if (shell.dryRun) {
    err(`would point ${moving} at ${digest}`);
    return true;
  }
  try {
    await registry.retag(digest, plan.movingTag);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    err(`warning: ${moving} still names another image: ${error.message}`);
    err(
      `hint: submit pins ${digest} and is not affected; to move the tag too, ` +
        (plan.credentials
          ? 'check that the token may write this repository, then run build-image again'
          : 'set REGISTRY_USER and REGISTRY_TOKEN in .env and run build-image again'),
    );
    return false;
  }
  err(`pointed ${moving} at ${digest}`);
  return true;
}

/**
 * --explain: where each value comes from, the engine that would build, and the tags; then stop
 * (issue 18: it used to go on and build and push). Nothing is built, pushed, logged in to or
 * recorded; the registry is not asked.
 */
async function explainOnly(plan: Plan, options: PublishOptions): Promise<number> {
  const { detectEngine } = await import('./engine.ts');
  try {
    await detectEngine(options.shell, options.engine, options.env, plan.explain);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    plan.explain.note('engine', '(none usable)', error.message);
  }
  options.err(`where each value comes from:\n${plan.explain.format()}`);
  options.err(`content tag: ${plan.repository}:${plan.contentTag}`);
  options.out('explained only: nothing was built, pushed or recorded (run build-image without --explain to build)');
  return 0;
}

export async function publishImage(options: PublishOptions): Promise<number> {
  const { shell } = options;
  const plan = await planImage(options);
  if (options.explain) return explainOnly(plan, options);
  options.err(`content tag: ${plan.repository}:${plan.contentTag}`);
  const registry = new RegistryClient(plan.ref, plan.credentials);

  if (options.push && shell.dryRun) {
    // A dry run plans from local facts: asking the registry is a network round trip (seconds
    // offline) for a plan that is the same either way; it says so instead.
    options.err(
      `dry run: the registry was not asked whether ${plan.repository}:${plan.contentTag} is there (a real run ` +
        'builds and pushes nothing when it is) or whether it wants a login',
    );
  } else if (options.push) {
    // Both tags at once: one round trip to the registry on the no-op path, size included.
    const [found, moving] = await Promise.all([
      registry.lookupTag(plan.contentTag, plan.config.platform),
      registry.lookupTag(plan.movingTag),
    ]);
    if (found.state === 'found' && options.force) {
      throw new UserError(
        `--force would point ${plan.repository}:${plan.contentTag} at a new build, and a content tag names one image forever (it names ${found.manifest.digest})`,
        {
          hint:
            'the registry has this image already, and submit pins that digest; to rebuild without cache ' +
            'locally, use --force --no-push; to publish another image, change one of its inputs (its tag changes with it)',
        },
      );
    }
    if (found.state === 'found') {
      const digest = found.manifest.digest;
      const finishing = { root: options.root, dryRun: shell.dryRun, out: options.out, err: options.err };
      const movingHere = moving.state === 'found' && moving.manifest.digest === digest;
      // The record first: all submit needs is the digest, whatever becomes of the moving tag.
      const record = recordFor(plan, digest, found.sizeBytes, movingHere ? undefined : [plan.contentTag]);
      await saveRecord(record, finishing);
      if (!movingHere && (await pointMovingTag(plan, registry, digest, shell, options.err))) {
        record.tags = [plan.contentTag, plan.movingTag];
        if (!shell.dryRun) await saveRecord(record, finishing);
      }
      printSummary(record, 'up to date: the registry already has this content tag; nothing built or pushed', finishing);
      return withSif(plan, registry, options, 0);
    }
    if (found.state === 'needs-credentials') {
      throw new UserError(`registry ${plan.ref.registry} needs credentials to check and push ${plan.repository}`, {
        hint:
          'set REGISTRY_USER and REGISTRY_TOKEN in .env (see .env.example)' +
          (plan.ref.registry === 'ghcr.io' ? ', or GITHUB_ACTOR/GITHUB_TOKEN' : ''),
      });
    }
  }

  const { buildAndPush } = await import('./build-and-push.ts');
  return withSif(plan, registry, options, await buildAndPush(plan, registry, options));
}

/** The SIF step, when asked for (it loads only then), after a Docker step that succeeded. */
async function withSif(plan: Plan, registry: RegistryClient, options: PublishOptions, code: number): Promise<number> {
  if (code !== 0 || !(options.sif || options.stage !== undefined || plan.config.sif)) return code;
  const { publishSif } = await import('./sif/publish-sif.ts');
  return publishSif(plan, registry, options);
}
