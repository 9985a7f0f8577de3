// Wake (jobs/tracker.ts): how submit --local's runner nudges its watcher. A wake() during a wait
// ends it; one that comes while the watcher reads ends the next wait at once (else an event
// written mid-read would wait a whole interval); without one, the wait is the interval.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wake } from '../../scripts/lib/jobs/tracker.ts';

const LONG_MS = 5_000; // every wait below is bounded by this timer: none can hang the suite

async function elapsed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

test('a wake() during the wait ends it', async () => {
  const wake = new Wake();
  setTimeout(() => wake.wake(), 20);
  assert.ok((await elapsed(() => wake.sleep(LONG_MS))) < LONG_MS / 2);
});

test('a wake() before the wait (during a read) ends the next wait at once, once', async () => {
  const wake = new Wake();
  wake.wake();
  assert.ok((await elapsed(() => wake.sleep(LONG_MS))) < LONG_MS / 2);
  assert.ok((await elapsed(() => wake.sleep(60))) >= 50, 'the pending wake was used up');
});

test('without a wake the wait is the interval, and an abort ends it', async () => {
  const wake = new Wake();
  assert.ok((await elapsed(() => wake.sleep(60))) >= 50);
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 20);
  assert.ok((await elapsed(() => wake.sleep(LONG_MS, stop.signal))) < LONG_MS / 2);
  // A wake after the wait ended is kept for the next one, not lost.
  wake.wake();
  assert.ok((await elapsed(() => wake.sleep(LONG_MS))) < LONG_MS / 2);
});

test.run();
