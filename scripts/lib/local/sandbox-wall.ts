// The sandbox is a wall: what file transfer reads and where it writes, checked before a byte
// moves. HTCondor's own rules, and where a local run must be stricter than a pool (the "execute
// point" here is the user's own machine, and a container's paths resolve to host paths once the
// job has exited):
// - A name that is absolute or holds a `..` component is not a path inside the sandbox
//   (FileTransfer::LegalPathInSandbox, src/condor_utils/file_transfer.cpp:8497-8535). A pool's
//   shadow refuses such a name when its peer sends it (file_transfer.cpp:2610-2628, hold code
//   DownloadFileError, subcode EPERM); its starter reads an output named so from the execute
//   point's disk (DoUpload, file_transfer.cpp:5045-5051). Locally that disk is the user's, so
//   such an output is refused the same way as a symlink out: code 12, subcode EPERM.
// - A symlink is resolved and must land inside the sandbox, as the starter checks the files
//   condor_tail asks for ("Invalid symlink or filename (%s) outside sandbox (%s)",
//   src/condor_starter.V6.1/starter.cpp:1124-1133). A pool's file transfer follows a symlink to
//   a file (lstat then stat, file_transfer.cpp:8176-8186), so one inside the sandbox sends its
//   target's contents here too; never the link itself.
// - A symlink to a directory is not transferred unless named with a trailing `/`
//   (file_transfer.cpp:8250-8254); DoUpload fails it with EISDIR and "Transfer of symlinks to
//   directories is not supported." (file_transfer.cpp:5214-5218, 5544-5551, 5596-5598).
// - FIFOs and sockets are left out (file_transfer.cpp:8204-8220).
// - Files are copied: opened without following a final symlink, written with O_EXCL, so nothing
//   is moved out of its folder and nothing is written through a link.
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, parse, relative, sep } from 'node:path';
import { visibleControls } from '../job-text.ts';
import { within } from '../path-within.ts';

export const EPERM = 1;
export const ENOENT = 2;
export const EISDIR = 21;

export class TransferError extends Error {
  /** errno of the failure (HTCondor's hold subcode): 2 for a missing file. */
  readonly errno: number;
  readonly path: string;
  /**
   * Where a pool would have failed: at the access point while writing what came back (the
   * shadow's DoDownload), else at the execution point (its starter's DoUpload).
   */
  readonly atAccessPoint: boolean;

  constructor(message: string, errno: number, path: string, atAccessPoint = false) {
    super(message);
    this.errno = errno;
    this.path = path;
    this.atAccessPoint = atAccessPoint;
  }
}

/** A path as it may appear in a message: a job chose it, so no control character goes out raw. */
export const shown = (path: string): string => visibleControls(path);

/** `reading from file X: (errno 2) No such file or directory`, as file_transfer.cpp words it. */
export function missing(path: string): TransferError {
  return new TransferError(`reading from file ${shown(path)}: (errno 2) No such file or directory`, ENOENT, path);
}

function refused(path: string, why: string): TransferError {
  return new TransferError(`reading from file ${shown(path)}: (errno 1) Operation not permitted: ${why}`, EPERM, path);
}

function directoryLink(path: string): TransferError {
  return new TransferError(
    `reading from file ${shown(path)}: (errno 21) Is a directory- Transfer of symlinks to directories is not supported.`,
    EISDIR,
    path,
  );
}

/** The LegalPathInSandbox test: not empty, not absolute, no `..` component. */
function legalSandboxName(name: string): boolean {
  if (name === '' || isAbsolute(name)) return false;
  return !name.split(/[/\\]+/).includes('..');
}

/** A name from transfer_output_files/transfer_checkpoint_files as a path in the sandbox, or a refusal. */
export function sandboxPath(sandbox: string, name: string): string {
  if (!legalSandboxName(name))
    throw refused(
      join(sandbox, name),
      `${shown(name)} is ${isAbsolute(name) ? 'an absolute name' : 'a name with `..`'}: a local run transfers only files inside the sandbox`,
    );
  return join(sandbox, name);
}

/** One file to copy: where its bytes are read from (resolved, inside its tree) and where it goes. */
export interface PlannedFile {
  kind: 'file';
  from: string;
  /** Relative to the entry's destination ('' is the destination itself). */
  to: string;
  size: number;
  mode: number;
}
export interface PlannedDir {
  kind: 'dir';
  to: string;
}
export type PlannedItem = PlannedFile | PlannedDir;

/**
 * What one entry brings, without moving anything: a file, a directory tree, or (`contentsOnly`)
 * a directory's contents. `path` is the entry as named; every symlink met is resolved and must
 * stay inside `wall` (a real path). With `trustNamed` (an input: the submit file's author named
 * it) the entry itself is read where it points, and its own tree is then the wall; otherwise
 * (an output) the entry must resolve inside `wall` too.
 */
export async function planEntry(
  path: string,
  wall: string,
  options: { contentsOnly: boolean; trustNamed: boolean },
): Promise<PlannedItem[]> {
  const link = await lstat(path).catch(() => null);
  if (!link) throw missing(path);
  const real = await realpath(path).catch(() => null);
  if (real === null) throw missing(path);
  const info = await stat(real).catch(() => null);
  if (!info) throw missing(path);
  // HTCondor's own refusal first: it holds a link to a folder wherever the folder is.
  if (info.isDirectory() && link.isSymbolicLink() && !options.contentsOnly) throw directoryLink(path);
  if (!options.trustNamed && !within(wall, real))
    throw refused(path, `it resolves to ${shown(real)}, outside the sandbox`);
  if (info.isDirectory()) {
    const items: PlannedItem[] = options.contentsOnly ? [] : [{ kind: 'dir', to: '' }];
    const tree = options.trustNamed ? { root: real, name: 'the folder named' } : { root: wall, name: 'the sandbox' };
    await planTree(path, real, tree, '', items);
    return items;
  }
  if (!info.isFile()) return []; // a FIFO, socket or device: left out, as HTCondor leaves them
  return [{ kind: 'file', from: real, to: '', size: info.size, mode: info.mode & 0o7777 }];
}

/** Every file and folder below `real` (the directory `shownPath` names), each resolved inside `wall.root`. */
async function planTree(
  shownPath: string,
  real: string,
  wall: { root: string; name: string },
  prefix: string,
  items: PlannedItem[],
): Promise<void> {
  for (const name of (await readdir(real)).sort()) {
    const path = join(shownPath, name);
    const at = join(real, name);
    const to = prefix ? join(prefix, name) : name;
    const link = await lstat(at);
    if (link.isSymbolicLink()) {
      const target = await realpath(at).catch((error: NodeJS.ErrnoException) => error);
      // A link to nothing is no file: HTCondor's walk of a folder drops it (directory.cpp
      // Directory::Next skips what stat finds missing), on the way in and out alike.
      if (target instanceof Error) {
        if (target.code === 'ENOENT') continue;
        throw missing(path);
      }
      if (!within(wall.root, target)) throw refused(path, `a symlink to ${shown(target)}, outside ${wall.name}`);
      const info = await stat(target);
      if (info.isDirectory()) throw directoryLink(path);
      if (info.isFile()) items.push({ kind: 'file', from: target, to, size: info.size, mode: info.mode & 0o7777 });
    } else if (link.isDirectory()) {
      items.push({ kind: 'dir', to });
      await planTree(path, at, wall, to, items);
    } else if (link.isFile()) {
      items.push({ kind: 'file', from: at, to, size: link.size, mode: link.mode & 0o7777 });
    }
  }
}

/**
 * Copy one file: the source opened without following a final symlink (planEntry resolved it),
 * and checked to be the regular file planned; the destination created, never opened through
 * an existing name (`exclusive`) or replaced when it is a link (inputs into our own sandbox).
 */
export async function copyFileSafely(from: string, to: string, mode: number, exclusive: boolean): Promise<number> {
  // O_NONBLOCK: a FIFO swapped in since the plan is refused below, not waited on.
  const source = await open(from, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = await source.stat();
    if (!info.isFile()) throw refused(from, 'it is no longer a regular file');
    const flags =
      constants.O_WRONLY |
      constants.O_CREAT |
      constants.O_NOFOLLOW |
      (exclusive ? constants.O_EXCL : constants.O_TRUNC);
    const perms = mode & 0o777 || 0o644;
    const target = await open(to, flags, perms);
    try {
      const buffer = Buffer.allocUnsafe(1 << 20);
      let total = 0;
      for (;;) {
        const { bytesRead } = await source.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        for (let written = 0; written < bytesRead; )
          written += (await target.write(buffer, written, bytesRead - written)).bytesWritten;
        total += bytesRead;
      }
      await target.chmod(perms); // the umask may have narrowed the creation mode
      return total;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

/** Copy planned items below `dest` (a file's own path, or a directory made fresh); the bytes copied. */
export async function copyPlanned(items: PlannedItem[], dest: string, exclusive: boolean): Promise<number> {
  let bytes = 0;
  for (const item of items) {
    const to = item.to ? join(dest, item.to) : dest;
    if (item.kind === 'dir') await mkdir(to, { recursive: true });
    else {
      await mkdir(dirname(to), { recursive: true });
      bytes += await copyFileSafely(item.from, to, item.mode, exclusive);
    }
  }
  return bytes;
}

/**
 * Before writing `dest` (an output's place): no folder on the way to it may be a symlink that
 * sits in initialdir and leads out of it. Such a link may be one a job made
 * (should_transfer_files = NO runs the job in initialdir); HTCondor's shadow would write through
 * it, a local run does not. The way is followed as the kernel follows it, each link resolved, so
 * initialdir named by another path (a link to it, or its real path under a linked one) is still
 * initialdir. A destination outside initialdir (an absolute remap, or one with `..`) is the
 * submit file author's choice and is trusted, as on a pool, links of its own included.
 */
export async function checkDestination(
  iwds: string | readonly string[],
  dest: string,
  /** The initialdirs' real paths, when the caller resolved them already (logGuard, per log). */
  resolved?: readonly string[],
): Promise<void> {
  // Several initialdirs (a log shared by procs): the way is walked once, each link judged by each.
  const dirs = typeof iwds === 'string' ? [iwds] : iwds;
  const real = resolved ?? (await realInitialdirs(dirs));
  /** A folder on the way as the submit file names it: under its initialdir's name, not its real path. */
  const named = (at: string): string => {
    const k = real.findIndex((r, n) => within(r, at) && within(dirs[n]!, dest));
    return k < 0 ? at : join(dirs[k]!, relative(real[k]!, at));
  };
  // From the filesystem's root, `at` being where the way has really got to.
  let at = parse(dest).root;
  for (const part of dirname(dest).split(sep).filter(Boolean)) {
    const next = join(at, part);
    const info = await lstat(next).catch(() => null);
    if (!info) return; // the rest is made fresh by mkdir
    if (info.isSymbolicLink()) {
      const target = await realpath(next).catch(() => null);
      // A link that sits in an initialdir and leads out of it (or nowhere).
      const out = real.findIndex((r) => within(r, at) && (target === null || !within(r, target)));
      if (out < 0) {
        if (target === null) return; // a dangling link of the author's, outside initialdir: mkdir fails on it
        at = target;
        continue;
      }
      throw new TransferError(
        `writing to ${shown(dest)}: (errno 1) Operation not permitted: ${shown(named(next))} is a symlink leading out of ${shown(dirs[out]!)} (a job may have made it); a local run writes there only through real folders (name the folder the link leads to, as an absolute path, to write there)`,
        EPERM,
        dest,
        true,
      );
    }
    if (!info.isDirectory())
      throw new TransferError(
        `writing to ${shown(dest)}: (errno 20) Not a directory: ${shown(named(next))}`,
        20,
        dest,
        true,
      );
    at = next;
  }
}

/**
 * Before each append to a proc's event log: no folder on the way to it is a link a job made out
 * of its initialdir (checkDestination, as for its output files). A log shared by procs is
 * checked against each of their initialdirs, in one walk.
 */
export function logGuard(procs: readonly { log: string | null; iwd: string }[]): (path: string) => Promise<void> {
  const iwds = new Map<string, Set<string>>();
  for (const p of procs) if (p.log) iwds.set(p.log, (iwds.get(p.log) ?? new Set()).add(p.iwd));
  // Each log's initialdirs resolved once, on its first event (a sweep's shared log has one per
  // proc: resolving them all again for every event made a run's cost grow with procs squared).
  const resolved = new Map<string, Promise<{ dirs: string[]; real: string[] }>>();
  return async (path) => {
    const set = iwds.get(path);
    if (!set) return;
    let known = resolved.get(path);
    if (!known) {
      const dirs = [...set];
      known = realInitialdirs(dirs).then((real) => ({ dirs, real }));
      resolved.set(path, known);
    }
    const { dirs, real } = await known;
    await checkDestination(dirs, path, real);
  };
}

/** Each initialdir's real path (itself when it cannot be resolved). */
export function realInitialdirs(dirs: readonly string[]): Promise<string[]> {
  return Promise.all(dirs.map((iwd) => realpath(iwd).catch(() => iwd)));
}

/**
 * The job's stdin file (`input`), opened for the job: a regular file only, read where a link
 * points (the submit file named it; the starter opens it following links, user_proc.cpp), a
 * FIFO never waited on. A failure is tagged `stdin` (the starter holds it with
 * UnableToOpenInput, 8).
 */
export function openJobInput(path: string): number {
  try {
    return regularFile(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK), path);
  } catch (error) {
    throw Object.assign(error as Error, { stdin: true, path });
  }
}

/** `fd` when it is a regular file; else closed, and an EINVAL-like error naming `path`. */
function regularFile(fd: number, path: string): number {
  if (fstatSync(fd).isFile()) return fd;
  closeSync(fd);
  throw Object.assign(new Error(`${path} is not a regular file (a FIFO, socket or device)`), {
    code: 'EINVAL',
    errno: -22,
    path,
  });
}

/**
 * Open a job's `output`/`error` file for writing, never through a symlink at its name: a job
 * with `should_transfer_files = NO` runs in initialdir and may have left one there (HTCondor
 * brings these files back as remapped outputs, file_transfer.cpp:2684-2691). ELOOP then holds
 * the proc as a file that cannot be opened (code 7).
 */
export function openJobOutput(path: string, append: boolean): number {
  // O_NONBLOCK: a FIFO left there is refused below (or fails at once, ENXIO), never waited on.
  const fd = openSync(
    path,
    constants.O_WRONLY |
      constants.O_CREAT |
      constants.O_NOFOLLOW |
      constants.O_NONBLOCK |
      (append ? constants.O_APPEND : constants.O_TRUNC),
    0o666, // as 'w' and 'a' create it: the umask decides
  );
  return regularFile(fd, path);
}
