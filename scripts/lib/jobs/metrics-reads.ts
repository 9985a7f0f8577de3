// Every proc's metrics.json for `results`, read once each, in the order results asks for them:
// many small files read into one reused buffer (readFilesBounded: bounded-read's checks, one
// open/fstat/read/close each). A sweep of many procs is read by a worker thread while the main
// thread reads the event log (the two take about as long; on 2 cores they overlap), at most
// AHEAD_BATCHES batches ahead of the main thread, so memory stays bounded. Anything wrong with
// the worker (it cannot start, it fails, it says nothing for a long time) costs only the overlap:
// the rest is read here, the same way, so the rows are the same either way.
import * as fs from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { BATCH_MISSING, readFilesBounded, type BoundedBatch } from '../bounded-read.ts';

/** A file that is there but is no regular file within the limit (a folder, a FIFO, too large, unreadable). */
export const UNUSABLE = Symbol('unusable');

export interface MetricsReads {
  /** The next path's text; null when it does not exist; UNUSABLE when it is no readable file within the limit. */
  next(): string | null | typeof UNUSABLE;
  /** Stops the worker (if any); call it when done, or on the way out of an error. */
  close(): void;
}

/** Bytes per batch: 10,000 metrics.json of ~100 bytes are one batch. */
const BATCH_BYTES = 4 << 20;
/** Batches the worker may read before the main thread took them (memory: ~ this × (BATCH_BYTES + limit)). */
const AHEAD_BATCHES = 3;
/** Fewer files than this are read here: a worker's start costs more than it saves. */
export const WORKER_MIN_FILES = 1000;
/** The main thread waits this long for a worker that says nothing before it reads the rest itself. */
const WORKER_SILENCE_MS = 30_000;

/**
 * `paths` read in order, each when next() is called (in a worker when `parallel`, by default for
 * WORKER_MIN_FILES or more paths).
 */
export function readMetricsFiles(paths: readonly string[], limit: number, parallel?: boolean): MetricsReads {
  const reads = new BatchReads(paths, limit);
  if (parallel ?? paths.length >= WORKER_MIN_FILES) reads.startWorker();
  return reads;
}

class BatchReads implements MetricsReads {
  private batch: BoundedBatch | null = null;
  private at = 0;
  private start = 0;
  /** The index of the first path not in a batch taken yet. */
  private nextPath = 0;
  private buffer: Buffer | undefined;
  private worker: { thread: Worker; port: MessagePort; shared: Int32Array } | null = null;

  private readonly paths: readonly string[];
  private readonly limit: number;

  constructor(paths: readonly string[], limit: number) {
    this.paths = paths;
    this.limit = limit;
  }

  startWorker(): void {
    const { port1, port2 } = new MessageChannel();
    // [0]: batches posted by the worker, [1]: batches taken here, [2]: 1 once the worker must stop.
    const shared = new Int32Array(new SharedArrayBuffer(12));
    try {
      const thread = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          paths: this.paths,
          limit: this.limit,
          budget: BATCH_BYTES,
          ahead: AHEAD_BATCHES,
          port: port2,
          shared,
        },
        transferList: [port2],
      });
      thread.unref();
      thread.on('error', () => {}); // its failure is seen as silence or a 'failed' batch; the reads go on here
      this.worker = { thread, port: port1, shared };
    } catch {
      port1.close(); // no worker here (resource limits): every file is read on this thread
    }
  }

  next(): string | null | typeof UNUSABLE {
    if (!this.batch || this.at >= this.batch.ends.length) this.take();
    const batch = this.batch!;
    const end = batch.ends[this.at++]!;
    if (end < 0) return end === BATCH_MISSING ? null : UNUSABLE;
    const text = batch.bytes.toString('utf8', this.start, end);
    this.start = end;
    return text;
  }

  private take(): void {
    const batch = (this.worker && this.fromWorker()) || this.readHere();
    this.batch = batch;
    this.at = 0;
    this.start = 0;
    this.nextPath += batch.ends.length;
  }

  private readHere(): BoundedBatch {
    // One buffer for every batch read here: a batch's text is taken before the next is read.
    this.buffer ??= Buffer.allocUnsafeSlow(BATCH_BYTES + this.limit + 1);
    return readFilesBounded(fs, this.paths, this.nextPath, this.limit, BATCH_BYTES, this.buffer);
  }

  /** The worker's next batch, waited for; null (and the worker stopped) when it failed or went silent. */
  private fromWorker(): BoundedBatch | null {
    const { port, shared } = this.worker!;
    for (;;) {
      const posted = Atomics.load(shared, 0); // before the receive: a batch posted after it wakes the wait
      const message = receiveMessageOnPort(port)?.message as
        | { ends: Int32Array; bytes: Uint8Array; from: number }
        | { failed: string }
        | undefined;
      if (message) {
        Atomics.add(shared, 1, 1);
        Atomics.notify(shared, 1);
        if ('failed' in message || message.from !== this.nextPath) break;
        const bytes = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
        return { ends: message.ends, bytes, next: this.nextPath + message.ends.length };
      }
      if (Atomics.wait(shared, 0, posted, WORKER_SILENCE_MS) === 'timed-out') break;
    }
    this.close();
    return null;
  }

  close(): void {
    if (!this.worker) return;
    const { thread, port, shared } = this.worker;
    this.worker = null;
    Atomics.store(shared, 2, 1);
    Atomics.notify(shared, 1);
    port.close();
    void thread.terminate();
  }
}

/**
 * The worker: reads the batches in order and posts each (its bytes moved, not copied), never more
 * than `ahead` batches before the main thread; a throw becomes a 'failed' message. Its source
 * text runs in the worker: it names only its parameters and globals.
 */
function metricsWorker(
  nodeFs: typeof fs,
  threads: typeof import('node:worker_threads'),
  read: typeof readFilesBounded,
): void {
  const { paths, limit, budget, ahead, port, shared } = threads.workerData as {
    paths: string[];
    limit: number;
    budget: number;
    ahead: number;
    port: MessagePort;
    shared: Int32Array;
  };
  let posted = 0;
  try {
    for (let from = 0; from < paths.length && Atomics.load(shared, 2) === 0; ) {
      const taken = Atomics.load(shared, 1);
      if (posted - taken >= ahead) {
        Atomics.wait(shared, 1, taken);
        continue;
      }
      const batch = read(nodeFs, paths, from, limit, budget);
      port.postMessage({ ends: batch.ends, bytes: batch.bytes, from }, [
        batch.ends.buffer as ArrayBuffer,
        batch.bytes.buffer as ArrayBuffer,
      ]);
      posted++;
      Atomics.store(shared, 0, posted);
      Atomics.notify(shared, 0);
      from = batch.next;
    }
  } catch (error) {
    port.postMessage({ failed: String(error) });
    Atomics.store(shared, 0, posted + 1);
    Atomics.notify(shared, 0);
  }
  port.close();
}

const WORKER_SOURCE = `(${metricsWorker.toString()})(require('node:fs'), require('node:worker_threads'), ${readFilesBounded.toString()});`;
