// A proc's last checkpoint, kept outside its sandbox: HTCondor's starter sends
// transfer_checkpoint_files to the access point at each checkpoint exit, which spools them and
// sends them back as input when the job starts again anywhere (docs: "Self-Checkpointing
// Applications"). Here they go to .pixi-condor/local/spool/<cluster>.<proc>/ of the row's first
// run, so a runner that dies (or a proc held or removed) loses nothing a pool would keep, and
// `resubmit` of that row starts from them. Only regular files and folders inside the sandbox
// are kept: a symlink the job made is never followed.
import { cp, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { within } from './sandbox-wall.ts';

/** Replace the spooled checkpoint `dir` with `names` (null: every top-level entry but `exclude`) from `sandbox`. */
export async function spoolCheckpoint(
  sandbox: string,
  names: string[] | null,
  exclude: ReadonlySet<string>,
  dir: string,
): Promise<void> {
  const fresh = `${dir}.new-${process.pid}`;
  await rm(fresh, { recursive: true, force: true });
  await mkdir(fresh, { recursive: true });
  const list = names ?? (await readdir(sandbox)).filter((n) => !exclude.has(n));
  for (const name of list) {
    const source = resolve(sandbox, name.replace(/(.)\/+$/, '$1'));
    // (`..ckpt` is a file in the sandbox: only a `..` component leads out of it.)
    if (source === resolve(sandbox) || !within(resolve(sandbox), source)) continue;
    const inside = relative(sandbox, source);
    const info = await lstat(source).catch(() => null);
    if (!info || info.isSymbolicLink()) continue;
    const target = join(fresh, inside);
    await mkdir(dirname(target), { recursive: true });
    await cp(source, target, {
      recursive: true,
      // Never a link the job made: it could lead anywhere on this machine.
      filter: async (path) => !(await lstat(path)).isSymbolicLink(),
    });
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
  await rename(fresh, dir);
}

/** Put the spooled checkpoint back into a fresh sandbox; false when there is none. */
export async function restoreCheckpoint(dir: string, sandbox: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => null);
  if (!names) return false;
  for (const name of names) await cp(join(dir, name), join(sandbox, name), { recursive: true, force: true });
  return true;
}

export async function dropCheckpoint(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
