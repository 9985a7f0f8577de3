// `build-image --sif --stage DIR`: the SIF on CHTC's /staging instead of a registry. HTCondor
// fetches it through OSDF (container_image = osdf:///chtc$ENV(STAGING)/<name>.sif for 1–30 GB
// files; file:///staging/… above 30 GB, CHTC's 2026 guide), and OSDF caches treat every file as
// immutable: a changed SIF needs a new name, which the content name gives. /staging allows 1000
// items per user, so this workspace's older SIFs there go, all but the newest of them (a job
// still queued from the previous build keeps its image).
import { copyFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { UserError } from '../../errors.ts';
import { within } from '../../path-within.ts';

/** CHTC: files over 30 GB are read straight from /staging, not through OSDF. */
export const OSDF_MAX_BYTES = 30e9;

export interface StageOptions {
  dir: string;
  /** The workspace's SIF names start with this (the repository's last path part and a dash). */
  prefix: string;
  env: NodeJS.ProcessEnv;
  dryRun: boolean;
  err: (line: string) => void;
}

/** container_image for a SIF staged at `path` (absolute). */
export function stagedReference(path: string, size: number, env: NodeJS.ProcessEnv): string {
  if (size > OSDF_MAX_BYTES) return `file://${path}`;
  const staging = env.STAGING;
  if (staging && within(staging, path)) return `osdf:///chtc$ENV(STAGING)/${relative(staging, path)}`;
  if (path.startsWith('/staging/')) return `osdf:///chtc${path}`;
  return `osdf:///chtc$ENV(STAGING)/${basename(path)}`;
}

/** The 2025 layout /staging/<netid> (no letter folder) stopped working on 2026-08-01. */
export function preLetterStagingPath(dir: string): boolean {
  const m = /^\/staging\/([^/]+)\/?$/.exec(dir);
  return m !== null && m[1]!.length > 1 && m[1] !== 'groups';
}

function noSpace(dir: string): UserError {
  return new UserError(`no space left in ${dir} for the SIF; nothing was kept there`, {
    hint: 'remove old files there (quota: 100 GB and 1000 items on CHTC /staging), then run build-image --sif --stage again',
  });
}

/**
 * Copy `source` into the staging folder under `fileName` (whole or not at all); prune the older
 * ones. A dry run (source null: the SIF is not built) says what would be copied and removed.
 */
export function stageSif(source: string | null, fileName: string, size: number, options: StageOptions): string {
  const dir = resolve(options.dir);
  const info = statSync(dir, { throwIfNoEntry: false });
  if (!info?.isDirectory()) {
    throw new UserError(`--stage ${options.dir}: not a folder`, {
      hint: 'on a CHTC access point: --stage "$STAGING" (/staging/<first letter of your NetID>/<NetID>)',
      exitCode: 2,
    });
  }
  if (preLetterStagingPath(dir))
    options.err(
      `warning: ${dir} is the pre-2026 staging layout; CHTC's is /staging/<letter>/<netid> since 2026-08-01 (echo $STAGING)`,
    );
  const target = join(dir, fileName);
  const present = statSync(target, { throwIfNoEntry: false });
  if (present?.isFile() && present.size === size) options.err(`staged: ${target} is there already (named by content)`);
  else if (options.dryRun || source === null) options.err(`would copy the SIF to ${target}`);
  else {
    const partial = join(dir, `.${fileName}.${process.pid}.partial`);
    try {
      copyFileSync(source, partial);
      renameSync(partial, target);
    } catch (error) {
      rmSync(partial, { force: true });
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC' || (error as NodeJS.ErrnoException).code === 'EDQUOT')
        throw noSpace(dir);
      throw new UserError(`cannot write ${target}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        hint: `check that ${dir} is yours and writable`,
      });
    }
    options.err(`staged ${target}`);
  }
  pruneStaged(dir, fileName, options);
  return stagedReference(target, size, options.env);
}

/** This workspace's other SIFs in `dir`, newest first; all but the newest go. */
export function pruneStaged(dir: string, keep: string, options: StageOptions): string[] {
  const older = readdirSync(dir)
    .filter((name) => name !== keep && name.startsWith(options.prefix) && name.endsWith('.sif'))
    .map((name) => ({ name, mtime: statSync(join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.mtime - a.mtime || (a.name < b.name ? -1 : 1));
  const gone = older.slice(1).map((o) => o.name);
  for (const name of gone) {
    if (options.dryRun) options.err(`would remove the older ${join(dir, name)}`);
    else {
      rmSync(join(dir, name), { force: true });
      options.err(`removed the older ${join(dir, name)}`);
    }
  }
  return gone;
}
