// The worker's side of a split read (split-read.ts): parse bytes [from, to) of an event log,
// which start at an event's first byte, into a tape (event-tape.ts) and post it. Events of the
// stretch's end that have no `...` yet stay unread: `consumed` says where the main thread goes on.
// Bundled on its own as .build/bundles/log-worker.cjs (scripts/lib/bundles.ts).
import { closeSync, openSync, readSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import { EventLogParser } from './event-log.ts';
import { type Tape, TapeWriter } from './event-tape.ts';

export interface TapeRequest {
  path: string;
  from: number;
  to: number;
  /** Read each 005's usage (JobTableOptions.usage). */
  usage: boolean;
  /** Where the answer goes, and the flag set (Atomics) once it is there. */
  port: MessagePort;
  done: Int32Array;
}

export type TapeAnswer =
  | { ok: true; tape: Tape; consumed: number; legacyDates: boolean }
  | { ok: false; error: string };

/** Read and reduce the stretch: the worker's whole work, synchronous. */
export function recordStretch(
  path: string,
  from: number,
  to: number,
  usage: boolean,
): Extract<TapeAnswer, { ok: true }> & { transfer: ArrayBuffer[] } {
  const writer = new TapeWriter(usage, Math.max(1024, Math.floor((to - from) / 200)));
  const parser = new EventLogParser({
    reuse: true,
    onEvent: (event) => writer.add(event),
    onJunk: (junk) => writer.addJunk(junk.text),
  });
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (let offset = from; offset < to; ) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, to - offset), offset);
      if (n <= 0) break;
      offset += n;
      parser.pushBytes(n === buffer.length ? buffer : buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  const { tape, transfer } = writer.finish();
  return { ok: true, tape, consumed: to - parser.pendingLength, legacyDates: parser.sawLegacyDates, transfer };
}

/** Entry point in the worker: answer on the port, then raise the flag the main thread waits on. */
export function runTapeWorker(request: TapeRequest): void {
  try {
    const { transfer, ...answer } = recordStretch(request.path, request.from, request.to, request.usage);
    request.port.postMessage(answer satisfies TapeAnswer, transfer);
  } catch (error) {
    request.port.postMessage({ ok: false, error: String(error) } satisfies TapeAnswer);
  } finally {
    Atomics.store(request.done, 0, 1);
    Atomics.notify(request.done, 0);
  }
}
