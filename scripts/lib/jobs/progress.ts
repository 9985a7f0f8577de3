// A running proc's progress, from its streamed output (`stream_output = true` brings stdout
// back while the job runs): the last `PIXI_CONDOR_PROGRESS {json}` line job/main.py prints per
// epoch. Only the file's last bytes are read, and a file is read again only when its size or
// mtime moved, so watching thousands of procs costs a stat each per look.
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { visibleControls } from '../job-text.ts';
import { MASK, type SecretMask } from '../secret-mask.ts';

export const PROGRESS_MARKER = 'PIXI_CONDOR_PROGRESS ';
/** How far back from the end a progress line is looked for (an epoch prints far less). */
const TAIL_BYTES = 16 * 1024;

export type Progress = Record<string, unknown>;

/**
 * How deep a progress object may nest (a flat one is 1): a deeper line is no progress line, so
 * that `status --json` (JSON.stringify) and the mask's walk never run out of stack on it.
 */
const MAX_NESTING = 16;

/** Does `value` nest at most `limit` objects or lists deep? (The walk stops past the limit.) */
function nestedWithin(value: object, limit: number): boolean {
  if (limit <= 0) return false;
  for (const item of Object.values(value))
    if (item !== null && typeof item === 'object' && !nestedWithin(item, limit - 1)) return false;
  return true;
}

/** The object of the last well-formed progress line in `text`, or null. */
export function lastProgress(text: string): Progress | null {
  let at = text.lastIndexOf(PROGRESS_MARKER);
  while (at >= 0) {
    const end = text.indexOf('\n', at);
    const json = text.slice(at + PROGRESS_MARKER.length, end < 0 ? undefined : end).trim();
    // A line still being written (no newline yet) may be cut: an older complete one is better.
    if (end >= 0 || json.endsWith('}')) {
      try {
        const value: unknown = JSON.parse(json);
        if (value && typeof value === 'object' && !Array.isArray(value) && nestedWithin(value, MAX_NESTING))
          return value as Progress;
      } catch {
        // not JSON: look further back
      }
    }
    at = at === 0 ? -1 : text.lastIndexOf(PROGRESS_MARKER, at - 1);
  }
  return null;
}

/** The last `bytes` of a regular file, decoded; null when it cannot be read. */
export function readTail(path: string, bytes: number): string | null {
  return readTailWindow(path, bytes)?.text ?? null;
}

/** readTail, and whether the window starts inside the file (its first line may be cut). */
function readTailWindow(path: string, bytes: number): { text: string; cut: boolean } | null {
  let fd: number | null = null;
  try {
    // Opened without blocking, then checked: a FIFO (made, or swapped in, by the job) is never waited on.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const stats = fstatSync(fd);
    if (!stats.isFile()) return null;
    const length = Math.min(stats.size, bytes);
    const buffer = Buffer.alloc(length);
    const n = readSync(fd, buffer, 0, length, stats.size - length);
    return { text: buffer.toString('utf8', 0, n), cut: stats.size > length };
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * The lines of a file's last `bytes` (the last one even without its newline), less the first
 * when the window cut into it: a piece of a line is never shown (half a token would pass the mask).
 */
export function tailTextLines(path: string, bytes: number): string[] | null {
  const tail = readTailWindow(path, bytes);
  if (tail === null) return null;
  const lines = tail.text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return tail.cut ? lines.slice(1) : lines;
}

/** The last `count` lines of a file (as `condor_tail -maxbytes` shows the end of a job's output). */
export function tailLines(path: string, count: number): string[] | null {
  return tailTextLines(path, Math.max(4096, count * 512))?.slice(-count) ?? null;
}

/**
 * Remembers each output file's size and mtime, and re-reads only files that moved. The secrets
 * of `mask` (job-text.ts jobSecretMask) are masked in the progress read (maskedProgress), so no
 * view of it (the live view, `status --json`) holds one.
 */
export class ProgressReader {
  private readonly seen = new Map<string, { size: number; mtimeMs: number; progress: Progress | null }>();
  private readonly mask: SecretMask | null;

  constructor(mask: SecretMask | null = null) {
    this.mask = mask;
  }

  read(path: string): Progress | null {
    let stats: { size: number; mtimeMs: number; isFile(): boolean } | undefined;
    try {
      stats = statSync(path, { throwIfNoEntry: false });
    } catch {
      stats = undefined;
    }
    if (!stats?.isFile()) return null;
    const last = this.seen.get(path);
    if (last && last.size === stats.size && last.mtimeMs === stats.mtimeMs) return last.progress;
    const text = readTail(path, TAIL_BYTES);
    const read = text === null ? null : lastProgress(text);
    const progress = (read && this.mask ? maskedProgress(read, this.mask) : read) ?? last?.progress ?? null;
    this.seen.set(path, { size: stats.size, mtimeMs: stats.mtimeMs, progress });
    return progress;
  }
}

/**
 * `progress` with every secret of `mask` masked: in its keys and text values (after JSON.parse,
 * so a secret written with `\u` escapes is found too), and a number whose digits hold one as
 * `***`. Itself when there is no secret to mask.
 */
export function maskedProgress(progress: Progress, mask: SecretMask): Progress {
  if (mask.secrets.length === 0) return progress;
  // lastProgress let no object deeper than MAX_NESTING through: the walk's depth is bounded.
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return mask.mask(value);
    if (typeof value === 'number') return mask.foundIn(String(value)) ? MASK : value;
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1));
    // fromEntries: a `__proto__` key stays a key.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [mask.mask(k), walk(v, depth + 1)]));
  };
  return walk(progress, 0) as Progress;
}

/** `epoch 3/20 loss 0.412 acc 0.871 1520 img/s`: a progress object in a few words. */
export function progressText(progress: Progress | null): string {
  if (!progress) return '';
  const parts: string[] = [];
  const { epoch, epochs, loss, accuracy, images_per_s: rate } = progress as Record<string, unknown>;
  if (typeof epoch === 'number') parts.push(`epoch ${epoch}${typeof epochs === 'number' ? `/${epochs}` : ''}`);
  if (typeof loss === 'number') parts.push(`loss ${round(loss)}`);
  if (typeof accuracy === 'number') parts.push(`acc ${round(accuracy)}`);
  if (typeof rate === 'number') parts.push(`${Math.round(rate)} img/s`);
  if (parts.length === 0)
    for (const [key, value] of Object.entries(progress).slice(0, 4))
      parts.push(`${key} ${typeof value === 'number' ? round(value) : String(value)}`);
  // The job printed these values (its secrets masked as they were read): control characters shown, never raw.
  return visibleControls(parts.join(' '));
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(3);
}
