// A proc's last checkpoint, kept outside its sandbox: HTCondor's starter sends
// transfer_checkpoint_files to the access point at each checkpoint exit, which spools them and
// sends them back as input when the job starts again anywhere (docs: "Self-Checkpointing
// Applications"). Here they go to .pixi-condor/local/spool/<cluster>.<proc>/ of the row's first
// run, so a runner that dies (or a proc held or removed) loses nothing a pool would keep, and
// `resubmit` of that row starts from them. What is kept is what the checkpoint's transfer sends
// (sandbox-wall.ts plans both): regular files and folders inside the sandbox, a link that stays
// inside as the bytes it points to, a FIFO or socket left out. The spool folder itself is used only while it
// and the folders above it up to .pixi-condor are real folders: a job run in the workspace
// (should_transfer_files = NO) could replace one with a symlink, to have a checkpoint restored
// from anywhere, or a folder elsewhere deleted.
import { cp, lstat, mkdir, readdir, realpath, rename, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { copyPlanned, type PlannedItem, planEntry, sandboxPath, TransferError } from './sandbox-wall.ts';

/** Folders of a spool path that must be real, counted up from it: <key>, spool, local, .pixi-condor. */
const SPOOL_DEPTH = 4;

/** Is every folder from `dir` up SPOOL_DEPTH levels a real folder, where there is one? */
async function realSpoolFolders(dir: string): Promise<boolean> {
  let at = dir;
  for (let level = 0; level < SPOOL_DEPTH; level++, at = dirname(at)) {
    const info = await lstat(at).catch(() => null);
    if (!info) continue; // not made yet: mkdir makes a real one
    if (info.isSymbolicLink() || !info.isDirectory()) return false;
  }
  return true;
}

function notARealSpool(dir: string): Error {
  return new Error(
    `the checkpoint spool ${dir} (or a folder above it) is no longer a real folder: a job may have replaced it with a link`,
  );
}

/** Replace the spooled checkpoint `dir` with `names` (null: every top-level entry but `exclude`) from `sandbox`. */
export async function spoolCheckpoint(
  sandbox: string,
  names: string[] | null,
  exclude: ReadonlySet<string>,
  dir: string,
): Promise<void> {
  if (!(await realSpoolFolders(dir))) throw notARealSpool(dir);
  const fresh = `${dir}.new-${process.pid}`;
  await rm(fresh, { recursive: true, force: true });
  await mkdir(fresh, { recursive: true });
  const list = names ?? (await readdir(sandbox)).filter((n) => !exclude.has(n));
  const wall = await realpath(sandbox);
  for (const name of list) {
    // As checkpointBytes plans the transfer (the proc is held before this if that fails): what
    // a pool would send, a link inside the sandbox as the bytes it points to.
    const contentsOnly = /.\/+$/.test(name);
    const clean = name.replace(/(.)\/+$/, '$1');
    let items: PlannedItem[];
    let inside: string;
    try {
      const source = sandboxPath(sandbox, clean);
      inside = relative(sandbox, source);
      if (inside === '') continue; // the sandbox itself is no checkpoint file
      items = await planEntry(source, wall, { contentsOnly, trustNamed: false });
    } catch (error) {
      if (error instanceof TransferError) continue;
      throw error;
    }
    await copyPlanned(items, join(fresh, inside), false);
  }
  if (!(await realSpoolFolders(dir))) throw notARealSpool(dir);
  await rm(dir, { recursive: true, force: true });
  await rename(fresh, dir); // fresh is dir's sibling: their folder is made already
}

/** Put the spooled checkpoint back into a fresh sandbox; false when there is none (or no real spool folder). */
export async function restoreCheckpoint(dir: string, sandbox: string): Promise<boolean> {
  if (!(await realSpoolFolders(dir))) return false;
  const names = await readdir(dir).catch(() => null);
  if (!names) return false;
  for (const name of names) await cp(join(dir, name), join(sandbox, name), { recursive: true, force: true });
  return true;
}

export async function dropCheckpoint(dir: string): Promise<void> {
  if (!(await realSpoolFolders(dir))) return; // a link there leads elsewhere: nothing of ours to delete
  await rm(dir, { recursive: true, force: true });
}
