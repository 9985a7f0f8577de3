// A big log's first read on two cores. The log is cut into pieces at event ends (`...` lines);
// this thread claims pieces from the front and parses them as usual, while a worker thread
// claims them from the back and reduces each to a tape (tape-worker.ts, event-tape.ts). When
// the two meet, this thread applies the worker's tapes in log order, so the table ends as one
// read on one thread would leave it. Claiming (a compare-and-swap per piece on shared memory)
// balances the two by itself: a worker slow to start, or a second core busy with other work,
// leaves more pieces to this thread, never a wait longer than the worker's current piece.
// Any trouble with a piece (the worker failed, did not answer in time, or met MM/DD dates,
// whose year depends on every date before them) and this thread reads that piece itself: a
// split read is only ever a faster way to the same table.
import { fstatSync, readSync } from 'node:fs';
import type { MessagePort, Worker } from 'node:worker_threads';
import type { Tape } from './event-tape.ts';
import { type PieceAnswer, TAPE_FORMAT, type TapeRequest } from './tape-worker.ts';

/**
 * Logs smaller than this are read on one thread. Measured on the 2-vCPU machine this was written
 * on (where two threads give ~1.45x one thread's throughput, and a worker takes ~60 ms to start):
 * `status --log` on 244 MB (100,000 procs) 7% faster split; on 105 MB (10,000 procs x 64
 * events) 5% and on 61 MB 16% slower.
 */
const SPLIT_MIN_BYTES = 128 << 20;
/** Pieces: about this many per log, within these sizes (a smaller piece, a shorter last wait). */
const PIECES = 32;
const PIECE_MIN_BYTES = 1 << 20;
const PIECE_MAX_BYTES = 8 << 20;
/** Bytes looked at for an event's end near a cut. */
const SEAM_WINDOW = 1 << 16;
const SEAM = Buffer.from('\n...\n');
/**
 * Tape the worker may hand over before it stops taking pieces: about 46 bytes an event, so the
 * worker's half of a log of up to ~600 MB (a 244 MB one takes ~26 MB).
 */
const TAPE_BUDGET = 64 << 20;
/** A piece's owner, in the shared claims. */
const FREE = 0;
const MAIN = 1;
const WORKER = 2;

export interface SplitOptions {
  usage: boolean;
  /** Read hosts and messages (JobTableOptions.hostsAndMessages): default true. */
  hostsAndMessages?: boolean;
  /** Smallest log to split (tests set it low): default SPLIT_MIN_BYTES. */
  minBytes?: number;
  /** The worker's script (tests: a bundle's), as a file URL: default workerScript(). */
  script?: string;
  /** Bytes per piece (tests: small logs in many pieces): default about 1/32 of the log, 1-8 MiB. */
  pieceBytes?: number;
  /** Bytes of tape the worker may hand over (TapeRequest.tapeBudget): default TAPE_BUDGET. */
  tapeBudget?: number;
}

/** A worker's piece, reduced: its tape and where it stops (before an unfinished last event). */
export interface PieceTape {
  tape: Tape;
  consumed: number;
}

/** A split read under way: claim pieces from the front, then join() for the worker's. */
export interface SplitRead {
  /** bounds[i] to bounds[i + 1] is piece i; the last bound is the log's size when it started. */
  readonly bounds: readonly number[];
  /** Take piece `i` for this thread: false once the worker has it (and every piece after it). */
  claim(i: number): boolean;
  /** The worker's tapes by piece (a piece without one: read it yourself); the worker is stopped. */
  join(): Map<number, PieceTape>;
  /** Not needed after all (the log was replaced, the reader closed): stop the worker. */
  cancel(): void;
  /** Has the worker stopped taking pieces (all taken, or it failed)? */
  settled(): boolean;
}

/** The worker's script: the bundle's sibling when this runs bundled, else the TypeScript source. */
export function workerScript(here = import.meta.url): string | null {
  if (here.endsWith('.cjs')) return new URL('log-worker.cjs', here).href;
  // From source: a Node that strips types runs the worker's .ts too (tsx's loader does not reach workers).
  return process.features.typescript ? new URL('./tape-worker.ts', here).href : null;
}

// Plain JavaScript, so a worker file that cannot load still answers (with its error).
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const answer = (error) => {
  workerData.port.postMessage({ ok: false, error: String(error) });
  Atomics.store(workerData.done, 0, 1);
  Atomics.notify(workerData.done, 0);
};
(async () => {
  const m = workerData.script.endsWith('.cjs') ? require(require('node:url').fileURLToPath(workerData.script)) : await import(workerData.script);
  m.runTapeWorker(workerData);
})().catch(answer);
`;

/** The first event end at or after `at`: the byte after its `...` line (-1 when none is near). */
function seamAt(fd: number, at: number, size: number): number {
  const window = Buffer.allocUnsafe(Math.min(SEAM_WINDOW, size - at));
  const n = readSync(fd, window, 0, window.length, at);
  const found = window.subarray(0, n).indexOf(SEAM);
  return found < 0 ? -1 : at + found + SEAM.length;
}

/** Where the pieces meet: event ends near every piece's worth of bytes (a cut with none near is skipped). */
function pieceBounds(fd: number, size: number, pieceBytes?: number): number[] {
  const piece = pieceBytes ?? Math.min(PIECE_MAX_BYTES, Math.max(PIECE_MIN_BYTES, Math.ceil(size / PIECES)));
  const bounds = [0];
  for (let at = piece; at < size - Math.min(piece, SEAM_WINDOW); at += piece) {
    const seam = seamAt(fd, Math.max(at, bounds[bounds.length - 1]!), size);
    if (seam > bounds[bounds.length - 1]! && seam < size) bounds.push(seam);
  }
  bounds.push(size);
  return bounds;
}

/**
 * Start a worker on the log's pieces from the back, or return null when the log is small, no
 * worker can run here, or it has no event end to cut at.
 */
export function startSplitRead(path: string, fd: number, size: number, options: SplitOptions): SplitRead | null {
  const minBytes = options.minBytes ?? Number(process.env.PIXI_CONDOR_SPLIT_READ_MIN ?? SPLIT_MIN_BYTES);
  if (!(size >= minBytes)) return null;
  const script = options.script ?? workerScript();
  if (!script) return null;
  const bounds = pieceBounds(fd, size, options.pieceBytes);
  const pieces = bounds.length - 1;
  if (pieces < 2) return null;
  // Loaded here, not at the top: every task that follows a log holds this module, and loading
  // worker_threads costs a few ms of start-up that a small log never repays.
  const { MessageChannel, Worker } = process.getBuiltinModule('node:worker_threads');
  const { port1, port2 } = new MessageChannel();
  const claims = new Int32Array(new SharedArrayBuffer(4 * pieces));
  const done = new Int32Array(new SharedArrayBuffer(4));
  const { dev, ino } = fstatSync(fd);
  const request: TapeRequest & { script: string } = {
    format: TAPE_FORMAT,
    path,
    identity: { dev, ino },
    bounds,
    claims,
    usage: options.usage,
    hostsAndMessages: options.hostsAndMessages ?? true,
    tapeBudget: options.tapeBudget ?? TAPE_BUDGET,
    port: port2,
    done,
    script,
  };
  let worker: Worker;
  try {
    worker = new Worker(BOOTSTRAP, { eval: true, workerData: request, transferList: [port2] });
  } catch {
    port1.close();
    return null;
  }
  // A worker that never answers must not keep the process alive, nor make it wait past reason.
  worker.unref();
  const stop = () => {
    port1.close();
    void worker.terminate();
  };
  return {
    bounds,
    claim: (i) => Atomics.compareExchange(claims, i, FREE, MAIN) === FREE,
    join() {
      const tapes = claims.includes(WORKER) ? waitForTapes(port1, done, size) : new Map<number, PieceTape>();
      stop();
      return tapes;
    },
    cancel: stop,
    settled: () => Atomics.load(done, 0) === 1,
  };
}

/** The worker's answers, once it says it is done (or its time is up: then none). */
function waitForTapes(port: MessagePort, done: Int32Array, size: number): Map<number, PieceTape> {
  const tapes = new Map<number, PieceTape>();
  // Generous: the worker reads no faster on a loaded machine, and waiting beats reading again.
  if (Atomics.wait(done, 0, 0, 30_000 + size / 1e4) === 'timed-out') return tapes;
  const { receiveMessageOnPort } = process.getBuiltinModule('node:worker_threads');
  for (let received = receiveMessageOnPort(port); received; received = receiveMessageOnPort(port)) {
    const answer = received.message as PieceAnswer;
    if (answer.ok && !answer.legacyDates) tapes.set(answer.piece, { tape: answer.tape, consumed: answer.consumed });
  }
  return tapes;
}
