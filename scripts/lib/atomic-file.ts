// State files are written whole or not at all: a temp file beside the target, fsync, rename.
// A crash or a full disk leaves the previous version, never half a JSON document. Synchronous
// (node:fs alone): these are small files, and fs/promises costs a fast task its start-up.
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  writeChunksAtomic(path, [data]);
}

/** The same, from text (or bytes) made a piece at a time (a 10,000-row results.csv is never one string). */
export function writeChunksAtomic(path: string, chunks: Iterable<string | Uint8Array>): void {
  const temp = writeTemp(path, chunks, 'w', 0o644);
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * writeChunksAtomic, unless the file already holds exactly these bytes: then nothing is written
 * (a repeated `results` leaves results.csv as it is, without a write and an fsync). Returns
 * whether it wrote. `makeChunks` is called once to compare, a chunk at a time against the file's
 * bytes at that place, and stops at the first difference; a second time, to write, only when
 * something differs (a missing file is written at once). So neither side is ever held whole: a
 * 100,000-row results.csv costs a chunk's memory, not the file's twice over (as text and bytes).
 */
export function writeChunksAtomicIfChanged(path: string, makeChunks: () => Iterable<string | Uint8Array>): boolean {
  if (!holdsExactly(path, makeChunks)) {
    writeChunksAtomic(path, makeChunks());
    return true;
  }
  return false;
}

/** Is `path` a regular file whose bytes are exactly the chunks'? (Missing, a folder, unreadable: no.) */
function holdsExactly(path: string, makeChunks: () => Iterable<string | Uint8Array>): boolean {
  let fd: number;
  try {
    // Non-blocking: a FIFO put in its place must not hang the comparison.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    if (!fstatSync(fd).isFile()) return false;
    let made = Buffer.allocUnsafe(1 << 16);
    let held = Buffer.allocUnsafe(1 << 16);
    let at = 0;
    for (const chunk of makeChunks()) {
      let bytes: Uint8Array;
      let length: number;
      if (typeof chunk === 'string') {
        // Encoded into one reused buffer (no Buffer per chunk); grown when a chunk needs more.
        length = Buffer.byteLength(chunk, 'utf8');
        if (length > made.length) made = Buffer.allocUnsafe(length);
        made.write(chunk, 0, 'utf8');
        bytes = made;
      } else {
        bytes = chunk;
        length = chunk.length;
      }
      if (length > held.length) held = Buffer.allocUnsafe(length);
      if (readFully(fd, held, length, at) !== length) return false; // the file is shorter
      if (held.compare(bytes, 0, length, 0, length) !== 0) return false;
      at += length;
    }
    return readSync(fd, held, 0, 1, at) === 0; // and no longer
  } catch {
    return false; // a read error: written again
  } finally {
    closeSync(fd);
  }
}

/** Up to `length` bytes of `fd` from `position` into `buffer`; how many there were. */
function readFully(fd: number, buffer: Buffer, length: number, position: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buffer, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Write a file that must not exist yet, whole or not at all: the temp file is linked into place,
 * which fails with EEXIST instead of replacing a file that appeared meanwhile (`pixi condor init`
 * never overwrites the user's files).
 */
export function writeNewFileAtomic(path: string, data: string, mode = 0o644): void {
  const temp = writeTemp(path, [data], 'wx', mode);
  try {
    chmodSync(temp, mode); // openSync's mode is filtered by the umask; an executable must stay one
    linkSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** The chunks in a temp file beside `path`, synced to disk; its path. A failed write leaves none. */
function writeTemp(path: string, chunks: Iterable<string | Uint8Array>, flags: 'w' | 'wx', mode: number): string {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(temp, flags, mode);
  try {
    for (const chunk of chunks) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
    }
    fsyncSync(fd);
    closeSync(fd);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(temp, { force: true });
    throw error;
  }
  return temp;
}
