// Run by bench/track/run.ts in its own process: track a whole event log (parser + follower +
// state table, as `status` does) and print the peak resident set size in KiB.
import { JobTable } from '../../scripts/lib/jobs/job-state.ts';
import { LogFollower } from '../../scripts/lib/event-log/log-follower.ts';
// @ts-expect-error: a plain .mjs module without types
import { peakRssKb } from '../lib/peak-rss.mjs';

const path = process.argv[2]!;
const table = new JobTable(null, { changes: false });
const follower = new LogFollower(path, { reuse: true, onEvent: (e) => table.apply(e) });
follower.poll();
follower.finish();
if (table.size === 0) throw new Error('no jobs tracked');
process.stdout.write(`${table.size} jobs\n${peakRssKb()}\n`);
