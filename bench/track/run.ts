// bench/track: the tracker against a ~100 MB event log of 10,000 procs built from real fixture
// events (make-log.ts). Every figure is a ratio against a baseline measured in this run:
//   parse          EventLogParser over the file        vs  reading it and counting its lines (≤ 3×)
//   track          parse + the event→state table       vs  the same baseline (≤ 3×: tracking as a whole)
//   append         one appended event: poll + update   vs  the full parse (≤ 1/1000)
//   memory         peak RSS tracking 10,000 procs      vs  a bare `node` process (≤ 5×)
//   redraw         one render of the grouped view      vs  the 50 ms budget (≤ 1)
//   fuzz           the parsers on mutated input, full size: no crash, no hang
// The machine is shared, so its speed drifts between rounds: each round times the baseline,
// parse and track back to back, and a ratio is the median of the rounds' ratios (the times shown
// are the best of the rounds). Usage:
//   npm run bench -- track            (TRACK_BENCH_MB=20 for a quicker, smaller run)
import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../test/helpers/paths.ts';
import { LogFollower } from '../../scripts/lib/event-log/log-follower.ts';
import { JobTable } from '../../scripts/lib/jobs/job-state.ts';
import { renderView } from '../../scripts/lib/jobs/live-view.ts';
import { palette } from '../../scripts/lib/term.ts';
import { extraEvent, makeLog } from './make-log.ts';
import { fuzzEventLog, fuzzSubmitFile } from './fuzz.ts';

const PROCS = 10_000;
const TARGET_MB = Number(process.env.TRACK_BENCH_MB ?? 100);
const ROUNDS = 9;
const outDir = join(repoRoot, 'bench', 'out', 'track');
mkdirSync(outDir, { recursive: true });
const logPath = join(outDir, 'events.log');

function best(times: number[]): number {
  return Math.min(...times);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function ratioLine(name: string, value: number, baseline: number, target: string, ok: boolean, unit = 'ms'): string {
  const ratio = value / baseline;
  return `${name.padEnd(8)} ${value.toFixed(value < 1 ? 4 : 1).padStart(9)} ${unit} / ${baseline.toFixed(1).padStart(7)} ${unit} = ${ratio.toFixed(ratio < 0.01 ? 5 : 2).padStart(7)}×  target ${target}  ${ok ? 'ok' : 'MISSED'}`;
}

/** Against the baseline: the median of each round's own ratio (the target), and best over best. */
function pairedLine(name: string, times: number[], baselines: number[], limit: number): [string, boolean] {
  const ratio = median(times.map((t, i) => t / baselines[i]!));
  const ok = ratio <= limit;
  const line = `${name.padEnd(8)} ${median(times).toFixed(1).padStart(9)} ms / ${median(baselines).toFixed(1).padStart(7)} ms = ${ratio.toFixed(2).padStart(7)}×  target ≤ ${limit}×  ${ok ? 'ok' : 'MISSED'}  (median of ${times.length} rounds' ratios; best over best ${(best(times) / best(baselines)).toFixed(2)}×)`;
  return [line, ok];
}

/** The baseline: read the file in 1 MiB pieces and count its newlines. */
function readAndCountLines(path: string): number {
  const fd = openSync(path, 'r');
  let lines = 0;
  let offset = 0;
  for (;;) {
    const buffer = Buffer.allocUnsafe(1 << 20);
    const n = readSync(fd, buffer, 0, buffer.length, offset);
    if (n <= 0) break;
    offset += n;
    for (let i = buffer.indexOf(10); i >= 0 && i < n; i = buffer.indexOf(10, i + 1)) lines++;
  }
  closeSync(fd);
  return lines;
}

function parseOnly(path: string): number {
  let events = 0;
  const follower = new LogFollower(path, { onEvent: () => events++ });
  follower.poll();
  follower.finish();
  follower.close();
  return events;
}

function track(path: string): { table: JobTable; follower: LogFollower } {
  const table = new JobTable();
  const follower = new LogFollower(path, { onEvent: (e) => table.apply(e) });
  follower.poll();
  return { table, follower };
}

function time<T>(fn: () => T): [number, T] {
  const start = performance.now();
  const value = fn();
  return [performance.now() - start, value];
}

const started = performance.now();
const made = makeLog(logPath, PROCS, TARGET_MB * 1e6);
console.log(
  `log: ${(made.bytes / 1e6).toFixed(1)} MB, ${made.events} events, ${PROCS} procs (built in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
);

const baseline: number[] = [];
const parse: number[] = [];
const tracked: number[] = [];
let lines = 0;
let events = 0;
for (let round = 0; round < ROUNDS; round++) {
  const [b, n] = time(() => readAndCountLines(logPath));
  baseline.push(b);
  lines = n;
  const [p, e] = time(() => parseOnly(logPath));
  parse.push(p);
  events = e;
  tracked.push(time(() => track(logPath).follower.close())[0]);
}
if (events !== made.events) throw new Error(`parsed ${events} events, wrote ${made.events}`);
console.log(`baseline: ${lines} lines`);
const results: boolean[] = [];
for (const [name, times] of [
  ['parse', parse],
  ['track', tracked],
] as const) {
  const [line, ok] = pairedLine(name, times, baseline, 3);
  results.push(ok);
  console.log(line);
}

// Append: after the full read, one event at a time; each poll reads only the new bytes.
const { table, follower } = track(logPath);
const appendTimes: number[] = [];
for (let n = 0; n < 200; n++) {
  appendFileSync(logPath, extraEvent(made.cluster, n % PROCS, n));
  const before = table.events;
  const [t] = time(() => follower.poll());
  if (table.events !== before + 1) throw new Error('the appended event was not read exactly once');
  appendTimes.push(t);
}
appendTimes.sort((a, b) => a - b);
const appendMedian = appendTimes[Math.floor(appendTimes.length / 2)]!;
const appendOk = appendMedian <= best(parse) / 1000;
results.push(appendOk);
console.log(
  ratioLine('append', appendMedian, best(parse), '≤ 1/1000', appendOk) +
    `  (median of 200; ${statSync(logPath).size - made.bytes} bytes appended)`,
);

// Redraw: the grouped view of 10,000 procs (a 120×40 terminal).
const paint = palette(true);
const redraws: number[] = [];
for (let n = 0; n < 20; n++)
  redraws.push(
    time(() =>
      renderView(table, { title: 'job 5000000', now: Date.now(), width: 120, height: 40, paint, notes: [] }),
    )[0],
  );
const redraw = best(redraws);
const redrawOk = redraw <= 50;
results.push(redrawOk);
console.log(ratioLine('redraw', redraw, 50, '≤ 1 (50 ms)', redrawOk));
follower.close();

// Memory: a child process tracks the whole log; a bare node reports its own peak.
const rss = (args: string[]): number => {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: repoRoot });
  if (r.status !== 0) throw new Error(`memory child failed: ${r.stderr}`);
  return Number(r.stdout.trim().split('\n').pop());
};
const bare = rss(['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS))']);
const tracking = rss(['--import', 'tsx', join(repoRoot, 'bench', 'track', 'memory-child.ts'), logPath]);
const memoryOk = tracking <= 5 * bare;
results.push(memoryOk);
console.log(ratioLine('memory', tracking / 1024, bare / 1024, '≤ 5×', memoryOk, 'MB'));

// Fuzz at full size: many more mutations than the tests' fixed-seed run.
const fuzzLog = time(() => fuzzEventLog(20260301, 20_000));
const fuzzSub = time(() => fuzzSubmitFile(20260302, 5_000));
console.log(
  `fuzz     event log: ${fuzzLog[1]} cases, ${(fuzzLog[0] / 1000).toFixed(1)} s, no crash; submit file: ${fuzzSub[1]} cases, ${(fuzzSub[0] / 1000).toFixed(1)} s, only UserErrors`,
);

process.exit(results.every(Boolean) ? 0 : 1);
