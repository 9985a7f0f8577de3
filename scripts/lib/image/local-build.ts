// `submit --local` on a fresh machine (issue 18, item 6): with no image record, the image is
// built here, by build-image's own pieces (the manifest's config and build args, the content
// hash, the engine, `docker build`), with no registry, no login and no push, and the job is
// pinned to the engine's image ID. `.pixi-condor/local-image.json` remembers the build (content
// hash → image ID) so the next run reuses it while the inputs and the image are unchanged.
// A local build is never an image record: `submit` to a pool still needs `build-image`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';
import { BoundedReadError, readBoundedText } from '../bounded-read.ts';
import { UserError } from '../errors.ts';
import type { Shell } from '../shell.ts';
import { readManifest, STATE_DIR, templateConfig } from '../workspace.ts';
import { buildImage } from './build.ts';
import { hashImageInputs, readImageInputs } from './content-hash.ts';
import { detectEngine } from './engine.ts';
import { Explain } from './explain.ts';
import { LOCAL_REPOSITORY } from '../image-record.ts';

export const LOCAL_IMAGE_RECORD = `${STATE_DIR}/local-image.json`;

export interface LocalImage {
  /** `sha256:…`, what the job is pinned to. */
  imageId: string;
  /** The tag it was built under, for people. */
  reference: string;
  contentHash: string;
}

function readLocalRecord(root: string): LocalImage | null {
  try {
    const doc = JSON.parse(readBoundedText(join(root, LOCAL_IMAGE_RECORD), 64 * 1024)) as Partial<LocalImage>;
    if (
      typeof doc.imageId === 'string' &&
      /^sha256:[0-9a-f]{64}$/.test(doc.imageId) &&
      typeof doc.reference === 'string' &&
      typeof doc.contentHash === 'string'
    )
      return { imageId: doc.imageId, reference: doc.reference, contentHash: doc.contentHash };
    return null; // a record of another shape: built again and rewritten
  } catch (error) {
    if (error instanceof BoundedReadError || error instanceof SyntaxError) return null;
    throw error;
  }
}

export interface LocalBuildOptions {
  root: string;
  shell: Shell;
  env: NodeJS.ProcessEnv;
  /** Progress and notes. */
  err: (line: string) => void;
}

/** The content hash and tag the workspace's image would have, without building it. */
export async function localImagePlan(root: string): Promise<{ contentHash: string; reference: string }> {
  const { config, inputs } = await workspaceImageInputs(root);
  const { hash } = await hashImageInputs(root, config, inputs);
  return { contentHash: hash, reference: localReference(config.environment, hash) };
}

/** The manifest's image settings and the build's inputs (Dockerfile, context, build args). */
async function workspaceImageInputs(root: string) {
  const manifest = await readManifest(root);
  const config = templateConfig(manifest.data);
  return { config, inputs: await readImageInputs(root, config, new Set(), manifest.file) };
}

const localReference = (environment: string, hash: string) => `${LOCAL_REPOSITORY}:${environment}-${hash.slice(0, 12)}`;

/** The workspace's image, built here unless the last local build of the same inputs is still in the engine. */
export async function localImage(options: LocalBuildOptions): Promise<LocalImage> {
  const { root, shell } = options;
  const { config, inputs } = await workspaceImageInputs(root);
  if (!inputs.ignore.ignores('.env') && existsSync(join(root, '.env')))
    throw new UserError('.env would be sent to the image build (it holds the registry token)', {
      file: '.dockerignore',
      hint: 'add `.env` to .dockerignore (the template ignores everything but pixi.toml and pixi.lock)',
    });
  const { hash } = await hashImageInputs(root, config, inputs);
  const reference = localReference(config.environment, hash);
  // A local run drives the docker CLI, so the image must be docker's.
  const engine = await detectEngine(shell, 'docker', options.env, new Explain());
  const last = readLocalRecord(root);
  if (last?.contentHash === hash) {
    const present = await shell.run([engine.bin, 'image', 'inspect', '--format', '{{.Id}}', last.imageId], {
      readOnly: true,
      nothrow: true,
      timeoutMs: 30_000,
    });
    if (present.exitCode === 0 && present.stdout.trim() === last.imageId) {
      options.err(`image: ${last.reference} (${last.imageId.slice(0, 19)}), built here earlier from the same inputs`);
      return last;
    }
  }
  options.err(
    `no image record (${STATE_DIR}/image.json): building the image here from ${config.dockerfile} (no registry, no push)`,
  );
  const built = await buildImage(shell, engine, {
    root,
    dockerfile: config.dockerfile,
    platform: config.platform,
    tags: [reference],
    buildArgs: inputs.buildArgs.passed,
    labels: { 'io.pixi-condor.content-hash': hash },
  });
  if (!built.imageId)
    throw new UserError(`${engine.bin} build gave no image id for ${reference}`, {
      hint: `run \`${engine.bin} build .\` to see what the engine says`,
    });
  const image: LocalImage = { imageId: built.imageId, reference, contentHash: hash };
  await writeFileAtomic(join(root, LOCAL_IMAGE_RECORD), `${JSON.stringify({ version: 1, ...image }, null, 2)}\n`);
  options.err(`built ${reference} (${built.imageId.slice(0, 19)}); the job is pinned to this image ID`);
  return image;
}
