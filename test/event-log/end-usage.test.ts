// A terminate event's usage, read in place from its bytes (readEndUsage, what the tracker keeps
// per proc), against the same figures from the decoded body (resourceRows and the usage line),
// on every 005 of every real log: the fast reader must say exactly what the slow one does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEventLog } from '../../scripts/lib/event-log/event-log.ts';
import { resourceRows, usageSeconds } from '../../scripts/lib/event-log/event-fields.ts';
import { eventLog, eventLogNames } from '../condor/fixtures.ts';

function numberOf(text: string | null | undefined): number | null {
  if (text === null || text === undefined || text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

test('readEndUsage agrees with the decoded body on every terminate event of the fixtures', () => {
  let checked = 0;
  let withTable = 0;
  for (const name of eventLogNames()) {
    for (const event of parseEventLog(eventLog(name)).events) {
      if (event.code !== 5) continue;
      const rows = resourceRows(event.body);
      const gpu = rows?.Gpus ?? rows?.GPUs ?? rows?.['Gpus (Average)'];
      const total = event.body.find((line) => line.endsWith('Total Remote Usage'));
      const expected = {
        cpuSeconds: total ? usageSeconds(total) : null,
        memoryRow: rows?.['Memory (MB)'] !== undefined,
        memoryMb: numberOf(rows?.['Memory (MB)']?.usage),
        memoryRequestMb: numberOf(rows?.['Memory (MB)']?.request),
        diskKb: numberOf(rows?.['Disk (KB)']?.usage),
        diskRequestKb: numberOf(rows?.['Disk (KB)']?.request),
        gpus: numberOf(gpu?.allocated) ?? numberOf(gpu?.request),
      };
      assert.equal(event.endUsage(), expected, `${name} ${event.cluster}.${event.proc}`);
      checked++;
      if (rows) withTable++;
    }
  }
  assert.ok(checked >= 20 && withTable >= 5, `${checked} terminate events, ${withTable} with a table`);
});

test('readEndUsage on a body without usage lines or table: every figure null', () => {
  const { events } = parseEventLog(
    '005 (1.0.0) 2026-03-01 10:00:00 Job terminated.\n\t(1) Normal termination (return value 0)\n...\n',
  );
  assert.equal(events[0]!.endUsage(), {
    cpuSeconds: null,
    memoryRow: false,
    memoryMb: null,
    memoryRequestMb: null,
    diskKb: null,
    diskRequestKb: null,
    gpus: null,
  });
});

test.run();
