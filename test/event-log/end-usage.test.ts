// A terminate event's usage, read in place from its bytes (readEndUsage, what the tracker keeps
// per proc), against the same figures from the decoded body (resourceRows and the usage line),
// on every 005 of every real log: the fast reader must say exactly what the slow one does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type LogEvent, parseEventLog } from '../../scripts/lib/event-log/event-log.ts';
import { resourceRows, usageSeconds } from '../../scripts/lib/event-log/event-fields.ts';
import { eventLog, eventLogNames } from '../condor/fixtures.ts';

function numberOf(text: string | null | undefined): number | null {
  if (text === null || text === undefined || text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** The usage a terminate event's decoded body gives (the slow, plain reading). */
function expectedUsage(event: LogEvent) {
  const rows = resourceRows(event.body);
  const gpu = rows?.Gpus ?? rows?.GPUs ?? rows?.['Gpus (Average)'];
  const total = event.body.find((line) => line.endsWith('Total Remote Usage'));
  return {
    cpuSeconds: total ? usageSeconds(total) : null,
    memoryRow: rows?.['Memory (MB)'] !== undefined,
    memoryMb: numberOf(rows?.['Memory (MB)']?.usage),
    memoryRequestMb: numberOf(rows?.['Memory (MB)']?.request),
    diskKb: numberOf(rows?.['Disk (KB)']?.usage),
    diskRequestKb: numberOf(rows?.['Disk (KB)']?.request),
    gpus: numberOf(gpu?.allocated) ?? numberOf(gpu?.request),
  };
}

const terminateEvents = (): { name: string; text: string }[] =>
  eventLogNames().flatMap((name) =>
    eventLog(name)
      .split(/^[ \t]*\.\.\.[ \t]*\r?$\n?/m)
      .filter((text) => /^\s*005 \(/.test(text))
      .map((text) => ({ name, text: `${text.trim()}\n...\n` })),
  );

test('readEndUsage agrees with the decoded body on every terminate event of the fixtures', () => {
  let checked = 0;
  let withTable = 0;
  for (const name of eventLogNames()) {
    for (const event of parseEventLog(eventLog(name)).events) {
      if (event.code !== 5) continue;
      assert.equal(event.endUsage(), expectedUsage(event), `${name} ${event.cluster}.${event.proc}`);
      checked++;
      if (resourceRows(event.body)) withTable++;
    }
  }
  assert.ok(checked >= 20 && withTable >= 5, `${checked} terminate events, ${withTable} with a table`);
});

test('readEndUsage agrees with the decoded body on tables changed in the ways a log may differ', () => {
  const TABLE = /^([ \t]*Partitionable Resources[^\n]*\n)/m;
  const variants: [string, (text: string) => string][] = [
    ['CRLF line ends', (t) => t.replace(/\n/g, '\r\n')],
    ['a blank line under the header', (t) => t.replace(TABLE, '$1\n   \t\n')],
    [
      'a row named like a wanted one',
      (t) => t.replace(TABLE, '$1\t   Gpus (Average)       :     0.50        1         1\n'),
    ],
    [
      'a name that only starts like one',
      (t) => t.replace(TABLE, '$1\t   GpusMemory           :     4000     4000     16000\n'),
    ],
    [
      'a wanted row twice (the last counts)',
      (t) => t.replace(TABLE, '$1\t   Memory (MB)          :       77       88        99\n'),
    ],
    ['a line without a colon ends the table', (t) => t.replace(TABLE, '$1\t   not a row\n')],
    ['a name with blanks before its colon', (t) => t.replace(/Memory \(MB\)\s+:/, 'Memory (MB) \t :')],
    ['no blanks before a colon', (t) => t.replace(/Disk \(KB\)\s+:/, 'Disk (KB):')],
    ['a cell that is not a number', (t) => t.replace(/(Memory \(MB\)\s+:\s+)\S+/, '$1n/a')],
  ];
  let changed = 0;
  for (const { name, text } of terminateEvents()) {
    if (!TABLE.test(text)) continue;
    for (const [what, change] of variants) {
      const changedText = change(text);
      if (changedText === text) continue;
      const { events } = parseEventLog(changedText);
      assert.is(events.length, 1, `${name}: ${what}`);
      assert.equal(events[0]!.endUsage(), expectedUsage(events[0]!), `${name}: ${what}`);
      changed++;
    }
  }
  assert.ok(changed >= 40, `${changed} changed tables`);
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

test('the in-place readers (host, transfer step, exit, reasons) agree with the decoded details on every fixture event', () => {
  const counts = { execute: 0, transfer: 0, exit: 0, reasons: 0 };
  const check = (text: string, label: string) => {
    for (const event of parseEventLog(text).events) {
      // The in-place readers first: once `details` is decoded, some of them answer from it.
      const got = {
        host: event.code === 1 ? event.executeHost() : undefined,
        step: event.code === 40 ? event.transferStep() : undefined,
        transferHost: event.code === 40 ? event.transferHost() : undefined,
        exit: event.code === 5 ? event.exitStatus() : undefined,
        table: [4, 7, 9, 12].includes(event.code) ? JSON.parse(JSON.stringify(event.tableDetails())) : undefined,
      };
      const details = event.details;
      if (event.code === 1) {
        assert.is(got.host, details.host, `${label} 001 ${event.cluster}.${event.proc}`);
        counts.execute++;
      } else if (event.code === 40) {
        assert.equal(got.step, details.transfer, `${label} 040`);
        if (details.transfer?.direction === 'input' && details.transfer.stage === 'started')
          assert.is(got.transferHost, details.host, `${label} 040 host`);
        counts.transfer++;
      } else if (event.code === 5) {
        assert.equal([got.exit!.returnValue, got.exit!.signal], [details.returnValue, details.signal], `${label} 005`);
        counts.exit++;
      } else if (got.table) {
        const { reason, holdCode, holdSubcode } = details;
        const expected = event.code === 12 ? { reason, holdCode, holdSubcode } : { reason };
        assert.equal(got.table, JSON.parse(JSON.stringify(expected)), `${label} ${event.code}`);
        counts.reasons++;
      }
    }
  };
  for (const name of eventLogNames()) {
    check(eventLog(name), name);
    check(eventLog(name).replace(/\n/g, '\r\n'), `${name} (CRLF)`);
  }
  // A headline whose sinful string is not closed, with and without a trailing \r; reasons behind
  // Unicode white space (trim() removes it), several Reason: and Code lines, a Code line first.
  for (const end of ['\n', '\r\n']) {
    check(`001 (7.0.0) 2026-03-01 10:00:00 Job executing on host: <10.0.0.9:9618?alias=gpu9${end}...${end}`, 'open <');
    check(
      [
        `004 (7.0.0) 2026-03-01 10:00:00 Job was evicted.`,
        `\t(0) Job was not checkpointed.`,
        `\tReason: an earlier one  `,
        `\u00a0Reason: the last one counts, behind a no-break space`,
        `...`,
        `012 (7.0.0) 2026-03-01 10:00:01 Job was held.`,
        `\tCode 12 Subcode 2`,
        `\u2003Error from slot1: disk full`,
        `\tCode 13 Subcode 0 (again)`,
        `\tsecond reason line`,
        `...`,
        `009 (7.0.0) 2026-03-01 10:00:02 Job was aborted.`,
        ``,
        `\u00a0 via condor_rm (by user alice)`,
        `...`,
        ``,
      ].join(end),
      'crafted',
    );
  }
  assert.ok(
    counts.execute >= 20 && counts.transfer >= 10 && counts.exit >= 20 && counts.reasons >= 20,
    JSON.stringify(counts),
  );
});

test.run();
