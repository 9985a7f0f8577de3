// Run by bench/track/run.ts in its own process: track a whole event log (parser + follower +
// state table, as `status` does) and print the peak resident set size in KiB.
import { JobTable } from '../../scripts/lib/jobs/job-state.ts';
import { LogFollower } from '../../scripts/lib/event-log/log-follower.ts';

const path = process.argv[2]!;
const table = new JobTable();
const follower = new LogFollower(path, { onEvent: (e) => table.apply(e) });
follower.poll();
follower.finish();
if (table.jobs.size === 0) throw new Error('no jobs tracked');
process.stdout.write(`${table.jobs.size} jobs\n${process.resourceUsage().maxRSS}\n`);
