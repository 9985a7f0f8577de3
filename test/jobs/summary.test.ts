// The closing summary: a line per proc with exit, wall time, host and memory against the
// request; only the unsuccessful procs when there are many; each output file once, with a
// warning when several procs name the same path; the end of `error` for failed procs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEventLog } from '../../scripts/lib/event-log/event-log.ts';
import { JobTable, memoryUse } from '../../scripts/lib/jobs/job-state.ts';
import type { ProcRecord } from '../../scripts/lib/jobs/job-store.ts';
import { summaryLines } from '../../scripts/lib/jobs/summary.ts';
import type { TrackResult } from '../../scripts/lib/jobs/tracker.ts';
import { palette } from '../../scripts/lib/term.ts';
import { eventLog } from '../condor/fixtures.ts';

const plain = palette(false);

function resultOf(text: string): TrackResult {
  const table = new JobTable();
  for (const event of parseEventLog(text).events) table.apply(event);
  return { table, outcome: 'done', held: null, missing: [], junk: 0 };
}

function proc(n: number, dir: string, output: string, error: string | null = null): ProcRecord {
  return {
    proc: n,
    log: null,
    output: null,
    error,
    executable: null,
    arguments: [],
    iwd: dir,
    transferInputFiles: [],
    transferOutputFiles: [output],
  };
}

/** `n` procs of cluster 9 that ran and exited (proc 3 with 2, the rest with 0). */
function finished(n: number): string {
  let text = '';
  for (let p = 0; p < n; p++) {
    const id = `9.${String(p).padStart(3, '0')}.000`;
    text += `001 (${id}) 2026-03-01 10:00:00 Job executing on host: <10.0.0.2:9618?alias=gpu${p}&noUDP>\n...\n`;
    text += `005 (${id}) 2026-03-01 10:0${p % 5}:30 Job terminated.\n\t(1) Normal termination (return value ${p === 3 ? 2 : 0})\n...\n`;
  }
  return text;
}

test('one job: exit, wall time, host, memory used against requested, its output with its size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'summary-'));
  try {
    writeFileSync(join(dir, 'mnist_cnn.pt'), 'x'.repeat(2048));
    const result = resultOf(eventLog('chtc_pytorch_cnn_docker_gpu.log'));
    const job = result.table.list()[0]!;
    assert.equal(memoryUse(job), { usedMb: 1707, requestedMb: 1024 });
    const lines = await summaryLines(result, [proc(0, dir, 'mnist_cnn.pt')], dir, plain);
    assert.match(
      lines[1]!,
      /^ {2}8960248\.0 +exit 0 {2}wall 4m41s {2}gpu2000\.chtc\.wisc\.edu {2}memory 1707 MB of 1024 requested \(over the request\)$/,
    );
    // Usage against request, from the 005's usage lines and resource table (4m41s on 1 GPU;
    // Usr 1:23:39 + Sys 0:05:10 CPU; Memory 1707 of 1024 MB; Disk 35809 of 512000 KB).
    assert.equal(lines.slice(2), [
      '  used: 0.08 GPU-hours (wall × GPUs over 1 proc), 1.5 CPU-hours',
      '  peak memory 1707 MB of 1024 requested (over), peak disk 35 MB of 500 requested',
      '  next time: request_memory = 2.5GB, request_disk = 128MB',
      'outputs',
      '  mnist_cnn.pt  2.0 KiB',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('many procs: one counts line, only the failed ones listed with their error tail, shared outputs named once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'summary-'));
  try {
    writeFileSync(join(dir, 'model.pt'), 'weights');
    writeFileSync(join(dir, 'err.3'), 'Traceback\nValueError: bad input\n');
    const procs = Array.from({ length: 40 }, (_, p) => proc(p, dir, 'model.pt', p === 3 ? join(dir, 'err.3') : null));
    const lines = await summaryLines(resultOf(finished(40)), procs, dir, plain);
    assert.is(lines[0], 'summary: 40 procs: 39 exit 0, 1 failed; wall 30s to 4m30s, median 2m30s');
    assert.match(lines[1]!, /^ {2}9\.3 +exit 2 /);
    assert.equal(lines.slice(2, 5), ['    last lines of err.3:', '      Traceback', '      ValueError: bad input']);
    assert.equal(lines.slice(5), [
      'outputs',
      '  model.pt  7 B  (named by 40 procs: each copy replaced the last; put $(Process) in the name to keep them all)',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
