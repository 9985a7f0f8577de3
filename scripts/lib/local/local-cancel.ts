// `pixi run cancel` of a local job: its runner is the `submit --local` process that recorded
// it; SIGTERM makes that process stop what it started and log 009 for each unfinished proc
// (runner.ts), as condor_rm makes a schedd do.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { UserError } from '../errors.ts';
import type { LocalRunRecord } from '../jobs/job-store.ts';

/** Is `pid` alive and a node process running submit (not some later process that reused the id)? */
function runnerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('submit');
  } catch {
    return true; // no /proc (macOS): trust the signal probe
  }
}

export function cancelLocal(cluster: number, local: LocalRunRecord, dryRun: boolean): number {
  if (local.host !== hostname())
    throw new UserError(`job ${cluster} runs locally on ${local.host}, not on this machine`, {
      hint: `run \`pixi run cancel ${cluster}\` there`,
    });
  if (!runnerAlive(local.pid)) {
    process.stdout.write(
      `job ${cluster} ran locally and its runner (pid ${local.pid}) has ended: nothing is left to remove\n`,
    );
    return 0;
  }
  if (dryRun) {
    process.stdout.write(`would run: kill -TERM ${local.pid} (the submit --local process running job ${cluster})\n`);
    return 0;
  }
  process.kill(local.pid, 'SIGTERM');
  process.stdout.write(
    `asked the local runner (pid ${local.pid}) to remove job ${cluster}; the log confirms it: \`pixi run status ${cluster}\`\n`,
  );
  return 0;
}
