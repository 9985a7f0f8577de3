// File transfer between the submit side (the proc's initialdir) and the proc's sandbox, with
// HTCondor's rules (htcondor-jdl transfer_input_files / transfer_output_files /
// transfer_output_remaps): `dir` brings the directory itself, `dir/` its contents; outputs land
// flat in initialdir under their base name unless remapped; an unset transfer_output_files
// brings back every new or changed top-level file; a folder that is there already takes the
// folder's files. Unlike HTCondor, an existing file at the destination is never replaced: it is
// kept and the new one is written beside it.
import { lstat, mkdir, readdir, realpath } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, posix, resolve } from 'node:path';
import { remapPairs } from '../submit-language/output-remaps.ts';
import { isUrl } from '../submit-language/submit-plan.ts';
import {
  checkDestination,
  realInitialdirs,
  copyPlanned,
  type PlannedItem,
  planEntry,
  sandboxPath,
  shown,
  TransferError,
} from './sandbox-wall.ts';

export { TransferError } from './sandbox-wall.ts';

/**
 * Copy one input into `dir`: a file by its base name, `d` as d/, `d/` as its contents. The
 * submit file named it, so it is read where it points (as the shadow reads it), but inside a
 * named folder only what resolves inside that folder is read. Returns the bytes copied.
 */
async function copyInput(source: string, dir: string, contentsOnly: boolean): Promise<number> {
  const items = await planEntry(source, dir, { contentsOnly, trustNamed: true });
  const dest = contentsOnly ? dir : join(dir, basename(source));
  return copyPlanned(items, dest, false);
}

export async function treeSize(path: string): Promise<number> {
  const info = await lstat(path).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const name of await readdir(path)) total += await treeSize(join(path, name));
  return total;
}

export interface InputTransfer {
  iwd: string;
  inputs: string[];
  /** Absolute path of the executable to copy in (transfer_executable), or null. */
  executable: string | null;
  /** The job's stdin file (`input`), copied in as HTCondor adds it to the inputs (file_transfer.cpp), or null. */
  stdin?: string | null;
}

/** Bring the executable and transfer_input_files into the sandbox; the bytes moved. */
export async function transferInputs(spec: InputTransfer, sandbox: string): Promise<number> {
  let bytes = 0;
  if (spec.executable) {
    bytes += await copyInput(spec.executable, sandbox, false);
  }
  let stdinListed = false;
  for (const entry of spec.inputs) {
    if (isUrl(entry)) {
      throw new TransferError(
        `${entry}: URL transfers (file transfer plugins) are not available to local runs`,
        1,
        entry,
      );
    }
    const contentsOnly = /.\/+$/.test(entry);
    const path = resolve(spec.iwd, entry.replace(/(.)\/+$/, '$1'));
    bytes += await copyInput(path, sandbox, contentsOnly);
    stdinListed ||= path === spec.stdin;
  }
  // The stdin file last, unless the list names it already (file_transfer.cpp appends it so).
  if (spec.stdin && !stdinListed) bytes += await copyInput(spec.stdin, sandbox, false);
  return bytes;
}

/** `transfer_output_remaps = "a = b; c = d"` → {a: b, c: d}, read as submit reads it (output-remaps.ts). */
export function parseRemaps(value: string | undefined): Map<string, string> {
  return new Map(remapPairs(value).filter(([, to]) => to !== ''));
}

/** Files in the sandbox when the job started, with their mtimes, to tell which ones it made or changed. */
export async function snapshotTopLevel(sandbox: string): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (const name of await readdir(sandbox)) {
    const info = await lstat(join(sandbox, name));
    seen.set(name, info.mtimeMs);
  }
  return seen;
}

export interface OutputTransfer {
  iwd: string;
  /** null: every new or changed top-level file. */
  outputs: string[] | null;
  remaps: Map<string, string>;
  /** Top-level names that never go back (the executable, the job ad, ...). */
  exclude: ReadonlySet<string>;
  /** From snapshotTopLevel, for outputs === null. */
  before: Map<string, number>;
  /** Appended to a file name whose destination already exists: `<cluster>.<proc>`. */
  tag: string;
}

export interface OutputResult {
  bytes: number;
  /** Where each output went. */
  written: string[];
  /** Outputs whose destination existed: kept, and the new one written beside it (as shown: a job chose the names). */
  kept: { existing: string; newPath: string }[];
  /** The first declared output the job did not make. */
  failure: TransferError | null;
}

const exists = async (path: string): Promise<boolean> => (await lstat(path).catch(() => null)) !== null;

/** `name.ext` → `name.<tag>.ext` (a free name beside an existing file, link or folder). */
export async function besideName(path: string, tag: string): Promise<string> {
  const ext = extname(path);
  const stem = ext && ext !== path ? path.slice(0, -ext.length) : path;
  let candidate = `${stem}.${tag}${ext}`;
  for (let n = 2; await exists(candidate); n++) candidate = `${stem}.${tag}-${n}${ext}`;
  return candidate;
}

interface OutputEntry {
  /** The entry's path in the sandbox. */
  source: string;
  name: string;
  contentsOnly: boolean;
}

/** The entries to bring back: those named, or every new or changed top-level file. */
async function outputEntries(spec: OutputTransfer, sandbox: string): Promise<(OutputEntry | TransferError)[]> {
  if (spec.outputs !== null)
    return spec.outputs.map((entry) => {
      const clean = entry.replace(/(.)\/+$/, '$1');
      // Named as it is (a `..` anywhere is refused), placed by its normal form: `sub/.` is `sub`,
      // and `.` (the sandbox itself) brings its contents as `./` does, never a folder beside initialdir.
      const normal = posix.normalize(clean);
      const contentsOnly = /.\/+$/.test(entry) || normal === '.';
      try {
        return { source: sandboxPath(sandbox, clean), name: basename(normal), contentsOnly };
      } catch (error) {
        if (error instanceof TransferError) return error;
        throw error;
      }
    });
  const entries: OutputEntry[] = [];
  for (const name of (await readdir(sandbox)).sort()) {
    if (spec.exclude.has(name)) continue;
    const source = join(sandbox, name);
    const info = await lstat(source);
    // Only top-level files, new or changed: folders (and links to folders, which
    // FindChangedFiles' Directory::IsDirectory follows, file_transfer.cpp:1302) only when named.
    if (info.isDirectory()) continue;
    if (info.isSymbolicLink()) {
      const target = await realpath(source).catch(() => null);
      // A link to nothing is no new file (Directory::Next skips it): left out, not a hold.
      if (target === null || (await lstat(target)).isDirectory()) continue;
    }
    const then = spec.before.get(name);
    if (then !== undefined && then === info.mtimeMs) continue;
    entries.push({ source, name, contentsOnly: false });
  }
  return entries;
}

/** Items planned below the sandbox, grouped as the places they go: one, or (`dir/`) one per child. */
function destinations(
  spec: OutputTransfer,
  entry: OutputEntry,
  items: PlannedItem[],
): { to: string; items: PlannedItem[] }[] {
  const place = (remapped: string, folder = false) => {
    // A target ending in `/` names a folder: a folder goes there (the shadow's Mkdir), but the
    // shadow's open of it as a file fails, EISDIR (reli_sock.cpp get_file): held 12/21.
    if (remapped.endsWith('/') && folder) remapped = remapped.replace(/\/+$/, '') || '/';
    else if (remapped.endsWith('/'))
      throw new TransferError(
        `writing to file ${remapped}: (errno 21) Is a directory: a transfer_output_remaps target must name a file, not a folder`,
        21,
        remapped,
        true,
      );
    return isAbsolute(remapped) ? remapped : resolve(spec.iwd, remapped);
  };
  /** One name's items: remapped whole, or at initialdir/name less each file remapped by its sent name (`name/...`, file_transfer.cpp). */
  const placed = (name: string, group: PlannedItem[]): { to: string; items: PlannedItem[] }[] => {
    const remapped = spec.remaps.get(name);
    if (remapped) return [{ to: place(remapped, isFolder(group)), items: group }];
    const rest: PlannedItem[] = [];
    const own: { to: string; items: PlannedItem[] }[] = [];
    for (const item of group) {
      const file = item.kind === 'file' && item.to !== '' ? spec.remaps.get(`${name}/${item.to}`) : undefined;
      if (file) own.push({ to: place(file), items: [{ ...item, to: '' }] });
      else rest.push(item);
    }
    return [{ to: join(spec.iwd, name), items: rest }, ...own];
  };
  if (!entry.contentsOnly) return placed(entry.name, items);
  // `dir/` sends its contents by their own names: each looked up in the remaps too.
  const groups = new Map<string, PlannedItem[]>();
  for (const item of items) {
    const [head, ...rest] = item.to.split('/');
    const group = groups.get(head!) ?? [];
    group.push({ ...item, to: rest.join('/') });
    groups.set(head!, group);
  }
  return [...groups].flatMap(([name, group]) => placed(name, group));
}

/**
 * Bring outputs back to initialdir (or their remapped paths): copied out of the sandbox, each
 * entry planned whole first (sandbox-wall.ts) so a refused one writes nothing. As HTCondor
 * does, the other entries still come back and the first failure holds the proc.
 */
export async function transferOutputs(spec: OutputTransfer, sandbox: string): Promise<OutputResult> {
  const result: OutputResult = { bytes: 0, written: [], kept: [], failure: null };
  const wall = await realpath(sandbox);
  /** initialdir's real path, for a merge's many places (resolved once). */
  let iwdReal: string[] | undefined;
  for (const entry of await outputEntries(spec, sandbox)) {
    if (entry instanceof TransferError) {
      result.failure ??= entry;
      continue;
    }
    try {
      const items = await planEntry(entry.source, wall, { contentsOnly: entry.contentsOnly, trustNamed: false });
      for (const { to, items: group } of destinations(spec, entry, items)) {
        await checkDestination(spec.iwd, to);
        // A folder that is there already takes the folder's files (file_transfer.cpp: "the user
        // may want us to append files to an existing output directory"), each kept as below.
        if (isFolder(group) && (await lstat(to).catch(() => null))?.isDirectory()) {
          iwdReal ??= await realInitialdirs([spec.iwd]);
          await mergeInto(spec.iwd, iwdReal, to, group, spec.tag, result);
          continue;
        }
        await keepBeside(to, group, spec.tag, result);
      }
    } catch (error) {
      if (!(error instanceof TransferError)) throw error;
      result.failure ??= error;
    }
  }
  return result;
}

/** A folder's plan (its own entry first), not a file's. */
function isFolder(items: PlannedItem[]): boolean {
  return items[0]?.kind === 'dir' && items[0].to === '';
}

/** A folder's items copied into the folder `dir` that exists: each file that is there already kept, the new one beside it. */
async function mergeInto(
  iwd: string,
  iwdReal: readonly string[],
  dir: string,
  items: PlannedItem[],
  tag: string,
  result: OutputResult,
): Promise<void> {
  for (const item of items) {
    if (item.to === '') continue;
    const to = join(dir, item.to);
    // The folder's own subfolders may be links a job left: each place is checked on its way.
    await checkDestination(iwd, to, iwdReal);
    if (item.kind === 'dir') {
      // A file (or a link) in the folder's place: the shadow's mkdir of it fails, and the proc
      // is held as an output that could not be written (12/20, ENOTDIR).
      const there = await lstat(to).catch(() => null);
      if (there && !there.isDirectory())
        throw new TransferError(
          `writing to folder ${shown(to)}: (errno 20) Not a directory: a file of that name is there`,
          20,
          to,
          true,
        );
      await mkdir(to, { recursive: true });
      continue;
    }
    await keepBeside(to, [{ ...item, to: '' }], tag, result);
  }
}

/** `items` written at `to`, or beside it when something is there already (kept, and said). */
async function keepBeside(to: string, items: PlannedItem[], tag: string, result: OutputResult): Promise<void> {
  let dest = to;
  if (await exists(to)) {
    dest = await besideName(to, tag);
    result.kept.push({ existing: shown(to), newPath: shown(dest) });
  }
  await mkdir(dirname(dest), { recursive: true });
  result.bytes += await copyPlanned(items, dest, true);
  result.written.push(dest);
}

/**
 * A checkpoint exit: HTCondor uploads transfer_checkpoint_files (every top-level file when
 * unset) to the access point, then restarts the job in the same sandbox. Locally the files stay
 * where they are; this checks the named ones exist inside the sandbox (a missing one, or one
 * that leads out of it, fails the transfer) and counts the bytes a pool would have moved.
 */
export async function checkpointBytes(
  sandbox: string,
  files: string[] | null,
  exclude: ReadonlySet<string>,
): Promise<number> {
  let bytes = 0;
  const wall = await realpath(sandbox);
  const names = files ?? (await readdir(sandbox)).filter((n) => !exclude.has(n));
  for (const name of names) {
    const contentsOnly = /.\/+$/.test(name);
    const source = sandboxPath(sandbox, name.replace(/(.)\/+$/, '$1'));
    const items = await planEntry(source, wall, { contentsOnly, trustNamed: false });
    for (const item of items) if (item.kind === 'file') bytes += item.size;
  }
  return bytes;
}
