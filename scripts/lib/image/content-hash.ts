// The content hash behind the immutable tag: a sha256 over exactly what decides the image:
// the Dockerfile's bytes, the platform, the effective build args, and every context file its
// COPY/ADD lines take (path, executable bit, content) after .dockerignore. Anything else in
// the workspace (job/main.py, README.md) can change without changing the image or its tag.
import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST, readText, type TemplateConfig } from '../workspace.ts';
import { resolveBuildArgs, type BuildArgs } from './build-args.ts';
import { filesForSources } from './context-files.ts';
import { loadDockerignore, type DockerIgnore } from './dockerignore.ts';
import { parseDockerfile, readDockerfile, type DockerfileModel } from './dockerfile.ts';

/** Bump when the recipe changes, so old and new hashes never collide. */
const HASH_FORMAT = 'pixi-condor-content-hash/1';

export interface ImageInputs {
  dockerfileText: string;
  model: DockerfileModel;
  buildArgs: BuildArgs;
  /** Context-relative paths of the files the Dockerfile copies, sorted. */
  files: string[];
  ignore: DockerIgnore;
}

/** Read the Dockerfile, resolve its build args, and list the context files it copies. */
export async function readImageInputs(
  root: string,
  config: TemplateConfig,
  fromCommandLine: ReadonlySet<string> = new Set(),
  manifestFile = MANIFEST,
): Promise<ImageInputs> {
  const dockerfileText = await readText(join(root, config.dockerfile), config.dockerfile);
  // The declared ARGs decide which build args apply; the model is then read with them.
  const instructions = parseDockerfile(dockerfileText);
  const declared = readDockerfile(instructions, config.dockerfile).args;
  const buildArgs = resolveBuildArgs(declared, config, config.dockerfile, fromCommandLine, manifestFile);
  const model = readDockerfile(instructions, config.dockerfile, buildArgs.passed);
  const ignore = await loadDockerignore(root, config.dockerfile);
  const files = await filesForSources(root, model.copies, ignore, config.dockerfile);
  return { dockerfileText, model, buildArgs, files, ignore };
}

/**
 * node:crypto when a hash is made, not when this module loads: loading it costs a task ~8 ms,
 * and `submit --local` without an image record hashes nothing.
 */
const createHash = (algorithm: string) => process.getBuiltinModule('node:crypto').createHash(algorithm);

/**
 * sha256 of a context file, or null when it is no regular file (a FIFO, socket or device: its
 * contents are not part of the context, and opening it never blocks). A file that cannot be read
 * throws fs's error (with its path): the caller says it in its own words (submit's preflight: a
 * failed check; build-image: one line).
 */
async function fileDigest(path: string): Promise<string | null> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) return null;
    const hash = createHash('sha256');
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export interface ContentHash {
  /** sha256 hex of all the inputs (see the top of this file). */
  hash: string;
  /**
   * `sha256:<hex>` of each file the hash covers, by workspace-relative path: the Dockerfile and
   * every copied file (for a symbolic link, of its target path). Recorded so that a later
   * mismatch can name the file that changed.
   */
  digests: Record<string, string>;
}

/** The content hash of the inputs, with the digest of each file in it. */
export async function hashImageInputs(root: string, config: TemplateConfig, inputs: ImageInputs): Promise<ContentHash> {
  const digests: Record<string, string> = { [config.dockerfile]: `sha256:${sha256(inputs.dockerfileText)}` };
  const hash = createHash('sha256');
  // Length-prefixed fields: no two different inputs can serialise to the same bytes.
  const field = (name: string, value: string) => {
    const bytes = Buffer.from(value, 'utf8');
    hash.update(`${name} ${bytes.length}\n`);
    hash.update(bytes);
    hash.update('\n');
  };
  field('format', HASH_FORMAT);
  field('dockerfile', inputs.dockerfileText);
  field('platform', config.platform);
  for (const [name, value] of inputs.buildArgs.effective) field(`arg ${name}`, value);
  for (const file of inputs.files) {
    const path = join(root, file);
    const stats = await lstat(path);
    if (stats.isSymbolicLink()) {
      const target = await readlink(path);
      field(`symlink ${file}`, target);
      digests[file] = `sha256:${sha256(target)}`;
    } else {
      const digest = stats.isFile() ? await fileDigest(path) : null;
      if (digest === null) {
        // A FIFO, socket or device: docker's context holds its kind, never its contents.
        const kind = stats.isFIFO() ? 'fifo' : stats.isSocket() ? 'socket' : 'device';
        field(`special ${file}`, kind);
        digests[file] = `sha256:${sha256(kind)}`;
        continue;
      }
      // Docker keeps the mode bits; git (and so a fork's checkout) keeps only the x bit.
      field(`file ${file} ${stats.mode & 0o111 ? 'x' : '-'}`, digest);
      digests[file] = `sha256:${digest}`;
    }
  }
  return { hash: hash.digest('hex'), digests };
}

/**
 * The content hash of the image the workspace at `root` builds, the context files that went
 * into it and each file's digest. `submit` compares the hash with the recorded image's to tell
 * a stale image, and the digests with the record's `inputDigests` to say which file changed.
 * Pass the record's `buildArgOverrides` in `config.buildArgs`: they are part of the hash.
 */
export async function computeContentHash(
  root: string,
  config: TemplateConfig,
): Promise<ContentHash & { files: string[] }> {
  const inputs = await readImageInputs(root, config);
  return { ...(await hashImageInputs(root, config, inputs)), files: inputs.files };
}
