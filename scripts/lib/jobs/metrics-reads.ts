// Every proc's metrics.json for `results`, read once each, in the order results asks for them:
// many small files read into one reused buffer (readFilesBounded: bounded-read's checks, one
// open/fstat/read/close each). A sweep of many procs is read by a worker thread while the main
// thread reads the event log (the two take about as long; on 2 cores they overlap), at most
// AHEAD_BATCHES batches ahead of the main thread, so memory stays bounded. A worker that cannot
// start or fails costs only the overlap: the rest is read here, the same way, so the rows are
// the same either way.
import { isAscii } from 'node:buffer';
import * as fs from 'node:fs';
import type { MessagePort, Worker } from 'node:worker_threads';
import { BATCH_MISSING, readFilesBounded, type BoundedBatch } from '../bounded-read.ts';

/** A file that is there but is no regular file within the limit (a folder, a FIFO, too large, unreadable). */
export const UNUSABLE = Symbol('unusable');

export interface MetricsReads {
  /** How many paths are read and not yet taken by next(). */
  readonly buffered: number;
  /** Until `count` paths are buffered (or every path is): a promise only when it must wait for the worker. */
  fill(count: number): Promise<void> | undefined;
  /** The next buffered path's text; null when it does not exist; UNUSABLE when it is no readable file within the limit. */
  next(): string | null | typeof UNUSABLE;
  /** Stops the worker (if any); call it when done, or on the way out of an error. */
  close(): void;
  /** How many batches came from the worker (the rest were read on this thread). */
  readonly workerBatches: number;
}

/** Bytes per batch: 10,000 metrics.json of ~100 bytes are one batch. */
const BATCH_BYTES = 4 << 20;
/** Batches the worker may read before the main thread took them (memory: ~ this × (BATCH_BYTES + limit)). */
const AHEAD_BATCHES = 3;
/** Fewer files than this are read here: a worker's start costs more than it saves. */
export const WORKER_MIN_FILES = 1000;

/**
 * `paths` read in order (in a worker when `parallel`, by default for WORKER_MIN_FILES or more
 * paths): fill(n), then next() n times.
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
  /** [0]: batches taken here (the worker waits on it), [1]: 1 once the worker must stop. */
  shared: Int32Array;
  /** Batches posted and not yet taken. */
  inbox: WorkerMessage[];
  /** Set when the worker exited or failed: no more batches come. */
  gone: boolean;
  /** Called on each message and on the worker's end. */
  wake: (() => void) | null;
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
    const shared = new Int32Array(new SharedArrayBuffer(8));
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
      // Neither keeps the process alive, but while fill() waits on it (ref'd there).
      thread.unref();
      port1.unref();
      const worker: ReadsWorker = {
        threads,
        thread,
        shared,
        port: port1,
        inbox: [],
        gone: false,
        wake: null,
      };
      const ended = (): void => {
        // What it posted before it ended is in the port already, whichever event came first.
        for (let m = threads.receiveMessageOnPort(port1); m; m = threads.receiveMessageOnPort(port1))
          worker.inbox.push(m.message);
        worker.gone = true;
        worker.wake?.();
      };
      port1.on('message', (message: WorkerMessage) => {
        worker.inbox.push(message);
        worker.wake?.();
      });
      thread.once('error', ended); // its failure costs the overlap only: the rest is read here
      thread.once('exit', ended);
      this.worker = worker;
    } catch {
      port1.close(); // no worker here (resource limits): every file is read on this thread
    }
  }

  fill(count: number): Promise<void> | undefined {
    while (this.buffered < count && this.nextPath < this.paths.length) {
      if (this.worker) return this.fillFromWorker(count);
      const head = this.queue[0];
      if (head && head.at >= head.batch.ends.length) this.queue.shift();
      // One buffer for the batches read here, reused once no text is left to take from it.
      if (this.queue.length === 0) this.buffer ??= Buffer.allocUnsafeSlow(BATCH_BYTES + this.limit + 1);
      const reuse = this.queue.length === 0 ? this.buffer : undefined;
      this.add(readFilesBounded(fs, this.paths, this.nextPath, this.limit, BATCH_BYTES, reuse));
    }
    return undefined;
  }

  private async fillFromWorker(count: number): Promise<void> {
    const worker = this.worker!;
    while (this.buffered < count && this.nextPath < this.paths.length) {
      // A batch posted while this thread was busy: taken now, without a turn of the event loop.
      const message =
        worker.inbox.shift() ??
        (worker.threads.receiveMessageOnPort(worker.port)?.message as WorkerMessage | undefined);
      if (message) {
        Atomics.add(worker.shared, 0, 1);
        Atomics.notify(worker.shared, 0);
        if ('failed' in message || message.from !== this.nextPath) break;
        const bytes = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
        this.workerBatches++;
        this.add({ ends: message.ends, bytes, next: this.nextPath + message.ends.length });
        continue;
      }
      if (worker.gone) break;
      // The worker keeps the process alive only while it is waited on.
      worker.thread.ref();
      await new Promise<void>((resolve) => (worker.wake = resolve));
      worker.wake = null;
      worker.thread.unref();
    }
    if (this.buffered < count && this.nextPath < this.paths.length) {
      this.close(); // it failed or ended early: the rest is read here
      this.fill(count);
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
    Atomics.store(worker.shared, 1, 1);
    Atomics.notify(worker.shared, 0);
    worker.port.close();
    void worker.thread.terminate();
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
    for (let from = 0; from < paths.length && Atomics.load(shared, 1) === 0; ) {
      const taken = Atomics.load(shared, 0);
      if (posted - taken >= ahead) {
        Atomics.wait(shared, 0, taken);
        continue;
      }
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
