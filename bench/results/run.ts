// bench/results: `pixi run results` (node scripts/run.mjs results) on a finished sweep of
// 10,000 procs (make-sweep.ts: a job record, the sweep's event log of real fixture events and a
// metrics.json per proc), whole process: the table printed and results.csv written, against the
// fastest plain Node read of the same files (the log and every metrics.json, bench/lib/plain-read.mjs)
// in paired rounds (target <= 2x, issue 21); peak memory against a bare `node -e ''`. Then the
// same once a run has kept the finished job's table (the log not read again), for comparison;
// and the first case again in a workspace that also holds the records of 20 earlier sweeps of
// as many procs (finding the latest job reads their kept heads, not the records: record-heads.ts).
//   RESULTS_BENCH_PROCS=1000 for a quicker run.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../test/helpers/paths.ts';
import { bareNode, loadLine, pairedRatio, task, timeAndPeak } from '../lib/timing.ts';
import { makeSweep } from './make-sweep.ts';
import { outcomesPath } from '../../scripts/lib/jobs/recorded-outcomes.ts';

const PROCS = Number(process.env.RESULTS_BENCH_PROCS ?? 10_000);
const ROUNDS = Number(process.env.RESULTS_BENCH_ROUNDS ?? 7);
const root = join(repoRoot, 'bench', 'out', 'results');
rmSync(root, { recursive: true, force: true });
mkdirSync(root, { recursive: true });
const started = performance.now();
const sweep = makeSweep(root, PROCS, PROCS * 2200);
const list = join(root, 'files.txt');
writeFileSync(list, sweep.files.join('\n'));
console.log(
  `sweep: ${PROCS} procs, ${sweep.files.length} files (the log and a metrics.json each), made in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

// The case: the log read (no table kept from a run before); then the same sweep once a
// run has kept the finished job's table beside its record (recorded-outcomes.ts), as every run
// after the first finds it.
const kept = outcomesPath(root, sweep.cluster);
const results = { ...task('results', [], { PIXI_PROJECT_ROOT: root }), before: () => rmSync(kept, { force: true }) };
const again = task('results', [], { PIXI_PROJECT_ROOT: root });
const plain = { argv: [process.execPath, join(repoRoot, 'bench', 'lib', 'plain-read.mjs'), `@${list}`] };
const r = pairedRatio(results, plain, ROUNDS);
const k = pairedRatio(again, plain, ROUNDS);
const bare = timeAndPeak(bareNode).peakKb;
const ok = r.ratio <= 2;
console.log(
  `results, ${PROCS}-proc sweep, its log read: ${r.ms.toFixed(0)} ms / plain read ${r.baseMs.toFixed(0)} ms = ${r.ratio.toFixed(2)}x (target <= 2x, ${ok ? 'met' : 'NOT met'}); ` +
    `peak ${(r.peakKb / 1024).toFixed(0)} MB = ${(r.peakKb / bare).toFixed(2)}x bare node [median of ${ROUNDS} paired rounds; ${loadLine()}]`,
);
console.log(
  `  again, its table kept by the run before (the log not read): ${k.ms.toFixed(0)} ms / ${k.baseMs.toFixed(0)} ms = ${k.ratio.toFixed(2)}x; peak ${(k.peakKb / 1024).toFixed(0)} MB`,
);

// Earlier sweeps: the same record under older clusters and dates, as a project's history leaves them.
const EARLIER = 20;
const recordText = readFileSync(join(root, '.pixi-condor', 'jobs', `${sweep.cluster}.json`), 'utf8');
for (let k = 1; k <= EARLIER; k++) {
  const record = JSON.parse(recordText);
  record.cluster = sweep.cluster - k;
  record.submittedAt = `2026-02-${String(k).padStart(2, '0')}T08:00:00.000Z`;
  writeFileSync(join(root, '.pixi-condor', 'jobs', `${record.cluster}.json`), JSON.stringify(record));
}
const h = pairedRatio(results, plain, ROUNDS);
console.log(
  `  with ${EARLIER} earlier ${PROCS}-proc sweeps' records in the workspace: ${h.ms.toFixed(0)} ms / ${h.baseMs.toFixed(0)} ms = ${h.ratio.toFixed(2)}x (one record: ${r.ratio.toFixed(2)}x); peak ${(h.peakKb / 1024).toFixed(0)} MB (one record: ${(r.peakKb / 1024).toFixed(0)} MB)`,
);
process.exit(ok ? 0 : 1);
