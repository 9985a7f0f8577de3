// A big log's first read on two cores: a worker thread parses the log's second stretch into a
// tape (tape-worker.ts) while this thread parses and applies the first; then the tape's events
// are applied here, in log order. The table ends as a whole read on one thread would leave it:
// the stretches meet at an event's end (a `...` line), and the tape carries every field the
// table reads (event-tape.ts). Any trouble (no worker file, a worker that fails or does not
// answer in time, MM/DD dates, whose year depends on the dates before them) and the caller
// reads the second stretch itself: a split read is only ever a faster way to the same table.
import { readSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type { Tape } from './event-tape.ts';
import type { TapeAnswer, TapeRequest } from './tape-worker.ts';

/** Logs smaller than this are read on one thread: a worker costs a few tens of ms to start. */
const SPLIT_MIN_BYTES = 48 << 20;
/**
 * Where the stretches meet, as a share of the log. This thread also applies the worker's tape
 * afterwards (a tenth of what parsing costs), and the worker pays its start: halves measured
 * best on 2 cores (100k procs: 0.45-0.55 alike).
 */
const FIRST_SHARE = 0.5;
/** Bytes looked at for an event's end near the meeting point. */
const SEAM_WINDOW = 1 << 16;
const SEAM = Buffer.from('\n...\n');

export interface SplitOptions {
  usage: boolean;
  /** Smallest log to split (tests set it low): default SPLIT_MIN_BYTES. */
  minBytes?: number;
  /** The worker's script (tests: a bundle's), as a file URL: default workerScript(). */
  script?: string;
  /**
   * The share of the log this thread reads (FIRST_SHARE). Less when this thread has other work
   * while the worker reads (a read ahead: LogFollower.readAhead); 0: the worker reads it all.
   */
  firstShare?: number;
}

/** A worker reading [seam, size) of the log: join() waits for its tape. */
export interface PendingStretch {
  seam: number;
  /** The tape and where it stops, or null (then read from `seam` on yourself). */
  join(): { tape: Tape; consumed: number } | null;
  /** Not needed after all (the log was replaced, the reader closed): stop the worker. */
  cancel(): void;
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

/**
 * Start a worker on the log's second stretch, or return null when the log is small, no worker
 * can run here, or no event end is near the middle.
 */
export function startSplitRead(path: string, fd: number, size: number, options: SplitOptions): PendingStretch | null {
  const minBytes = options.minBytes ?? Number(process.env.PIXI_CONDOR_SPLIT_READ_MIN ?? SPLIT_MIN_BYTES);
  if (!(size >= minBytes) || size < 2 * SEAM_WINDOW) return null;
  const script = options.script ?? workerScript();
  if (!script) return null;
  const share = options.firstShare ?? FIRST_SHARE;
  const seam = share <= 0 ? 0 : seamAt(fd, Math.floor(size * share), size);
  if (seam < 0 || seam >= size) return null;
  // Loaded here, not at the top: every task that follows a log holds this module, and loading
  // worker_threads costs a few ms of start-up that a small log never repays.
  const { MessageChannel, receiveMessageOnPort, Worker } = process.getBuiltinModule('node:worker_threads');
  const { port1, port2 } = new MessageChannel();
  const done = new Int32Array(new SharedArrayBuffer(4));
  const request: TapeRequest & { script: string } = {
    path,
    from: seam,
    to: size,
    usage: options.usage,
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
  const stretchMb = (size - seam) / 1e6;
  return {
    seam,
    join() {
      // Generous: the worker reads no faster on a loaded machine, and waiting beats reading again.
      const limitMs = 30_000 + 1_000 * stretchMb;
      const answered = Atomics.wait(done, 0, 0, limitMs) !== 'timed-out';
      const message = answered ? (receiveMessageOnPort(port1)?.message as TapeAnswer | undefined) : undefined;
      port1.close();
      void worker.terminate();
      if (!message?.ok || message.legacyDates) return null;
      return { tape: message.tape, consumed: message.consumed };
    },
    cancel() {
      port1.close();
      void worker.terminate();
    },
  };
}
