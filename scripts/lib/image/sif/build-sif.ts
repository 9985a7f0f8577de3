// Turn a Docker image the engine has into a SIF, without Apptainer and without unpacking it:
// `docker create` + `docker export` stream the image's root filesystem, the tar splice adds the
// /.singularity.d metadata, and sqfstar (squashfs-tools ≥ 4.5) writes the squashfs straight at
// its offset inside the SIF file with Apptainer's flags (gzip: "non-gzip squashfs might not
// work with some installations"). SOURCE_DATE_EPOCH = the image's creation time makes every
// timestamp (files, the superblock) a function of the image, so the same image gives the same
// bytes. The SIF header and descriptors then go in front. Work happens in a partial file beside
// the target, renamed into place only when complete: a failure leaves nothing half-written.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.ts';
import { CommandFailed, onPath, type Shell } from '../../shell.ts';
import { removeOnExit } from '../remove-on-exit.ts';
import { DataType, layoutSif, sifPrefix, type SifObject } from './sif-container.ts';
import {
  parseImageInspect,
  replacedPath,
  singularityMetadata,
  sourceDateEpoch,
  type SifSource,
} from './singularity-metadata.ts';
import { spliceTar, tarEntry } from './tar-splice.ts';

export interface SifBuildOptions {
  shell: Shell;
  /** The engine's CLI (docker or podman: both have create/export/rm). */
  engineBin: string;
  /** The local image to convert (a tag or an ID the engine knows). */
  image: string;
  source: SifSource;
  platform: string;
  /** Folder for the SIF. */
  outDir: string;
  /** File name, e.g. pixi-condor-default-noble-cuda12.9-0123456789ab.sif. */
  fileName: string;
  err: (line: string) => void;
}

export interface BuiltSif {
  path: string;
  fileName: string;
  sha256: string;
  size: number;
  /** The image's creation time: the SIF's timestamps and its oras manifest's created annotation. */
  created: string;
}

export const SQUASHFS_HINT =
  'install squashfs-tools 4.5 or newer (Debian/Ubuntu: `sudo apt-get install squashfs-tools`; it provides sqfstar)';

/** Apptainer's mksquashfs flags (-noappend is sqfstar's only mode), the root as an image's root is. */
function sqfstarArgv(output: string, offset: number): string[] {
  return ['sqfstar', '-comp', 'gzip', '-root-mode', '755', '-quiet', '-no-progress', '-offset', String(offset), output];
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function noSpace(dir: string, cause: string): UserError {
  return new UserError(`no space left in ${dir} for the SIF (${cause}); nothing was kept`, {
    hint: 'free space there (a SIF is about half the image size; sqfstar needs it once), then run build-image --sif again',
  });
}

function writeAll(path: string, prefix: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    for (let done = 0; done < prefix.length; ) done += writeSync(fd, prefix, done, prefix.length - done, done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function buildSif(options: SifBuildOptions): Promise<BuiltSif | null> {
  const { shell, engineBin, image } = options;
  if (!(await onPath('sqfstar'))) {
    const problem = 'sqfstar is not on PATH: build-image --sif needs it to write the SIF filesystem';
    if (!shell.dryRun) throw new UserError(problem, { hint: SQUASHFS_HINT });
    options.err(`note: ${problem} (${SQUASHFS_HINT})`);
  }
  const inspect = await shell.run([engineBin, 'image', 'inspect', image], { readOnly: true, nothrow: true });
  if (inspect.exitCode !== 0) {
    if (shell.dryRun) {
      options.err(`would convert ${image} to ${join(options.outDir, options.fileName)} (the image is not here yet)`);
      return null;
    }
    throw new UserError(`the engine has no image ${image} to convert to a SIF`, {
      hint: `pull it (\`${engineBin} pull ${options.source.reference}\`) or build it, then run build-image --sif again`,
    });
  }
  const config = parseImageInspect(inspect.stdout, image);
  const epoch = sourceDateEpoch(config);
  const meta = singularityMetadata(config, options.source);
  const small: SifObject[] = [
    { type: DataType.deffile, name: '', data: meta.deffile, size: meta.deffile.length },
    {
      type: DataType.genericJson,
      name: 'inspect-metadata.json',
      data: meta.inspectJson,
      size: meta.inspectJson.length,
    },
    { type: DataType.genericJson, name: 'oci-config.json', data: meta.ociConfigJson, size: meta.ociConfigJson.length },
  ];
  const { partitionOffset } = layoutSif(small.map((o) => o.size));
  const target = join(options.outDir, options.fileName);
  const partial = join(options.outDir, `.${options.fileName}.${process.pid}.partial`);
  const container = `pixi-condor-sif-${process.pid}-${randomBytes(4).toString('hex')}`;
  const tar = () => spliceTar(replacedPath, Buffer.concat(meta.entries.map(tarEntry)));
  if (shell.dryRun) {
    await shell.run([engineBin, 'create', '--name', container, image, '/bin/true']);
    await shell.pipe([engineBin, 'export', container], tar(), sqfstarArgv(partial, partitionOffset), {
      env: { SOURCE_DATE_EPOCH: String(epoch) },
    });
    options.err(`would write ${target} (SIF header, metadata, the squashfs at ${partitionOffset})`);
    return null;
  }
  mkdirSync(options.outDir, { recursive: true });
  rmSync(partial, { force: true });
  const dropContainer = () => spawnSync(engineBin, ['rm', '--force', container], { stdio: 'ignore', timeout: 30_000 });
  const release = removeOnExit(partial, 'the partial SIF');
  let created = false;
  try {
    await shell.run([engineBin, 'create', '--name', container, image, '/bin/true']);
    created = true;
    // Ctrl-C: removeOnExit's handler exits the process, which runs this (finally blocks do not run;
    // an exit handler cannot wait, hence the one synchronous spawn outside the Shell gateway).
    process.on('exit', dropContainer);
    try {
      await shell.pipe([engineBin, 'export', container], tar(), sqfstarArgv(partial, partitionOffset), {
        env: { SOURCE_DATE_EPOCH: String(epoch) },
      });
    } catch (error) {
      if (error instanceof CommandFailed && /no space left|ENOSPC/i.test(error.result.stderr))
        throw noSpace(options.outDir, 'sqfstar: No space left on device');
      throw error;
    }
    const fsSize = statSync(partial).size - partitionOffset;
    if (fsSize <= 0) throw new UserError(`sqfstar wrote no filesystem for ${image}`, { hint: SQUASHFS_HINT });
    const prefix = sifPrefix([...small, { type: DataType.partition, name: '', size: fsSize }], options.platform);
    try {
      writeAll(partial, prefix);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw noSpace(options.outDir, 'ENOSPC');
      throw error;
    }
    const sha256 = await sha256File(partial);
    const size = statSync(partial).size;
    renameSync(partial, target);
    return { path: target, fileName: options.fileName, sha256, size, created: config.created };
  } finally {
    rmSync(partial, { force: true });
    release();
    process.off('exit', dropContainer);
    if (created) await shell.run([engineBin, 'rm', '--force', container], { nothrow: true });
  }
}
