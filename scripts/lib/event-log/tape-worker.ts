// The worker's side of a split read (split-read.ts): take the log's pieces from its end, each
// parsed into a tape (event-tape.ts) and posted, until the main thread, taking them from the
// front, has the next one. Events at the log's end that have no `...` yet stay unread:
// `consumed` says where the main thread goes on.
// Bundled on its own as .build/bundles/log-worker.cjs (scripts/lib/bundles.ts).
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import { EventLogParser } from './event-log.ts';
import { type Tape, TapeWriter } from './event-tape.ts';

/**
 * Bumped when the request or the tape changes shape. Imported by split-read.ts, which makes this
 * file an input of every task bundle: an edit here is seen as a stale bundle (scripts/run.mjs),
 * never as a task run against an older log-worker.cjs.
 */
export const TAPE_FORMAT = 3;

export interface TapeRequest {
  format: number;
  path: string;
  /** The file the main thread has open: the worker reads the log only if `path` is still it. */
  identity: { dev: number; ino: number };
  /** Piece i is bytes bounds[i] to bounds[i + 1], each starting at an event's first byte. */
  bounds: number[];
  /** Who has each piece (0 free, 1 the main thread, 2 this worker): claimed by compare-and-swap. */
  claims: Int32Array;
  /** Read each 005's usage (JobTableOptions.usage). */
  usage: boolean;
  /** Read each 001's and 040's host and each 004's, 007's and 009's message (JobTableOptions.hostsAndMessages). */
  hostsAndMessages: boolean;
  /**
   * Bytes of tape the worker may hand over (they are held until the main thread applies them):
   * past it, the worker stops taking pieces and the main thread reads the rest, so a huge log
   * costs memory by its procs, as a read on one thread does, not by its events.
   */
  tapeBudget: number;
  /** Where the answers go, and the flag set (Atomics) once the last is there. */
  port: MessagePort;
  done: Int32Array;
}

/** One answer per piece the worker took (or one error). */
export type PieceAnswer =
  | { ok: true; piece: number; tape: Tape; consumed: number; legacyDates: boolean }
  | { ok: false; error: string };

/** Read and reduce one stretch: synchronous. */
export function recordStretch(
  fd: number,
  from: number,
  to: number,
  reading: { usage: boolean; hostsAndMessages: boolean },
): { tape: Tape; consumed: number; legacyDates: boolean; transfer: ArrayBuffer[] } {
  const writer = new TapeWriter(reading, Math.max(1024, Math.floor((to - from) / 200)));
  const parser = new EventLogParser({
    reuse: true,
    onEvent: (event) => writer.add(event),
    onJunk: (junk) => writer.addJunk(junk.text),
  });
  const buffer = Buffer.allocUnsafe(1 << 20);
  for (let offset = from; offset < to; ) {
    const n = readSync(fd, buffer, 0, Math.min(buffer.length, to - offset), offset);
    if (n <= 0) break;
    offset += n;
    parser.pushBytes(n === buffer.length ? buffer : buffer.subarray(0, n));
  }
  const { tape, transfer } = writer.finish();
  return { tape, consumed: to - parser.pendingLength, legacyDates: parser.sawLegacyDates, transfer };
}

/**
 * Entry point in the worker: take pieces from the back while the main thread takes them from
 * the front, answer each on the port, then raise the flag the main thread waits on.
 */
export function runTapeWorker(request: TapeRequest): void {
  let fd: number | null = null;
  try {
    if (request.format !== TAPE_FORMAT)
      throw new Error(`tape format ${request.format}, this worker writes ${TAPE_FORMAT}`);
    fd = openSync(request.path, constants.O_RDONLY | constants.O_NONBLOCK); // a FIFO swapped in: the identity check refuses it
    // Replaced since the main thread opened it (a rotated log): its bytes are not the log being read.
    const opened = fstatSync(fd);
    if (opened.dev !== request.identity.dev || opened.ino !== request.identity.ino)
      throw new Error(`${request.path} was replaced`);
    let handed = 0;
    for (let piece = request.bounds.length - 2; piece >= 0 && handed < request.tapeBudget; piece--) {
      if (Atomics.compareExchange(request.claims, piece, 0, 2) !== 0) break; // the main thread's from here on
      const { transfer, ...read } = recordStretch(fd, request.bounds[piece]!, request.bounds[piece + 1]!, request);
      for (const buffer of transfer) handed += buffer.byteLength;
      request.port.postMessage({ ok: true, piece, ...read } satisfies PieceAnswer, transfer);
    }
  } catch (error) {
    request.port.postMessage({ ok: false, error: String(error) } satisfies PieceAnswer);
  } finally {
    if (fd !== null) closeSync(fd);
    Atomics.store(request.done, 0, 1);
    Atomics.notify(request.done, 0);
  }
}
