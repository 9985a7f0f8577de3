// The live view: a row per proc or grouped counts with a bar, every line within the terminal
// width; in-place redraw with cursor escapes only in a terminal; hold hints by code and reason;
// the exit-code rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEventLog } from '../../scripts/lib/event-log/event-log.ts';
import { holdHint } from '../../scripts/lib/jobs/hold-hints.ts';
import { JobTable, type StateChange } from '../../scripts/lib/jobs/job-state.ts';
import { BlockWriter, describeChange, progressBar, renderView } from '../../scripts/lib/jobs/live-view.ts';
import { exitCodeFor } from '../../scripts/lib/jobs/summary.ts';
import type { TrackResult } from '../../scripts/lib/jobs/tracker.ts';
import { palette } from '../../scripts/lib/term.ts';
import { eventLog } from '../condor/fixtures.ts';

const plain = palette(false);

function tableOf(text: string): { table: JobTable; changes: StateChange[] } {
  const table = new JobTable();
  const changes: StateChange[] = [];
  for (const event of parseEventLog(text).events) {
    const change = table.apply(event);
    if (change) changes.push(change);
  }
  return { table, changes };
}

/** A log of `n` procs of one cluster: some running, some held, some done. */
function manyProcs(n: number): string {
  let text = '';
  for (let p = 0; p < n; p++) {
    const id = `77.${String(p).padStart(3, '0')}.000`;
    text += `000 (${id}) 2026-03-01 10:00:00 Job submitted from host: <10.0.0.1:9618>\n...\n`;
    if (p % 10 === 0)
      text += `012 (${id}) 2026-03-01 10:01:00 Job was held.\n\tError from slot1@gpu: Job has gone over cgroup memory limit of 2048 megabytes.\n\tCode 34 Subcode 102\n...\n`;
    else if (p % 3 === 0)
      text += `001 (${id}) 2026-03-01 10:01:00 Job executing on host: <10.0.0.2:9618?alias=gpu${p}&noUDP>\n...\n`;
    else if (p % 3 === 1)
      text += `005 (${id}) 2026-03-01 10:02:00 Job terminated.\n\t(1) Normal termination (return value ${p % 7 === 0 ? 1 : 0})\n...\n`;
  }
  return text;
}

test('few procs: a row each with state, time in state, exit and host, within the width', () => {
  const { table } = tableOf(eventLog('chtc_hello_gpu_docker_gpu.log') + eventLog('htcanalyze_normal_log.log'));
  const lines = renderView(table, {
    title: 'job',
    now: Date.parse('2026-01-01'),
    width: 60,
    height: 30,
    paint: plain,
    notes: ['waiting for x.log to appear'],
  });
  assert.match(lines[0]!, /^job/);
  assert.match(lines[1]!, /waiting for x\.log/);
  assert.ok(
    lines.some((l) => /^8949703\.0\s+completed\s+0\s+gpu2000/.test(l)),
    lines.join('\n'),
  );
  assert.ok(lines.some((l) => /^107799\.0\s+completed\s+1/.test(l)));
  for (const line of lines) assert.ok([...line].length <= 60, `too wide: ${line}`);
});

test('many procs: grouped counts, a progress bar, held procs with their hint first', () => {
  const { table } = tableOf(manyProcs(300));
  const lines = renderView(table, {
    title: 'job 77',
    now: Date.parse('2026-03-01T11:00:00'),
    width: 100,
    height: 24,
    paint: plain,
    notes: [],
  });
  assert.ok(lines.length <= 24, `${lines.length} lines`);
  assert.match(lines[1]!, /^300 procs: 30 held, 90 running, 90 idle, 90 completed$/);
  assert.match(lines[2]!, /^\[#+=+-+\] 90 of 300 ended {2}\(# ended, = running, - waiting\)$/);
  assert.ok(lines.some((l) => /^77\.0\s+held/.test(l)));
  assert.ok(
    // Editing the submit file would not change the queued job: the hint names `release` (condor_qedit).
    lines.some((l) => /hint \(memory\): .*`pixi run release 77\.0` raises the/.test(l)),
    lines.join('\n'),
  );
  assert.equal(progressBar({ idle: 1, running: 1, held: 0, suspended: 0, completed: 2, removed: 0 }, 10), '[####==--]');
});

test('a held job in the terminal view: the whole reason, wrapped to the width, and its hint with the job id', () => {
  const { table } = tableOf(eventLog('synthetic_held_transfer_input.log'));
  const lines = renderView(table, {
    title: 'job 4243',
    now: Date.parse('2026-03-02T12:00:00'),
    width: 60,
    height: 30,
    paint: plain,
    notes: [],
  });
  for (const line of lines) assert.ok([...line].length <= 60, `too wide: ${line}`);
  const text = lines.join(' ').replace(/\s+/g, ' ');
  assert.match(
    text,
    /4243\.0 held: Transfer input files failure .* \(errno 2\) No such file or directory \(code 13, subcode 2\)/,
  );
  assert.match(text, /hint \(input transfer\): .*then `condor_release 4243\.0`/);
  assert.ok(
    lines.some((l) => /^4243\.0\s+held\s+\S+\s+gpu2000/.test(l)),
    'the execute point from the input transfer event',
  );
});

test('redraw in place on a terminal: cursor up over the last block, clear, write', () => {
  let out = '';
  const block = new BlockWriter((text) => (out += text));
  block.draw(['a', 'b']);
  block.draw(['c']);
  assert.is(out, 'a\nb\n\u001b[2A\r\u001b[0Jc\n');
});

test('outside a terminal: one plain line per change, held ones with reason and hint', () => {
  const { changes } = tableOf(eventLog('synthetic_held_image_pull_released.log'));
  const lines = changes.flatMap((c) => describeChange(c, plain)).map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''));
  assert.equal(lines.slice(0, 4), [
    '4242.0 submitted (idle)',
    '4242.0 held',
    '  reason: Error from slot1_1@gpu2000.chtc.wisc.edu: Cannot pull image ghcr.io/alice/pixi-condor@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0 Error response from daemon: manifest unknown (code 35, subcode 0)',
    lines[3]!,
  ]);
  assert.match(lines[3]!, /^ {2}hint \(image pull\): /);
  assert.equal(lines.slice(4), [
    '4242.0 released, idle again',
    '4242.0 running on gpu2000.chtc.wisc.edu',
    '4242.0 completed: exit 0',
  ]);
  for (const line of lines) assert.not.match(line, /\u001b/);
});

test('hold hints: a transfer code first, then by reason, then by code and subcode', () => {
  // A transfer failure's reason quotes the transfer's error: its words are not the cause.
  assert.is(
    holdHint(13, 1, 'Transfer input files failure at access point ... Details: HTTP response 401 Unauthorized').cause,
    'input transfer',
  );
  assert.is(holdHint(12, 2, 'Transfer output files failure ... MemoryUsage').cause, 'output transfer');
  assert.is(
    holdHint(6, 0, 'Error running docker job: could not select device driver "" with capabilities: [[gpu]]').cause,
    'GPU not available',
  );
  assert.is(holdHint(34, 104, 'Job has gone over its disk').cause, 'disk');
  assert.is(holdHint(34, 102, null).cause, 'memory');
  assert.is(holdHint(13, 2, 'Transfer input files failure').cause, 'input transfer');
  assert.is(holdHint(12, 2, null).cause, 'output transfer');
  assert.is(holdHint(26, 0, 'SYSTEM_PERIODIC_HOLD').cause, 'pool policy');
  assert.is(
    holdHint(35, 0, 'DockerProc::StartJob(): Image Architecture arm64 not compatible with this machine.').cause,
    'image architecture',
  );
  assert.is(holdHint(999, 0, 'something new').cause, 'unknown');
});

test('exit codes: 0 all ok; the single return value; 128+signal; 1 for several; 2 held or removed', () => {
  const result = (text: string, outcome: TrackResult['outcome'] = 'done'): TrackResult => ({
    table: tableOf(text).table,
    outcome,
    held: null,
    missing: [],
    junk: 0,
  });
  assert.is(exitCodeFor(result(eventLog('chtc_hello_gpu_docker_gpu.log'))), 0);
  assert.is(exitCodeFor(result(eventLog('htcanalyze_normal_log.log'))), 1);
  assert.is(exitCodeFor(result(eventLog('htcanalyze_abnormal_termination.log'))), 139);
  assert.is(exitCodeFor(result(eventLog('htcondor_dagman_gt1957_interleaved_signal_abort.log'))), 1);
  assert.is(exitCodeFor(result(eventLog('lsst_ctrl_stats_evicted_then_removed.log'))), 2);
  assert.is(exitCodeFor(result(eventLog('synthetic_held_transfer_input.log'), 'held-timeout')), 2);
  assert.is(exitCodeFor(result(eventLog('htcanalyze_running_process.log'), 'once')), 1, 'not finished is not success');
  assert.is(exitCodeFor(result(eventLog('chtc_hello_gpu_docker_gpu.log'), 'interrupted')), 130);
});

test.run();
