// procUsage's GPU count: the terminate event's `Gpus` row, or `Gpus (Average)` where the startd
// monitors GPU usage (htcondor.md §f; the row `submit --local` writes). A CPU run (allocated 0)
// used no GPU-hours; before `Gpus (Average)` was read, its GPU-hours were unknown, and a
// monitored GPU run's too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEventLog } from '../../scripts/lib/event-log/event-log.ts';
import { JobTable } from '../../scripts/lib/jobs/job-state.ts';
import { procUsage } from '../../scripts/lib/jobs/usage.ts';

/** One proc that ran 100 s and ended, with `gpuRow` in its resource table (as `submit --local` wrote it). */
function usageOf(gpuRow: string, header = '\tPartitionable Resources :    Usage  Request Allocated ') {
  const text = [
    '001 (003.000.000) 2026-12-05 20:22:19 Job executing on host: <127.0.0.1:0?addrs=127.0.0.1-0&alias=vm&noUDP>',
    '...',
    '005 (003.000.000) 2026-12-05 20:23:59 Job terminated.',
    '\t(1) Normal termination (return value 0)',
    '\t\tUsr 0 00:01:31, Sys 0 00:00:02  -  Run Remote Usage',
    '\t\tUsr 0 00:00:00, Sys 0 00:00:00  -  Run Local Usage',
    '\t\tUsr 0 00:01:31, Sys 0 00:00:02  -  Total Remote Usage',
    '\t\tUsr 0 00:00:00, Sys 0 00:00:00  -  Total Local Usage',
    '\t4802154  -  Run Bytes Sent By Job',
    '\t565473  -  Run Bytes Received By Job',
    '\t4802154  -  Total Bytes Sent By Job',
    '\t565473  -  Total Bytes Received By Job',
    header,
    '\t   Cpus                 :                 1         1 ',
    '\t   Disk (KB)            :     5857  2097152   2097152 ',
    gpuRow,
    '\t   Memory (MB)          :      294     2048      2048 ',
    '...',
    '',
  ].join('\n');
  const table = new JobTable();
  for (const event of parseEventLog(text).events) table.apply(event);
  return procUsage(table.list()[0]!);
}

test('a CPU run (Gpus (Average) allocated 0): 0 GPUs, so 0 GPU-hours, not unknown', () => {
  const usage = usageOf('\t   Gpus (Average)       :                 1         0 ');
  assert.is(usage.gpus, 0);
  assert.is(usage.wallMs, 100_000);
  assert.is(usage.memoryMb, 294);
  assert.is(usage.memoryRequestMb, 2048);
});

test('a monitored GPU run (Gpus (Average) with usage and an Assigned column): its allocated GPUs', () => {
  const usage = usageOf(
    '\t   Gpus (Average)       :     0.87        2         2 "GPU-1234,GPU-5678"',
    '\tPartitionable Resources :    Usage  Request Allocated Assigned',
  );
  assert.is(usage.gpus, 2);
});

test('the plain Gpus row still counts', () => {
  assert.is(usageOf('\t   Gpus                 :                 1         1 ').gpus, 1);
});

test.run();
