// Reading the files a submit file names (itself, `include :` targets, `queue … from` tables) with
// a bound: only regular files (a FIFO, /dev/zero or a directory is refused before a byte is read,
// and opening never blocks), and never more than a fixed size, so a hostile name costs neither
// memory nor time. condor_submit reads whatever it is given; these limits are ours.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** A submit file or an include: real ones are a few KiB. */
export const MAX_SUBMIT_FILE_BYTES = 4 << 20;
/** A `queue … from` table: one line per proc, and at most 100,000 procs. */
export const MAX_ITEMS_FILE_BYTES = 32 << 20;

export type ReadProblem = 'missing' | 'not-a-file' | 'too-large' | 'unreadable';

export class BoundedReadError extends Error {
  readonly problem: ReadProblem;
  constructor(problem: ReadProblem, detail: string) {
    super(detail);
    this.problem = problem;
  }
}

/** The text of a regular file of at most `limit` bytes, or a BoundedReadError saying why not. */
export function readBoundedText(path: string, limit: number): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new BoundedReadError('missing', 'does not exist');
    if (code === 'EISDIR') throw new BoundedReadError('not-a-file', 'is a directory, not a file');
    throw new BoundedReadError('unreadable', 'cannot be read (no permission?)');
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new BoundedReadError('not-a-file', 'is a directory, not a file');
    if (!stat.isFile())
      throw new BoundedReadError('not-a-file', 'is not a regular file (a device, FIFO or socket is not read)');
    if (stat.size > limit)
      throw new BoundedReadError(
        'too-large',
        `is larger than ${Math.round(limit / 1024 / 1024)} MiB (${stat.size} bytes)`,
      );
    // Read at most limit + 1 bytes: a file that grows while it is read is still bounded.
    const buffer = Buffer.alloc(Math.min(limit + 1, Math.max(stat.size, 0) + 65536));
    let length = 0;
    for (;;) {
      if (length === buffer.length) break;
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > limit)
      throw new BoundedReadError('too-large', `is larger than ${Math.round(limit / 1024 / 1024)} MiB`);
    return buffer.subarray(0, length).toString('utf8');
  } catch (error) {
    if (error instanceof BoundedReadError) throw error;
    throw new BoundedReadError('unreadable', 'cannot be read');
  } finally {
    closeSync(fd);
  }
}
