// State files are written whole or not at all: a temp file beside the target, fsync, rename.
// A crash or a full disk leaves the previous version, never half a JSON document. Synchronous
// (node:fs alone): these are small files, and fs/promises costs a fast task its start-up.
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readBounded } from './bounded-read.ts';

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
 * whether it wrote.
 */
export function writeChunksAtomicIfChanged(path: string, chunks: Iterable<string | Uint8Array>): boolean {
  const parts = [...chunks].map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk));
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  let old: Buffer | null = null;
  try {
    old = readBounded(path, total);
  } catch {
    old = null; // missing, not a file, or larger: written
  }
  if (old && old.length === total) {
    let at = 0;
    let same = true;
    for (const part of parts) {
      if (old.compare(part, 0, part.length, at, at + part.length) !== 0) {
        same = false;
        break;
      }
      at += part.length;
    }
    if (same) return false;
  }
  writeChunksAtomic(path, parts);
  return true;
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
