// The event-log parser against every real log in the fixtures, by hand-checked final states,
// fed in random-size chunks, and fuzzed (fixed seed: no crash, no hang).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventLogParser, parseEventLog, type LogEvent } from '../../scripts/lib/event-log/event-log.ts';
import { JobTable, jobJson } from '../../scripts/lib/jobs/job-state.ts';
import { eventLog, eventLogNames } from '../condor/fixtures.ts';
import { EVENT_LOG_MUTATION_PIECES, mutate, randomInt, seeded } from '../helpers/random.ts';
import { bound, runCommand, typeScriptNodeArgs } from '../helpers/process.ts';

const REFERENCE = new Date(2026, 5, 1).getTime();

function headerCount(text: string): number {
  return (text.match(/^[ \t]*\d{3} \(-?\d+\.-?\d+\.-?\d+\)/gm) ?? []).length;
}

function finalStates(name: string): Record<string, ReturnType<typeof jobJson>> {
  const table = new JobTable();
  for (const event of parseEventLog(eventLog(name), { referenceTime: REFERENCE }).events) table.apply(event);
  return Object.fromEntries(table.list().map((job) => [job.id, jobJson(job)]));
}

test('every fixture log parses: one event per header, nothing left over, no junk', () => {
  const names = eventLogNames();
  assert.ok(names.length >= 25, `expected the fixture logs, found ${names.length}`);
  for (const name of names) {
    const text = eventLog(name);
    const { events, junk, incomplete } = parseEventLog(text, { referenceTime: REFERENCE });
    assert.is(junk.length, 0, `${name}: junk ${JSON.stringify(junk[0])}`);
    assert.is(incomplete, '', `${name}: unterminated tail`);
    assert.is(events.length, headerCount(text), `${name}: events`);
    for (const event of events) {
      assert.ok(Number.isFinite(event.time), `${name}: date of ${event.code} (${event.rawTime})`);
      assert.ok(event.name !== 'unknown', `${name}: event ${event.code} has a name`);
    }
  }
});

test('final states checked by hand', () => {
  const job = (name: string, id: string) => finalStates(name)[id];
  assert.equal(job('chtc_hello_gpu_docker_gpu.log', '8949703.0'), {
    id: '8949703.0',
    state: 'completed',
    exitCode: 0,
    signal: null,
    holdReason: null,
    holdCode: null,
    holdSubcode: null,
    host: 'gpu2000.chtc.wisc.edu',
    checkpoints: 0,
    starts: 1,
    progress: null,
  });
  assert.is(job('htcanalyze_normal_log.log', '107799.0')?.exitCode, 1);
  assert.is(job('htcanalyze_abnormal_termination.log', '469.1418')?.signal, 11);
  assert.is(job('htcanalyze_abnormal_termination.log', '469.1418')?.exitCode, null);
  const heldThenRemoved = job('htcanalyze_aborted_with_errors.log', '398.440');
  assert.is(heldThenRemoved?.state, 'removed');
  assert.is(heldThenRemoved?.holdCode, 34);
  assert.is(
    heldThenRemoved?.holdReason,
    'Error from slot1_4@cpu1.htc.inm7.de: Job has encountered an out-of-memory event.',
  );
  assert.is(job('htcanalyze_job_evicted.log', '164275.0')?.state, 'completed');
  assert.is(job('htcanalyze_job_evicted.log', '164275.0')?.host, '10.0.9.2', 'the host of the last execution');
  assert.is(job('lsst_ctrl_stats_evicted_then_removed.log', '244585.0')?.state, 'removed');
  assert.is(job('htcanalyze_running_process.log', '5993.0')?.state, 'running');
  assert.is(job('htcanalyze_just_submission.log', '398.440')?.state, 'idle');
  assert.is(job('htcanalyze_aborted_before_submission.log', '393.0')?.state, 'removed');
  const running = finalStates('lsst_bps_tiny_running.dag.nodes.log');
  assert.equal(Object.fromEntries(Object.entries(running).map(([id, j]) => [id, j.state])), {
    '9249.0': 'running',
    '9250.0': 'completed',
    '9251.0': 'running',
  });
  // A 009 after a 005 (DAGMan abort): the job had already exited by signal 11.
  const dag = finalStates('htcondor_dagman_gt1957_interleaved_signal_abort.log');
  assert.is(dag['180158.0']?.state, 'completed');
  assert.is(dag['180158.0']?.signal, 11);
  assert.is(dag['180159.0']?.exitCode, 0);
  // The transfer shadow's proc -1000 is no job of its own.
  assert.equal(Object.keys(finalStates('htcondor_test_transfer_shadow_proc_minus1000.log')), ['1.0']);
  const held = job('synthetic_held_transfer_input.log', '4243.0');
  assert.equal([held?.state, held?.holdCode, held?.holdSubcode], ['held', 13, 2]);
  assert.is(job('synthetic_held_image_pull_released.log', '4242.0')?.state, 'completed');
  assert.is(job('synthetic_held_image_pull_released.log', '4242.0')?.holdReason, null, 'release clears the hold');
});

test('body fields: negative procs, transfers, usage table, 028 attributes, eviction reason', () => {
  const stress = parseEventLog(eventLog('htcondor_test_condor_all_event_types_stress.log'), {
    referenceTime: REFERENCE,
  }).events;
  assert.ok(stress.some((e) => e.cluster === -1 && e.proc === -1 && e.subproc === -1));
  const shadow = parseEventLog(eventLog('htcondor_test_transfer_shadow_proc_minus1000.log')).events.find(
    (e) => e.code === 4,
  )!;
  assert.equal([shadow.proc, shadow.details.reason], [-1000, 'Job not found at execution machine']);
  const hello = parseEventLog(eventLog('chtc_hello_gpu_docker_gpu.log')).events;
  assert.equal(
    hello.filter((e) => e.code === 40).map((e) => e.details.transfer),
    [
      { direction: 'input', stage: 'started' },
      { direction: 'input', stage: 'finished' },
      { direction: 'output', stage: 'started' },
      { direction: 'output', stage: 'finished' },
    ],
  );
  const end = hello.find((e) => e.code === 5)!;
  assert.equal(end.resources()?.Gpus, { usage: null, request: '1', allocated: '1', assigned: '"CUDA1"' });
  assert.equal(end.resources()?.Cpus, { usage: '0.01', request: '1', allocated: '20', assigned: null });
  assert.equal([end.details.bytesSent, end.details.bytesReceived], [1678, 142]);
  const image = parseEventLog(eventLog('htcanalyze_normal_log.log')).events.find((e) => e.code === 6)!;
  assert.equal([image.details.imageSizeKb, typeof image.details.memoryUsageMb], [448, 'number']);
  const info = parseEventLog(eventLog('htcondor_pybindings_028_jobad_info.log')).events.find((e) => e.code === 28)!;
  assert.is(info.details.attributes?.TriggerEventTypeName, '"ULOG_SUBMIT"');
  const slot = parseEventLog(eventLog('doc_osg_school_2025_sleep_job_001_006_005_excerpts.log')).events[0]!;
  assert.equal(
    [slot.details.slot, slot.details.host],
    ['slot1_2@glidein_4082265_33522666@c219.mgmt.hellbender', 'c219.mgmt.hellbender'],
  );
});

test('dates: ISO with zone, MM/DD with the year inferred and the New Year wrap', () => {
  const text = [
    '000 (1.000.000) 12/31 23:59:55 Job submitted from host: <10.0.0.1:9618>',
    '...',
    '001 (1.000.000) 01/01 00:00:07 Job executing on host: <10.0.0.2:9618>',
    '...',
    '006 (1.000.000) 2025-01-01T00:00:10Z Image size of job updated: 1',
    '...',
    '006 (1.000.000) 2025-01-01 02:00:10.250+02:00 Image size of job updated: 1',
    '...',
    '',
  ].join('\n');
  const events = parseEventLog(text, { referenceTime: new Date(2025, 0, 2).getTime() }).events;
  assert.is(events[0]!.time, new Date(2024, 11, 31, 23, 59, 55).getTime());
  assert.is(events[1]!.time, new Date(2025, 0, 1, 0, 0, 7).getTime());
  assert.is(events[2]!.time, Date.UTC(2025, 0, 1, 0, 0, 10));
  assert.is(events[3]!.time, Date.UTC(2025, 0, 1, 0, 0, 10, 250));
});

test('a header line that ends at its time (LF, CRLF; a zone): an empty headline, the body after it; a time run on into text is junk', () => {
  for (const eol of ['\n', '\r\n']) {
    const text = [
      '000 (1.000.000) 2026-03-01 08:00:00',
      '...',
      '006 (1.000.000) 2026-03-01 08:00:05Z',
      '\t2  -  MemoryUsage of job (MB)',
      '...',
      '006 (1.000.000) 2026-03-01 08:00:09x',
      '...',
      '',
    ].join(eol);
    const { events, junk } = parseEventLog(text);
    assert.equal(
      events.map((e) => [e.code, e.headline, e.body, e.detach().headline]),
      [
        [0, '', [], ''],
        [6, '', ['2  -  MemoryUsage of job (MB)'], ''],
      ],
      JSON.stringify(eol),
    );
    assert.is(events[1]!.time, Date.UTC(2026, 2, 1, 8, 0, 5));
    assert.equal(
      junk.map((j) => j.text.trim()),
      ['006 (1.000.000) 2026-03-01 08:00:09x'],
    );
  }
});

test('unknown event numbers and non-event text are kept, never fatal', () => {
  const junk: string[] = [];
  const events: LogEvent[] = [];
  const parser = new EventLogParser({ onEvent: (e) => events.push(e), onJunk: (j) => junk.push(j.text) });
  parser.pushText(
    '105 (7.000.000) 2026-01-01 00:00:00 Some future EP event\n\tdetail\n...\nthis is not an event\n...\n',
  );
  parser.end();
  assert.equal(
    events.map((e) => [e.code, e.name, e.body]),
    [[105, 'unknown', ['detail']]],
  );
  assert.equal(junk, ['this is not an event']);
});

test('a half-written event is held back until its terminator arrives', () => {
  const events: LogEvent[] = [];
  const parser = new EventLogParser({ onEvent: (e) => events.push(e) });
  parser.pushText('000 (1.000.000) 2026-01-01 00:00:00 Job submitted from host: <10.0.0.1:9618>\n..');
  assert.is(events.length, 0);
  parser.pushText('.');
  assert.is(events.length, 0, '`...` without its newline may still be `....` text');
  parser.pushText('\n001 (1.000.000) 2026-01-01 00:00:01 Job exec');
  assert.is(events.length, 1);
  assert.ok(parser.pendingLength > 0);
});

test('random-size chunks (mid-line and mid-character cuts) give the same events as the whole file', () => {
  const rand = seeded(20260301);
  for (const name of eventLogNames()) {
    // A multi-byte character in a body line, so byte cuts can split it.
    const text = eventLog(name).replace('Job submitted from host', 'Job submitted from host ✓');
    const whole = parseEventLog(text, { referenceTime: REFERENCE }).events;
    const bytes = Buffer.from(text, 'utf8');
    for (let round = 0; round < 3; round++) {
      const events: LogEvent[] = [];
      const parser = new EventLogParser({ referenceTime: REFERENCE, onEvent: (e) => events.push(e) });
      for (let at = 0; at < bytes.length; ) {
        const size = randomInt(rand, 1, round === 0 ? 7 : 300);
        parser.pushBytes(bytes.subarray(at, at + size));
        at += size;
      }
      parser.end();
      assert.equal(
        events.map((e) => e.toJSON()),
        whole.map((e) => e.toJSON()),
        `${name} round ${round}`,
      );
    }
  }
});

test('fuzz (fixed seed): mutated logs never throw and always finish', () => {
  const rand = seeded(7);
  const sources = eventLogNames().map(eventLog);
  const started = Date.now();
  for (let i = 0; i < 400; i++) {
    const text = mutate(rand, sources[randomInt(rand, 0, sources.length - 1)]!, EVENT_LOG_MUTATION_PIECES, 12);
    const table = new JobTable();
    const result = parseEventLog(text, { referenceTime: REFERENCE });
    for (const event of result.events) table.apply(event);
    assert.ok(result.events.length + result.junk.length >= 0);
  }
  // A hang bound (stretched on a busy machine), not a speed check.
  assert.ok(Date.now() - started < bound(20_000), 'fuzzing took too long (a hang in the making)');
});

test('bytes with no event end are one junk record past 16 MiB, held no more, and the events after them are read', () => {
  const event = (proc: number) =>
    `000 (7.${proc}.000) 2026-03-01 08:00:00 Job submitted from host: <10.0.0.1:9618>\n...\n`;
  const junkLine = `${'not an event, '.repeat(7)}\n`; // 99 bytes, no \`...\` line
  const piece = Buffer.from(junkLine.repeat(Math.ceil((1 << 20) / junkLine.length)));
  const events: number[] = [];
  const junk: string[] = [];
  const parser = new EventLogParser({
    onEvent: (e) => void events.push(e.proc),
    onJunk: (j) => void junk.push(j.text),
  });
  parser.pushBytes(Buffer.from(event(0)));
  let most = 0;
  for (let i = 0; i < 40; i++) {
    parser.pushBytes(piece); // 40 MiB of lines that never end an event, a MiB at a time
    most = Math.max(most, parser.heldBytes);
  }
  assert.ok(most <= 16 << 20, `held ${most} bytes`);
  assert.ok(parser.heldBytes <= 64, `still holding ${parser.heldBytes} bytes once dropping`);
  // Yet every byte since the last event end is pending (a split read starts again from there).
  assert.is(parser.pendingLength, 40 * piece.length);
  assert.is(junk.length, 1, 'one junk record for the whole run of bytes');
  assert.ok(junk[0]!.startsWith('not an event, ') && junk[0]!.length < 300, junk[0]);
  // Its end: a `...` line (here cut across two pieces), then events again.
  parser.pushBytes(Buffer.from('tail of the junk\n..'));
  parser.pushBytes(Buffer.from(`.\n${event(1)}${event(2)}`));
  parser.end();
  assert.equal(events, [0, 1, 2]);
  assert.is(parser.junk, 1);
  assert.is(parser.pendingLength, 0);
});

/** A submit event of proc `proc` of cluster 7. */
const submitEvent = (proc: number) =>
  `000 (7.${proc}.000) 2026-03-01 08:00:00 Job submitted from host: <10.0.0.1:9618>\n...\n`;

/** The procs and junk count of `text` pushed in the pieces `cuts` ends (offsets), then ended. */
function readInPieces(text: Buffer, cuts: number[]): { events: number[]; junk: number } {
  const events: number[] = [];
  const parser = new EventLogParser({ onEvent: (e) => void events.push(e.proc) });
  let at = 0;
  for (const cut of [...cuts, text.length]) {
    parser.pushBytes(text.subarray(at, cut));
    at = cut;
  }
  parser.end();
  return { events, junk: parser.junk };
}

test('junk past 16 MiB ends where a whole read ends it, however it is cut: a long line is not taken for `...` by its end', () => {
  const tricky = `${'x'.repeat(100)}${' '.repeat(70)}`; // its last 64 bytes are blanks: with `...`, a terminator
  const text = Buffer.from(
    `${submitEvent(0)}${'g'.repeat(17 << 20)}\n${tricky}...\n${submitEvent(1)}${submitEvent(2)}`,
  );
  const read = (cuts: number[]) => readInPieces(text, cuts);
  const whole = read([]);
  const cutAt = text.indexOf(`${tricky}...`) + tricky.length; // the `...` begins the next piece
  assert.equal(read([1 << 20, cutAt]), whole);
  assert.equal(read([cutAt - 10, cutAt]), whole);
  assert.is(whole.junk, 1);
});

test('junk past 16 MiB ends at a `...` line with many blanks after it, wherever the reads cut that line', () => {
  const end = `  ...${' '.repeat(70)}\r`; // a terminator longer than the 64 bytes a dropping read carries
  const text = Buffer.from(`${submitEvent(0)}${'g'.repeat(17 << 20)}\n${end}\n${submitEvent(1)}${submitEvent(2)}`);
  const read = (cuts: number[]) => readInPieces(text, cuts);
  const whole = read([]);
  assert.equal(whole, { events: [0, 1, 2], junk: 1 });
  const lineStart = text.indexOf(end);
  // Cut after the line's blanks (its newline in the next read), inside them, inside the dots.
  for (const cut of [lineStart + end.length, lineStart + 40, lineStart + 3, lineStart + 1])
    assert.equal(read([1 << 20, cut]), whole, `cut at line start + ${cut - lineStart}`);
  // And the line a byte at a time.
  const bytes = Array.from({ length: end.length + 1 }, (_, k) => lineStart + k);
  assert.equal(read([1 << 20, ...bytes]), whole, 'the line a byte at a time');
});

test('an event arriving a byte at a time is held in pieces and read whole (no copy of all it holds per piece)', () => {
  const text = eventLog(eventLogNames()[0]!);
  const whole = parseEventLog(text, { referenceTime: REFERENCE }).events.map((e) => `${e.code} ${e.proc} ${e.time}`);
  const events: string[] = [];
  const parser = new EventLogParser({
    referenceTime: REFERENCE,
    onEvent: (e) => void events.push(`${e.code} ${e.proc} ${e.time}`),
  });
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i++) parser.pushBytes(bytes.subarray(i, i + 1));
  parser.end();
  assert.equal(events, whole);
});

test('a long line arriving a byte at a time costs time in its length, not its square (bounded: a hang fails)', async () => {
  const result = await runCommand(
    process.execPath,
    [
      ...typeScriptNodeArgs,
      '-e',
      `import { EventLogParser } from ${JSON.stringify(new URL('../../scripts/lib/event-log/event-log.ts', import.meta.url).pathname)};
const parser = new EventLogParser({ onEvent: () => {} });
const byte = Buffer.from('x');
for (let i = 0; i < 200000; i++) parser.pushBytes(byte);
parser.pushBytes(Buffer.from('\\n...\\n'));
console.log(parser.junk, parser.pendingLength);`,
    ],
    { timeoutMs: 60_000 },
  );
  assert.not.ok(result.timedOut, 'a 200,000-byte line pushed a byte at a time did not finish');
  assert.is(result.stdout.trim(), '1 0', result.stderr);
});

test.run();
