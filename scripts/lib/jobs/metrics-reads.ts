// Every proc's metrics.json for `results`, read once each, in the order results asks for them:
// many small files read one after another into one reused buffer (readFilesBounded:
// bounded-read's checks, one open/fstat/read/close each), a batch of 256 KiB at a time, so
// memory stays bounded however many procs there are. On this thread: a worker thread reading
// them beside the event log's read saved nothing measurable on 2 cores (its start-up costs
// about what the reads do; 10,000 procs: 230 vs 227 ms, median of 21 pairs).
import { isAscii } from 'node:buffer';
import { BATCH_MISSING, readFilesBounded, type BoundedBatch } from '../bounded-read.ts';

/** A file that is there but is no regular file within the limit (a folder, a FIFO, too large, unreadable). */
export const UNUSABLE = Symbol('unusable');

/** Bytes per batch (~2,500 metrics.json of ~100 bytes). */
const BATCH_BYTES = 256 << 10;

/** `paths` read in order: fill(n), then next() n times. */
export class MetricsReads {
  /** The batches not yet taken; `text`: the whole batch decoded once, when it is ASCII (null: it is not). */
  private readonly queue: { batch: BoundedBatch; at: number; start: number; text: string | null | undefined }[] = [];
  /** How many paths are read and not yet taken by next(). */
  buffered = 0;
  /** The index of the first path not read yet. */
  private nextPath = 0;
  private buffer: Buffer | undefined;
  private readonly paths: readonly string[];
  private readonly limit: number;

  constructor(paths: readonly string[], limit: number) {
    this.paths = paths;
    this.limit = limit;
  }

  /** Reads on until `count` paths are buffered (or every path is). */
  fill(count: number): void {
    while (this.buffered < count && this.nextPath < this.paths.length) {
      const head = this.queue[0];
      if (head && head.at >= head.batch.ends.length) this.queue.shift();
      // One buffer for the batches, reused once no text is left to take from it (a proc whose
      // places straddle two batches has the second read into a buffer of its own).
      if (this.queue.length === 0) this.buffer ??= Buffer.allocUnsafeSlow(BATCH_BYTES + this.limit + 1);
      const reuse = this.queue.length === 0 ? this.buffer : undefined;
      const batch = readFilesBounded(this.paths, this.nextPath, this.limit, BATCH_BYTES, reuse);
      this.queue.push({ batch, at: 0, start: 0, text: undefined });
      this.buffered += batch.ends.length;
      this.nextPath = batch.next;
    }
  }

  /** The next buffered path's text; null when it does not exist; UNUSABLE when it is no readable file within the limit. */
  next(): string | null | typeof UNUSABLE {
    let head = this.queue[0]!;
    if (head.at >= head.batch.ends.length) {
      this.queue.shift();
      head = this.queue[0]!;
    }
    this.buffered--;
    const end = head.batch.ends[head.at++]!;
    if (end < 0) return end === BATCH_MISSING ? null : UNUSABLE;
    // metrics.json is mostly ASCII: one decode per batch and a slice per file, not a decode per file.
    if (head.text === undefined) head.text = isAscii(head.batch.bytes) ? head.batch.bytes.toString('latin1') : null;
    const text =
      head.text !== null ? head.text.slice(head.start, end) : head.batch.bytes.toString('utf8', head.start, end);
    head.start = end;
    return text;
  }
}
