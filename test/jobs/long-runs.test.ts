// Long runs (issue 10): checkpoints and restarts counted per proc from the events around them;
// each running proc's last progress line from its streamed output, in the live view, in
// `status --json` and `status --tail`; rows grouped by state with row values next to progress.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEventLog } from '../../scripts/lib/event-log/event-log.ts';
import { JobTable } from '../../scripts/lib/jobs/job-state.ts';
import { renderView } from '../../scripts/lib/jobs/live-view.ts';
import { lastProgress, ProgressReader, tailLines } from '../../scripts/lib/jobs/progress.ts';
import { SecretMask } from '../../scripts/lib/secret-mask.ts';
import { summaryLines } from '../../scripts/lib/jobs/summary.ts';
import { palette } from '../../scripts/lib/term.ts';
import { runScript, waitUntil } from '../helpers/process.ts';
import { eventLog, eventLogDir } from '../condor/fixtures.ts';
import { makeWorkspace } from '../condor/workspace.ts';

const plain = palette(false);
const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-long-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A fixture event's text (between `...` lines) with its job id and date replaced. */
function eventFrom(fixture: string, code: string, id: string, when: string, headline?: RegExp): string {
  const events = eventLog(fixture)
    .split(/^\.\.\.\r?\n/m)
    .map((e) => e.replace(/^\s+/, ''));
  const text = events.find((e) => e.startsWith(code) && (!headline || headline.test(e)));
  if (!text) throw new Error(`${fixture} has no ${code} event`);
  return `${text.replace(/^(\d{3}) \([-\d.]+\) \S+ \S+ /, `$1 (${id}) ${when} `)}...\n`;
}

const HELLO = 'chtc_hello_gpu_docker_gpu.log';
const ID = '31.000.000';

/**
 * A self-checkpointing run from real event texts: started, saved a checkpoint (output transfer
 * the job did not end after), a 003, evicted, started again, ended.
 */
function checkpointingLog(): string {
  return [
    eventFrom(HELLO, '000', ID, '2026-03-01 10:00:00'),
    eventFrom(HELLO, '001', ID, '2026-03-01 10:01:00'),
    eventFrom(HELLO, '040', ID, '2026-03-01 11:00:00', /Started transferring output/),
    eventFrom(HELLO, '040', ID, '2026-03-01 11:00:05', /Finished transferring output/),
    eventFrom('chtc_pytorch_cnn_docker_gpu.log', '006', ID, '2026-03-01 11:10:00'),
    eventFrom('htcondor_test_condor_all_event_types_stress.log', '003', ID, '2026-03-01 12:00:00'),
    eventFrom('htcanalyze_job_evicted.log', '004', ID, '2026-03-01 12:30:00'),
    eventFrom(HELLO, '001', ID, '2026-03-01 13:00:00'),
    eventFrom(HELLO, '040', ID, '2026-03-01 13:30:00', /Started transferring output/),
    eventFrom(HELLO, '040', ID, '2026-03-01 13:30:05', /Finished transferring output/),
    eventFrom(HELLO, '005', ID, '2026-03-01 13:30:10'),
  ].join('');
}

test('checkpoints: output transfers the job did not end after, and 003 events; the final transfer is not one', async () => {
  const table = new JobTable();
  for (const event of parseEventLog(checkpointingLog()).events) table.apply(event);
  const job = table.list()[0]!;
  assert.equal([job.state, job.exitCode, job.checkpoints, job.starts, job.evictions], ['completed', 0, 2, 2, 1]);
  // Ran 10:01–12:30 and 13:00–13:30:10: the wall time counts both runs, not the wait between.
  assert.is(job.runMs, (2 * 3600 + 29 * 60 + 30 * 60 + 10) * 1000);
  const lines = await summaryLines({ table, outcome: 'done', held: null, missing: [], junk: 0 }, null, dir, plain);
  // The summary's wall is that sum too (issue 18: not the last run alone, which was 30m10s).
  assert.match(lines[1]!, /31\.0 +exit 0 {2}wall 2h59m .* {2}2 checkpoints {2}1 restart {2}evicted 1×$/);
  assert.match(lines.join('\n'), /used: 2\.99? GPU-hours|used: 3\.0 GPU-hours/);
});

test('a removal right after an output transfer is not a checkpoint', () => {
  const table = new JobTable();
  const text =
    eventFrom(HELLO, '000', ID, '2026-03-01 10:00:00') +
    eventFrom(HELLO, '001', ID, '2026-03-01 10:01:00') +
    eventFrom(HELLO, '040', ID, '2026-03-01 11:00:00', /Started transferring output/) +
    eventFrom(HELLO, '040', ID, '2026-03-01 11:00:05', /Finished transferring output/) +
    eventFrom('htcanalyze_aborted_with_errors.log', '009', ID, '2026-03-01 11:00:06');
  for (const event of parseEventLog(text).events) table.apply(event);
  assert.equal([table.list()[0]!.state, table.list()[0]!.checkpoints], ['removed', 0]);
});

test('the last progress line: a cut or garbled last line falls back to the one before; the reader caches by size', () => {
  const line = (epoch: number) => `PIXI_CONDOR_PROGRESS {"epoch":${epoch},"epochs":20,"loss":0.5,"accuracy":0.8}`;
  assert.equal(lastProgress(`a\n${line(1)}\nb\n${line(2)}\n`), { epoch: 2, epochs: 20, loss: 0.5, accuracy: 0.8 });
  assert.is((lastProgress(`${line(3)}\n${line(4).slice(0, 40)}`) as { epoch: number }).epoch, 3, 'half-written line');
  assert.is((lastProgress(`${line(5)}\nPIXI_CONDOR_PROGRESS not json\n`) as { epoch: number }).epoch, 5);
  assert.is(lastProgress('no progress here\n'), null);
  const out = join(dir, 'out.txt');
  writeFileSync(out, `${line(1)}\n`);
  const reader = new ProgressReader();
  const first = reader.read(out);
  assert.is(reader.read(out), first, 'unchanged file: the same object, not read again');
  appendFileSync(out, `${line(2)}\n`);
  const second = reader.read(out);
  assert.is((second as { epoch: number }).epoch, 2);
  // Other output after it (a batch line): the same progress, the same object (no new progress to report).
  appendFileSync(out, 'batch 10/100\n');
  assert.is(reader.read(out), second, 'a line that is no progress line changes nothing');
  assert.equal(tailLines(out, 2), [line(2), 'batch 10/100']);
  // A window that starts inside a line drops that piece (half a token would pass the mask).
  const long = join(dir, 'long.txt');
  writeFileSync(long, `${'x'.repeat(6000)}TOKEN-PIECE\nsecond\nthird`);
  assert.equal(tailLines(long, 10), ['second', 'third']);
  writeFileSync(long, 'first\nsecond\n');
  assert.equal(tailLines(long, 10), ['first', 'second'], 'a file read whole keeps its first line');
  // A window that starts right after a line's end cuts nothing.
  writeFileSync(long, `${'x'.repeat(5000)}\n${'y'.repeat(5114)}\nlast\n`);
  assert.equal(tailLines(long, 10), ['y'.repeat(5114), 'last']);
  // A progress bar's redraws (\r, no \n): what follows the first \r in the window is whole.
  writeFileSync(long, `${'z'.repeat(6000)}\r45%\r46%`);
  assert.equal(tailLines(long, 10), ['45%\r46%']);
  // One line longer than the window: its end, past more than a token's length, marked.
  writeFileSync(long, 'w'.repeat(10_000));
  const [only, ...more] = tailLines(long, 10)!;
  assert.equal(more, []);
  assert.ok(only!.startsWith('…w') && only!.length === 5120 - 1024 + 1, String(only?.length));
  assert.is(reader.read(join(dir, 'absent.txt')), null);
});

test("a progress line's secrets are masked after it is parsed (\\u escapes too, keys, a number's digits), and a line nested too deep is none", () => {
  const secret = 'pässwörd-1234';
  const mask = new SecretMask([secret, '20240601']);
  const out = join(dir, 'secret.txt');
  // As Python's json.dumps writes it (ensure_ascii): the secret is only in the parsed text.
  writeFileSync(
    out,
    `PIXI_CONDOR_PROGRESS {"epoch": 1}\nPIXI_CONDOR_PROGRESS {"epoch": 2, "note": "p\\u00e4ssw\\u00f6rd-1234", "step": 202406010, "${secret}": [{"x": "${secret}"}]}\n`,
  );
  const read = new ProgressReader(mask).read(out);
  assert.equal(read, { epoch: 2, note: '***', step: '***', '***': [{ x: '***' }] });
  // 17 levels: no progress line (status --json and the mask would walk it); the one before counts.
  writeFileSync(
    out,
    `PIXI_CONDOR_PROGRESS {"epoch": 3}\nPIXI_CONDOR_PROGRESS {"a": ${'['.repeat(16)}1${']'.repeat(16)}}\n`,
  );
  assert.equal(lastProgress(readFileSync(out, 'utf8')), { epoch: 3 });
  const deep = `{"a": ${'['.repeat(7000)}1${']'.repeat(7000)}}`;
  assert.equal(lastProgress(`PIXI_CONDOR_PROGRESS {"epoch": 4}\nPIXI_CONDOR_PROGRESS ${deep}\n`), { epoch: 4 });
  assert.equal(lastProgress(`PIXI_CONDOR_PROGRESS {"a": ${'['.repeat(15)}1${']'.repeat(15)}}\n`), {
    a: JSON.parse(`${'['.repeat(15)}1${']'.repeat(15)}`),
  });
});

test('the grouped live view: counts, then the rows that need attention, each running one with its row values and progress', () => {
  const table = new JobTable();
  let text = '';
  for (let p = 0; p < 60; p++) {
    const id = `50.${String(p).padStart(3, '0')}.000`;
    text += eventFrom(HELLO, '000', id, '2026-03-01 10:00:00');
    if (p < 40) text += eventFrom(HELLO, '001', id, '2026-03-01 10:01:00');
    if (p < 30) text += eventFrom(HELLO, '005', id, '2026-03-01 10:30:00');
  }
  text += eventFrom('htcanalyze_aborted_with_errors.log', '012', '50.045.000', '2026-03-01 10:40:00');
  for (const event of parseEventLog(text).events) table.apply(event);
  const vars = new Map(table.list().map((j) => [j.proc, { lr: `0.${j.proc}`, seed: '1' }]));
  for (const job of table.list())
    if (job.state === 'running') job.progress = { epoch: 3, epochs: 20, loss: 0.412, accuracy: 0.871 };
  const lines = renderView(table, {
    title: 'job 50',
    now: Date.parse('2026-03-01T11:00:00'),
    width: 140,
    height: 20,
    paint: plain,
    notes: [],
    procVars: vars,
  });
  assert.ok(lines.length <= 20, `${lines.length} lines`);
  assert.is(lines[1], '60 procs: 1 held, 10 running, 19 idle, 30 completed');
  const rows = lines.filter((l) => /^50\.\d+ /.test(l));
  assert.match(rows[0]!, /^50\.45\s+held/, 'held first');
  assert.match(rows[1]!, /^50\.30\s+running .* lr=0\.30 seed=1 · epoch 3\/20 loss 0\.412 acc 0\.871$/);
  // Nineteen procs idle for an hour: one note for them all, not nineteen.
  const idle = lines.filter((l) => /idle for/.test(l));
  assert.equal(idle.length, 1, lines.join('\n'));
  assert.match(idle[0]!, /^19 procs idle for up to 1h00m \(50\.40 … 50\.59\): no machine has started it yet/);
});

test("status --json carries each running proc's progress; status --tail N prints the end of its output and error", async () => {
  const ws = await makeWorkspace();
  try {
    // The job stays running (its end waits on a gate no one opens) however long status takes to look.
    ws.scenario({ mode: 'ok', log: join(eventLogDir, HELLO), delayMs: 20, progress: true, endGate: 'never' } as never);
    const submit = await runScript('submit.ts', ['--no-wait'], { env: ws.env, timeoutMs: 30_000 });
    assert.is(submit.code, 0, submit.stdout + submit.stderr);
    const out = join(ws.root, 'mnist_gpu_4242_0.out.txt');
    await waitUntil(
      () => existsSync(out) && readFileSync(out, 'utf8').includes('PIXI_CONDOR_PROGRESS'),
      'a progress line',
    );
    const now = await runScript('status.ts', ['--once', '--json'], { env: ws.env, timeoutMs: 30_000 });
    const job = JSON.parse(now.stdout).jobs[0];
    assert.is(job.state, 'running', now.stdout);
    assert.is(job.progress.epochs, 20);
    assert.ok(job.progress.epoch >= 1);
    writeFileSync(join(ws.root, 'mnist_gpu_4242_0.err.txt'), 'warning: one\nwarning: two\n');
    const tail = await runScript('status.ts', ['4242.0', '--tail', '2'], { env: ws.env, timeoutMs: 30_000 });
    assert.is(tail.code, 0, tail.stdout + tail.stderr);
    assert.match(
      tail.stdout,
      /^== 4242\.0 output \(mnist_gpu_4242_0\.out\.txt, last 2 lines\) ==\nepoch \d+ done\nPIXI_CONDOR_PROGRESS \{"epoch":\d+/,
    );
    assert.match(
      tail.stdout,
      /== 4242\.0 error \(mnist_gpu_4242_0\.err\.txt, last 2 lines\) ==\nwarning: one\nwarning: two\n$/,
    );
    const bare = await runScript('status.ts', ['--tail'], { env: ws.env, timeoutMs: 30_000 });
    assert.is(bare.code, 0, bare.stdout + bare.stderr);
    assert.match(bare.stdout, /last \d+ lines\) ==/);
  } finally {
    ws.cleanup();
  }
});

test.run();
