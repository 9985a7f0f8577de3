// Follow one event log as it grows: each poll reads only the bytes past the last offset and
// feeds them to the parser, which holds back a half-written event until its `...` arrives.
// A log that does not exist yet is waited for; a truncated or replaced log (new inode, shorter
// file, different first bytes) is read again from the start after telling the owner to forget
// what it had. Plain synchronous fs calls: a poll that finds nothing new (same size, mtime and
// ctime) costs one stat; the first bytes are read again only when one of them changed. A
// same-size rewrite whose mtime was put back still moves ctime (no user can set it): then the
// first and last bytes read are compared, and a difference reads the log again from the start.
// Only regular files are followed: a FIFO would block the open, a folder fails the read.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { UserError } from '../errors.ts';
import { EventLogParser, type JunkRecord, type LogEvent, type TrackedEvent } from './event-log.ts';
import { replayTape } from './event-tape.ts';
import { type PieceTape, type SplitOptions, type SplitRead, startSplitRead } from './split-read.ts';

export type ResetReason = 'truncated' | 'replaced' | 'rewritten';

export interface FollowerOptions {
  onEvent: (event: LogEvent) => void;
  onJunk?: (junk: JunkRecord) => void;
  /** Called before the log is read again from its start. */
  onReset?: (reason: ResetReason) => void;
  /** For MM/DD dates: defaults to the log's mtime when first opened. */
  referenceTime?: number;
  chunkBytes?: number;
  /** One reused event object (ParserOptions.reuse): onEvent must not keep it. */
  reuse?: boolean;
  /**
   * A big log's first read may run on two threads (split-read.ts): the second stretch's events
   * then come to onTracked, as the fields the job table reads (and in log order, after the
   * first stretch's, which still come to onEvent).
   */
  split?: SplitOptions & { onTracked: (event: TrackedEvent) => void };
}

export interface PollResult {
  /** The log does not exist (yet, or any more). */
  missing: boolean;
  /** Bytes read by this poll. */
  bytes: number;
  reset: ResetReason | null;
}

/** A log file at one moment: a change to it (grown, rewritten, replaced) shows in one of these. */
export interface LogPrint {
  path: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
}

const HEAD_BYTES = 64;
const TAIL_BYTES = 64;
/** Quiet polls between two looks at the first and last bytes (two 64-byte reads). */
const FINGERPRINT_EVERY = 8;

export class LogFollower {
  readonly path: string;
  /** Bytes of the log consumed so far. */
  offset = 0;
  private fd: number | null = null;
  private identity: { dev: number; ino: number } | null = null;
  private head: Buffer = Buffer.alloc(0);
  /** The last bytes consumed (up to TAIL_BYTES, ending at `offset`): a rewrite of the end shows here. */
  private tail: Buffer = Buffer.alloc(0);
  /** Size, mtime and ctime at the last poll: unchanged means nothing to read or check. */
  private seen: { size: number; mtimeMs: number; ctimeMs: number } | null = null;
  private parser: EventLogParser | null = null;
  private quietPolls = 0;
  /** Events handed out from a split read's tape (the parser counts the rest). */
  private replayed = 0;
  /** Pieces of the first read that came from the worker's tapes (split-read.ts). */
  tapedPieces = 0;
  /** A split read started by readAhead(), finished by the first poll. */
  private ahead: SplitRead | null = null;
  private readonly chunkBytes: number;
  private readonly options: FollowerOptions;

  constructor(path: string, options: FollowerOptions) {
    this.path = path;
    this.options = options;
    this.chunkBytes = options.chunkBytes ?? 1 << 20;
  }

  /** Did the first read run on two threads (some piece came from the worker's tape)? */
  get splitRead(): boolean {
    return this.tapedPieces > 0;
  }

  /** Has the log been seen at least once? */
  get opened(): boolean {
    return this.fd !== null;
  }

  /**
   * The log as it was at the last read, when every byte of it went into complete events (none
   * still being written, no text after the last `...`) and no date was MM/DD (whose year another
   * read may place otherwise); else null. A table kept from this read (recorded-outcomes.ts) is
   * the log's only while the file is still this one.
   */
  readPrint(): LogPrint | null {
    const { seen, identity, parser } = this;
    if (!seen || !identity || !parser || this.offset !== seen.size) return null;
    if (parser.pendingLength > 0 || parser.sawLegacyDates) return null;
    return { path: this.path, ...seen, ino: identity.ino, dev: identity.dev };
  }

  /** Events parsed so far (since the last reset). */
  get events(): number {
    return (this.parser?.events ?? 0) + this.replayed;
  }

  poll(): PollResult {
    let stats: Stats | undefined;
    try {
      stats = statSync(this.path, { throwIfNoEntry: false });
    } catch {
      stats = undefined; // unreadable folder: same as not there yet
    }
    if (!stats) return { missing: true, bytes: 0, reset: null };
    if (!stats.isFile()) throw this.notALog(stats);
    let reset: ResetReason | null = null;
    if (this.fd === null) {
      this.open(stats);
    } else if (this.identity && (stats.ino !== this.identity.ino || stats.dev !== this.identity.dev)) {
      reset = 'replaced';
    } else if (this.seen && stats.size === this.seen.size && stats.mtimeMs === this.seen.mtimeMs) {
      // Every few quiet polls the fingerprint is checked anyway: ctime moves in clock ticks, and a
      // rewrite in the same tick as the last append would keep it.
      if (stats.ctimeMs === this.seen.ctimeMs && ++this.quietPolls % FINGERPRINT_EVERY !== 0)
        return { missing: false, bytes: 0, reset: null };
      // Same size and mtime, yet the inode changed: a rewrite with its mtime put back, or only
      // a chmod. The first and last bytes read tell which.
      if (this.headUnchanged(stats.size) && this.tailUnchanged()) {
        this.seen = { size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
        return { missing: false, bytes: 0, reset: null };
      }
      reset = 'rewritten';
    } else if (stats.size < this.offset || !this.headUnchanged(stats.size)) {
      reset = 'truncated';
    }
    if (reset) {
      this.options.onReset?.(reset);
      this.close();
      this.open(stats);
    }
    const bytes = this.readTo(stats.size);
    this.seen = { size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
    return { missing: false, bytes, reset };
  }

  /**
   * Start the first read's worker now (a big log's split read), so that it reads while the
   * caller does other work; the first poll() finishes the read. Does nothing for a log that is
   * missing, smaller than `minBytes`, or already open. Returns the read under way, or null.
   */
  readAhead(minBytes: number): Pick<SplitRead, 'settled'> | null {
    if (this.fd !== null || !this.options.split) return null;
    let stats: Stats | undefined;
    try {
      stats = statSync(this.path, { throwIfNoEntry: false });
    } catch {
      return null;
    }
    if (!stats?.isFile() || stats.size < minBytes) return null;
    this.open(stats);
    this.ahead = startSplitRead(this.path, this.fd!, stats.size, { ...this.options.split, minBytes });
    return this.ahead;
  }

  /** End of a one-shot read: accept a final `...` that has no newline. */
  finish(): void {
    this.parser?.end();
  }

  close(): void {
    this.ahead?.cancel();
    this.ahead = null;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.identity = null;
    this.parser = null;
    this.offset = 0;
    this.replayed = 0;
    this.tapedPieces = 0;
    this.head = Buffer.alloc(0);
    this.tail = Buffer.alloc(0);
    this.seen = null;
  }

  private notALog(stats: Stats): UserError {
    return new UserError(
      `${this.path} is ${stats.isDirectory() ? 'a folder' : 'not a regular file (a FIFO, socket or device)'}, not an event log`,
      { hint: "pass the file the submit file's `log =` names", exitCode: 2 },
    );
  }

  private open(stats: Stats): void {
    // Without blocking, and the open file checked: a FIFO swapped in after the stat is not waited on.
    const fd = openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
    const opened = fstatSync(fd);
    if (!opened.isFile()) {
      closeSync(fd);
      throw this.notALog(opened);
    }
    this.fd = fd;
    // The file opened (a log replaced since the stat is read as it is now).
    this.identity = { dev: opened.dev, ino: opened.ino };
    this.offset = 0;
    this.head = Buffer.alloc(0);
    this.tail = Buffer.alloc(0);
    this.parser = new EventLogParser({
      referenceTime: this.options.referenceTime ?? stats.mtimeMs,
      onEvent: this.options.onEvent,
      onJunk: this.options.onJunk,
      reuse: this.options.reuse,
    });
  }

  /** The first bytes are what they were: a log rewritten in place past our offset is caught too. */
  private headUnchanged(size: number): boolean {
    if (this.head.length === 0 || this.fd === null) return true;
    const probe = Buffer.allocUnsafe(this.head.length);
    const n = readSync(this.fd, probe, 0, this.head.length, 0);
    return n === this.head.length && probe.equals(this.head) && size >= this.head.length;
  }

  /** The last bytes consumed are still what they were. */
  private tailUnchanged(): boolean {
    if (this.tail.length === 0 || this.fd === null) return true;
    const probe = Buffer.allocUnsafe(this.tail.length);
    const n = readSync(this.fd, probe, 0, this.tail.length, this.offset - this.tail.length);
    return n === this.tail.length && probe.equals(this.tail);
  }

  private scratchBuffer: Buffer | null = null;

  private scratch(length: number): Buffer {
    if (!this.scratchBuffer || this.scratchBuffer.length < length)
      this.scratchBuffer = Buffer.allocUnsafe(Math.max(length, Math.min(this.chunkBytes, 1 << 16)));
    return this.scratchBuffer.subarray(0, length);
  }

  private readTo(size: number): number {
    if (this.fd === null || !this.parser) return 0;
    const split = this.offset === 0 && this.options.split ? this.readSplit(size) : 0;
    return split + this.readRange(size);
  }

  /**
   * The first read of a big log, on two threads: this one parses pieces from the front while a
   * worker takes them from the back; then the worker's tapes are handed out in log order (a
   * piece without one is read here). Returns the bytes consumed (0: read on one thread).
   */
  private readSplit(size: number): number {
    const split = this.ahead ?? startSplitRead(this.path, this.fd!, size, this.options.split!);
    this.ahead = null;
    if (!split) return 0;
    const { bounds } = split;
    const pieces = bounds.length - 1;
    let piece = 0;
    for (; piece < pieces && split.claim(piece); piece++) this.readRange(bounds[piece + 1]!);
    const tapes = split.join();
    for (; piece < pieces; piece++) {
      const read = tapes.get(piece);
      const whole = read && (piece === pieces - 1 || read.consumed === bounds[piece + 1]);
      if (whole && this.offset === bounds[piece] && this.parser!.pendingLength === 0) this.replay(read);
      else this.readRange(bounds[piece + 1]!);
    }
    return this.offset;
  }

  /** A worker's piece, applied: its events handed out, the offset moved past it. */
  private replay(read: PieceTape): void {
    const split = this.options.split!;
    this.replayed += replayTape(read.tape, split.usage, split.onTracked, (junk) => this.options.onJunk?.(junk));
    this.offset = read.consumed;
    this.tapedPieces++;
    const tail = Buffer.allocUnsafe(Math.min(TAIL_BYTES, this.offset));
    this.tail = tail.subarray(0, readSync(this.fd!, tail, 0, tail.length, this.offset - tail.length));
  }

  /** Read and parse from the offset up to `size`. */
  private readRange(size: number): number {
    let total = 0;
    while (this.offset < size) {
      // A fresh buffer each read (parsed events keep references into it), unless the events are
      // one reused object that nobody keeps: then one buffer serves every read.
      const length = Math.min(this.chunkBytes, size - this.offset);
      const buffer = this.options.reuse ? this.scratch(length) : Buffer.allocUnsafe(length);
      const n = readSync(this.fd!, buffer, 0, buffer.length, this.offset);
      if (n <= 0) break;
      if (this.head.length < HEAD_BYTES && this.offset < HEAD_BYTES) {
        this.head = Buffer.concat([this.head, buffer.subarray(0, Math.min(n, HEAD_BYTES - this.offset))]);
      }
      this.parser!.pushBytes(n === buffer.length ? buffer : buffer.subarray(0, n));
      this.offset += n;
      total += n;
      this.tail =
        n >= TAIL_BYTES
          ? Buffer.from(buffer.subarray(n - TAIL_BYTES, n))
          : Buffer.concat([this.tail, buffer.subarray(0, n)]).subarray(-TAIL_BYTES);
    }
    return total;
  }
}
