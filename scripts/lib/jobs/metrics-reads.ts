// Every proc's metrics.json for `results`, read once each, in the order results asks for them:
// many small files read into one reused buffer (readFilesBounded: bounded-read's checks, one
// open/fstat/read/close each). For a sweep of many procs a worker thread starts reading them
// while the main thread reads the event log; the main thread takes the batches it finished and
// reads any other itself, never waiting on the worker (which then skips what was read here). So
// a worker that is slow to start, fails or cannot start costs only the overlap, and the rows are
// the same either way. The worker reads at most AHEAD_BATCHES batches ahead: memory stays bounded.
import { isAscii } from 'node:buffer';
import * as fs from 'node:fs';
import type { MessagePort, Worker } from 'node:worker_threads';
import { BATCH_MISSING, readFilesBounded, type BoundedBatch } from '../bounded-read.ts';

/** A file that is there but is no regular file within the limit (a folder, a FIFO, too large, unreadable). */
export const UNUSABLE = Symbol('unusable');

export interface MetricsReads {
  /** How many paths are read and not yet taken by next(). */
  readonly buffered: number;
  /** Reads on until `count` paths are buffered (or every path is). */
  fill(count: number): void;
  /** The next buffered path's text; null when it does not exist; UNUSABLE when it is no readable file within the limit. */
  next(): string | null | typeof UNUSABLE;
  /** Stops the worker (if any); call it when done, or on the way out of an error. */
  close(): void;
  /** How many batches came from the worker (the rest were read on this thread). */
  readonly workerBatches: number;
  /** Resolves when the worker has ended (at once when there is none): for tests. */
  workerEnded(): Promise<void>;
}

/** Bytes per batch: ~2,500 metrics.json of ~100 bytes, so a worker part way through still saves some. */
const BATCH_BYTES = 256 << 10;
/** Batches the worker may read before the main thread took them (memory: ~ this × (BATCH_BYTES + limit)). */
const AHEAD_BATCHES = 4;
/** Fewer files than this are read here: a worker's start costs more than it saves. */
export const WORKER_MIN_FILES = 1000;

/**
 * `paths` read in order (a worker helping when `parallel`, by default for WORKER_MIN_FILES or
 * more paths): fill(n), then next() n times.
 */
export function readMetricsFiles(paths: readonly string[], limit: number, parallel?: boolean): MetricsReads {
  const reads = new BatchReads(paths, limit);
  if (parallel ?? paths.length >= WORKER_MIN_FILES) reads.startWorker();
  return reads;
}

type WorkerMessage = { ends: Int32Array; bytes: Uint8Array; from: number } | { failed: string };

/**
 * node:worker_threads, loaded only when a worker starts: every task that can print a results
 * table (status, submit) holds this module, and loading it costs a task's start-up ~5 ms.
 */
function workerThreads(): typeof import('node:worker_threads') | undefined {
  return process.getBuiltinModule?.('node:worker_threads');
}

interface ReadsWorker {
  threads: typeof import('node:worker_threads');
  thread: Worker;
  port: MessagePort;
  /** [0]: batches taken or dropped here (the worker waits on it), [1]: 1 once it must stop, [2]: the first path not yet read here. */
  shared: Int32Array;
  ended: Promise<void>;
}

class BatchReads implements MetricsReads {
  /** The batches not yet taken; `text`: the whole batch decoded once, when it is ASCII (null: it is not). */
  private readonly queue: { batch: BoundedBatch; at: number; start: number; text: string | null | undefined }[] = [];
  buffered = 0;
  /** The index of the first path not in a batch taken yet. */
  private nextPath = 0;
  private buffer: Buffer | undefined;
  workerBatches = 0;
  private worker: ReadsWorker | null = null;
  /** A batch the worker posted that starts past nextPath (it skipped what was read here). */
  private early: WorkerMessage | null = null;
  private readonly paths: readonly string[];
  private readonly limit: number;

  constructor(paths: readonly string[], limit: number) {
    this.paths = paths;
    this.limit = limit;
  }

  startWorker(): void {
    const threads = workerThreads();
    if (!threads) return; // a Node without getBuiltinModule: every file is read on this thread
    const { port1, port2 } = new threads.MessageChannel();
    const shared = new Int32Array(new SharedArrayBuffer(12));
    try {
      const thread = new threads.Worker(WORKER_SOURCE, {
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
        // It writes nothing: no pipe from its stdout and stderr to this process's.
        stdout: true,
        stderr: true,
      });
      thread.unref(); // it never keeps the process alive: nothing waits on it
      const ended = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
      thread.on('error', () => {}); // a failed worker only leaves its part to this thread
      this.worker = { threads, thread, port: port1, shared, ended };
    } catch {
      port1.close(); // no worker here (resource limits): every file is read on this thread
    }
  }

  workerEnded(): Promise<void> {
    this.worker?.thread.ref(); // waited on: it keeps the process alive until it ends
    return this.worker?.ended ?? Promise.resolve();
  }

  fill(count: number): void {
    while (this.buffered < count && this.nextPath < this.paths.length) {
      if (this.worker && this.takeFromWorker()) continue;
      const head = this.queue[0];
      if (head && head.at >= head.batch.ends.length) this.queue.shift();
      // One buffer for the batches read here, reused once no text is left to take from it.
      if (this.queue.length === 0) this.buffer ??= Buffer.allocUnsafeSlow(BATCH_BYTES + this.limit + 1);
      const reuse = this.queue.length === 0 ? this.buffer : undefined;
      this.add(readFilesBounded(fs, this.paths, this.nextPath, this.limit, BATCH_BYTES, reuse));
      // The worker goes on after what was read here.
      if (this.worker) Atomics.store(this.worker.shared, 2, this.nextPath);
    }
  }

  /** The worker's batch that starts at nextPath, if it has posted it (batches that start before are dropped). */
  private takeFromWorker(): boolean {
    const worker = this.worker!;
    for (;;) {
      const message =
        this.early ?? (worker.threads.receiveMessageOnPort(worker.port)?.message as WorkerMessage | undefined);
      this.early = null;
      if (!message) return false;
      if ('failed' in message) {
        this.close();
        return false;
      }
      if (message.from > this.nextPath) {
        this.early = message; // not yet: the paths before it are read here first
        return false;
      }
      Atomics.add(worker.shared, 0, 1);
      Atomics.notify(worker.shared, 0);
      if (message.from < this.nextPath) continue; // read here meanwhile
      const bytes = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
      this.workerBatches++;
      this.add({ ends: message.ends, bytes, next: this.nextPath + message.ends.length });
      return true;
    }
  }

  private add(batch: BoundedBatch): void {
    this.queue.push({ batch, at: 0, start: 0, text: undefined });
    this.buffered += batch.ends.length;
    this.nextPath = batch.next;
  }

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

  close(): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    this.early = null;
    Atomics.store(worker.shared, 1, 1);
    Atomics.notify(worker.shared, 0);
    worker.port.close();
    void worker.thread.terminate();
  }
}

/**
 * The worker: reads the batches in order and posts each (its bytes moved, not copied), never more
 * than `ahead` batches before the main thread takes them, and skips what the main thread read
 * itself; a throw becomes a 'failed' message. Its source
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
    for (let from = 0; Atomics.load(shared, 1) === 0; ) {
      const taken = Atomics.load(shared, 0);
      if (posted - taken >= ahead) {
        Atomics.wait(shared, 0, taken);
        continue;
      }
      from = Math.max(from, Atomics.load(shared, 2)); // the main thread read up to there itself
      if (from >= paths.length) break;
      const batch = read(nodeFs, paths, from, limit, budget);
      port.postMessage({ ends: batch.ends, bytes: batch.bytes, from }, [
        batch.ends.buffer as ArrayBuffer,
        batch.bytes.buffer as ArrayBuffer,
      ]);
      posted++;
      from = batch.next;
    }
  } catch (error) {
    port.postMessage({ failed: String(error) });
  }
  port.close();
}

const WORKER_SOURCE = `(${metricsWorker.toString()})(require('node:fs'), require('node:worker_threads'), ${readFilesBounded.toString()});`;
