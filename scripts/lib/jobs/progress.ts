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
  return lastProgressLine(text)?.value ?? null;
}

/** lastProgress, with the JSON text of the line it came from. */
function lastProgressLine(text: string): { json: string; value: Progress } | null {
  let at = text.lastIndexOf(PROGRESS_MARKER);
  while (at >= 0) {
    const end = text.indexOf('\n', at);
    const json = text.slice(at + PROGRESS_MARKER.length, end < 0 ? undefined : end).trim();
    // A line still being written (no newline yet) may be cut: an older complete one is better.
    if (end >= 0 || json.endsWith('}')) {
      try {
        const value: unknown = JSON.parse(json);
        if (value && typeof value === 'object' && !Array.isArray(value) && nestedWithin(value, MAX_NESTING))
          return { json, value: value as Progress };
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

/** readTail, and whether the window starts inside a line (its first line is then a piece). */
function readTailWindow(path: string, bytes: number): { text: string; cut: boolean } | null {
  let fd: number | null = null;
  try {
    // Opened without blocking, then checked: a FIFO (made, or swapped in, by the job) is never waited on.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const stats = fstatSync(fd);
    if (!stats.isFile()) return null;
    const length = Math.min(stats.size, bytes);
    const start = stats.size - length;
    // The byte before the window too: a window that starts right after a line's end cuts nothing.
    const before = start > 0 ? 1 : 0;
    const buffer = Buffer.alloc(length + before);
    const n = readSync(fd, buffer, 0, length + before, start - before);
    const cut = before === 1 && buffer[0] !== 0x0a && buffer[0] !== 0x0d;
    return { text: buffer.toString('utf8', before, Math.max(before, n)), cut };
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** What is left out of a line cut by the window that is all there is: more than a token's length. */
const CUT_LINE_DROP = 1024;

/**
 * The lines of a file's last `bytes` (the last one even without its newline). A line the window
 * starts inside is never shown from its cut: after its first `\r` (a progress bar's redraws
 * follow whole), else not at all; when it is the only line, its end past its first
 * CUT_LINE_DROP characters, marked `…`. So no piece of a token (which the mask would miss) shows.
 */
export function tailTextLines(path: string, bytes: number): string[] | null {
  const tail = readTailWindow(path, bytes);
  if (tail === null) return null;
  const lines = tail.text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (!tail.cut || lines.length === 0) return lines;
  const piece = lines[0]!;
  const redraw = piece.indexOf('\r');
  if (redraw >= 0) lines[0] = piece.slice(redraw + 1);
  else if (lines.length === 1 && piece.length > CUT_LINE_DROP) lines[0] = `…${piece.slice(CUT_LINE_DROP)}`;
  else lines.shift();
  return lines;
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
  /** Per file: its size and mtime when read, and the progress read (with its line's JSON text). */
  private readonly seen = new Map<
    string,
    { size: number; mtimeMs: number; progress: Progress | null; json: string | null }
  >();
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
    const read = text === null ? null : lastProgressLine(text);
    // The same line as last time (the job wrote other output since): the same object, so the
    // tracker, which compares objects, sees no new progress.
    const progress =
      read === null
        ? (last?.progress ?? null)
        : read.json === last?.json
          ? last.progress
          : this.mask
            ? maskedProgress(read.value, this.mask)
            : read.value;
    this.seen.set(path, { size: stats.size, mtimeMs: stats.mtimeMs, progress, json: read?.json ?? last?.json ?? null });
    return progress;
  }
}

/**
 * `progress` with every secret of `mask` masked: in its keys and text values (after JSON.parse,
 * so a secret written with `\u` escapes is found too), and a number whose digits hold one as
 * `***`. Itself when there is no secret to mask.
 */
function maskedProgress(progress: Progress, mask: SecretMask): Progress {
  if (mask.secrets.length === 0) return progress;
  // lastProgress let no object deeper than MAX_NESTING through: the walk's depth is bounded.
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return mask.mask(value);
    if (typeof value === 'number') return mask.foundIn(String(value)) ? MASK : value;
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map(walk);
    // fromEntries: a `__proto__` key stays a key.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [mask.mask(k), walk(v)]));
  };
  return walk(progress) as Progress;
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
