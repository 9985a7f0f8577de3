// The one way the scripts read a file a user (or a hostile checkout) controls: only a regular
// file (a FIFO, /dev/zero or a folder is refused before a byte is read, and opening never
// blocks), never more than a fixed size (a file that grows while it is read is still cut at
// the limit), synchronously (node:fs alone: the fs/promises module costs a fast task its
// start-up). Callers word their own messages from `problem`, `code` and `size`.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export type ReadProblem = 'missing' | 'not-a-file' | 'too-large' | 'unreadable';

export class BoundedReadError extends Error {
  readonly problem: ReadProblem;
  /** The errno code when a system call failed (ENOENT, EACCES, EISDIR, …). */
  readonly code: string | undefined;
  /** The file's size when it is too large (at least limit + 1). */
  readonly size: number | undefined;
  /** Is the path a folder (for 'not-a-file')? */
  readonly isDirectory: boolean;
  constructor(
    problem: ReadProblem,
    detail: string,
    extra: { code?: string; size?: number; isDirectory?: boolean } = {},
  ) {
    super(detail);
    this.problem = problem;
    this.code = extra.code;
    this.size = extra.size;
    this.isDirectory = extra.isDirectory ?? false;
  }
}

const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;

/** What a failed open says of the path (readBounded and readFilesBounded alike). */
function openProblem(code: string | undefined): ReadProblem {
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
  return code === 'EISDIR' ? 'not-a-file' : 'unreadable';
}

/** The bytes of a regular file of at most `limit` bytes, or a BoundedReadError saying why not. */
export function readBounded(path: string, limit: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = openProblem(code);
    if (problem === 'missing') throw new BoundedReadError('missing', 'does not exist', { code });
    if (problem === 'not-a-file')
      throw new BoundedReadError('not-a-file', 'is a directory, not a file', { code, isDirectory: true });
    throw new BoundedReadError('unreadable', 'cannot be read (no permission?)', code ? { code } : {});
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory())
      throw new BoundedReadError('not-a-file', 'is a directory, not a file', { code: 'EISDIR', isDirectory: true });
    if (!stat.isFile())
      throw new BoundedReadError('not-a-file', 'is not a regular file (a device, FIFO or socket is not read)');
    if (stat.size > limit)
      throw new BoundedReadError('too-large', `is larger than ${mib(limit)} (${stat.size} bytes)`, { size: stat.size });
    // Read at most limit + 1 bytes: a file that grows while it is read is still bounded. The
    // buffer starts at the size (plus one byte, to see growth) and grows only if the file did:
    // 10,000 small files must not cost a large buffer each.
    let buffer = Buffer.allocUnsafe(Math.min(limit + 1, Math.max(stat.size, 0) + 1));
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      // A regular file's read comes back short only at its end: no second read to hear it.
      if (length < buffer.length) break;
      if (length === buffer.length) {
        if (buffer.length > limit) break;
        const grown = Buffer.allocUnsafe(Math.min(limit + 1, buffer.length * 2 + 65536));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
    }
    if (length > limit) throw new BoundedReadError('too-large', `is larger than ${mib(limit)}`, { size: length });
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof BoundedReadError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new BoundedReadError('unreadable', 'cannot be read', code ? { code } : {});
  } finally {
    closeSync(fd);
  }
}

/** readBounded as UTF-8 text (a bad byte becomes U+FFFD, as Node's readFile does). */
export function readBoundedText(path: string, limit: number): string {
  return readBounded(path, limit).toString('utf8');
}

/** What readFilesBounded puts in place of a file's end offset when it did not read the file. */
export const BATCH_MISSING = -1;
export const BATCH_NOT_A_FILE = -2;
export const BATCH_TOO_LARGE = -3;
export const BATCH_UNREADABLE = -4;
const BATCH_CODE: Record<ReadProblem, number> = {
  missing: BATCH_MISSING,
  'not-a-file': BATCH_NOT_A_FILE,
  'too-large': BATCH_TOO_LARGE,
  unreadable: BATCH_UNREADABLE,
};

export interface BoundedBatch {
  /** Per file from `from` on: where its bytes end in `bytes` (they start where the last read one ended), or a BATCH_ code. */
  ends: Int32Array;
  bytes: Buffer;
  /** The index of the first path not in this batch (paths.length when all are). */
  next: number;
}

/**
 * Many small files read one after another into one buffer, each as readBounded reads it: a
 * non-blocking open, fstat before a byte is read (only a regular file of at most `limit` bytes),
 * and one read of at most limit + 1 bytes (a regular file's read comes back short only at its end;
 * a file that grew past the limit is refused). From paths[from] on, until the buffer holds `budget`
 * bytes or the list ends; `buffer` (at least budget + limit + 1 bytes) is reused when it is given.
 * For `results`' 10,000 metrics.json: one buffer, not one per file.
 */
export function readFilesBounded(
  paths: readonly string[],
  from: number,
  limit: number,
  budget: number,
  buffer?: Buffer,
): BoundedBatch {
  const bytes = buffer && buffer.length >= budget + limit + 1 ? buffer : Buffer.allocUnsafeSlow(budget + limit + 1);
  const ends: number[] = [];
  const flags = constants.O_RDONLY | constants.O_NONBLOCK;
  let length = 0;
  let i = from;
  for (; i < paths.length && length < budget; i++) {
    let fd: number;
    try {
      fd = openSync(paths[i]!, flags);
    } catch (error) {
      ends.push(BATCH_CODE[openProblem((error as NodeJS.ErrnoException).code)]);
      continue;
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) ends.push(BATCH_NOT_A_FILE);
      else if (stat.size > limit) ends.push(BATCH_TOO_LARGE);
      else {
        const n = readSync(fd, bytes, length, limit + 1, null);
        if (n > limit) ends.push(BATCH_TOO_LARGE);
        else {
          length += n;
          ends.push(length);
        }
      }
    } catch {
      ends.push(BATCH_UNREADABLE);
    } finally {
      closeSync(fd);
    }
  }
  return { ends: Int32Array.from(ends), bytes: bytes.subarray(0, length), next: i };
}
