// File transfer between the submit side (the proc's initialdir) and the proc's sandbox, with
// HTCondor's rules (htcondor-jdl transfer_input_files / transfer_output_files /
// transfer_output_remaps): `dir` brings the directory itself, `dir/` its contents; outputs land
// flat in initialdir under their base name unless remapped; an unset transfer_output_files
// brings back every new or changed top-level file. Unlike HTCondor, an existing file at the
// destination is never replaced: it is kept and the new one is written beside it.
import { existsSync } from 'node:fs';
import { cp, lstat, mkdir, readdir, rename, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { isUrl } from '../submit-language/submit-plan.ts';

export class TransferError extends Error {
  /** errno of the failure (HTCondor's hold subcode): 2 for a missing file. */
  readonly errno: number;
  readonly path: string;

  constructor(message: string, errno: number, path: string) {
    super(message);
    this.errno = errno;
    this.path = path;
  }
}

/** `reading from file X: (errno 2) No such file or directory`, as file_transfer.cpp words it. */
function missing(path: string): TransferError {
  return new TransferError(`reading from file ${path}: (errno 2) No such file or directory`, 2, path);
}

/** Copy one entry into `dir`: a file by its base name, `d` as d/, `d/` as its contents. Returns the bytes copied. */
async function copyEntry(source: string, dir: string, contentsOnly: boolean): Promise<number> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(source);
  } catch {
    throw missing(source);
  }
  if (info.isDirectory()) {
    const target = contentsOnly ? dir : join(dir, basename(source));
    await cp(source, target, { recursive: true, force: true });
    return treeSize(target);
  }
  await cp(source, join(dir, basename(source)), { force: true });
  return info.size;
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
}

/** Bring the executable and transfer_input_files into the sandbox; the bytes moved. */
export async function transferInputs(spec: InputTransfer, sandbox: string): Promise<number> {
  let bytes = 0;
  if (spec.executable) {
    bytes += await copyEntry(spec.executable, sandbox, false);
  }
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
    bytes += await copyEntry(path, sandbox, contentsOnly);
  }
  return bytes;
}

/** `transfer_output_remaps = "a = b; c = d"` → {a: b, c: d} (the outer quotes optional). */
export function parseRemaps(value: string | undefined): Map<string, string> {
  const remaps = new Map<string, string>();
  if (!value) return remaps;
  const text = value.trim().replace(/^"(.*)"$/s, '$1');
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const from = part.slice(0, eq).trim();
    const to = part.slice(eq + 1).trim();
    if (from && to) remaps.set(from, to);
  }
  return remaps;
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
  /** Outputs whose destination existed: kept, and the new one written beside it. */
  kept: { existing: string; newPath: string }[];
  /** The first declared output the job did not make. */
  failure: TransferError | null;
}

/** `name.ext` → `name.<tag>.ext` (a free name beside an existing file). */
export function besideName(path: string, tag: string): string {
  const ext = extname(path);
  const stem = ext && ext !== path ? path.slice(0, -ext.length) : path;
  let candidate = `${stem}.${tag}${ext}`;
  for (let n = 2; existsSync(candidate); n++) candidate = `${stem}.${tag}-${n}${ext}`;
  return candidate;
}

/** Bring outputs back to initialdir (or their remapped paths). */
export async function transferOutputs(spec: OutputTransfer, sandbox: string): Promise<OutputResult> {
  const result: OutputResult = { bytes: 0, written: [], kept: [], failure: null };
  let entries: { source: string; name: string; contentsOnly: boolean }[];
  if (spec.outputs === null) {
    entries = [];
    for (const name of await readdir(sandbox)) {
      if (spec.exclude.has(name)) continue;
      const info = await lstat(join(sandbox, name));
      // Only top-level files, new or changed: directories come back only when named.
      if (info.isDirectory()) continue;
      const then = spec.before.get(name);
      if (then !== undefined && then === info.mtimeMs) continue;
      entries.push({ source: join(sandbox, name), name, contentsOnly: false });
    }
  } else {
    entries = spec.outputs.map((entry) => {
      const contentsOnly = /.\/+$/.test(entry);
      const clean = entry.replace(/(.)\/+$/, '$1');
      return { source: resolve(sandbox, clean), name: basename(clean), contentsOnly };
    });
  }
  for (const entry of entries) {
    const info = await stat(entry.source).catch(() => null);
    if (!info) {
      result.failure ??= missing(entry.source);
      continue;
    }
    const remapped = spec.remaps.get(entry.name);
    const targets: { from: string; to: string }[] = [];
    if (info.isDirectory() && entry.contentsOnly) {
      for (const name of await readdir(entry.source))
        targets.push({ from: join(entry.source, name), to: join(spec.iwd, name) });
    } else {
      const to = remapped
        ? isAbsolute(remapped)
          ? remapped
          : resolve(spec.iwd, remapped)
        : join(spec.iwd, entry.name);
      targets.push({ from: entry.source, to });
    }
    for (const { from, to } of targets) {
      let dest = to;
      if (existsSync(to)) {
        dest = besideName(to, spec.tag);
        result.kept.push({ existing: to, newPath: dest });
      }
      await mkdir(dirname(dest), { recursive: true });
      // Same filesystem: a rename is instant; else a copy.
      await rename(from, dest).catch(() => cp(from, dest, { recursive: true }));
      result.bytes += await treeSize(dest);
      result.written.push(dest);
    }
  }
  return result;
}

/**
 * A checkpoint exit: HTCondor uploads transfer_checkpoint_files (every top-level file when
 * unset) to the access point, then restarts the job in the same sandbox. Locally the files stay
 * where they are; this checks the named ones exist (a missing one fails the transfer, as on a
 * pool) and counts the bytes a pool would have moved.
 */
export async function checkpointBytes(
  sandbox: string,
  files: string[] | null,
  exclude: ReadonlySet<string>,
): Promise<number> {
  let bytes = 0;
  const names = files ?? (await readdir(sandbox)).filter((n) => !exclude.has(n));
  for (const name of names) {
    const source = resolve(sandbox, name.replace(/(.)\/+$/, '$1'));
    if (!existsSync(source)) throw missing(source);
    bytes += await treeSize(source);
  }
  return bytes;
}
