// `pixi run cancel` of a local job: its runner is the detached process that owns it (named by
// pid and start time in the job record); SIGTERM makes it end every proc's process family and
// container and log 009 for each unfinished proc (runner.ts), as condor_rm makes a schedd do.
// A runner that died is recovered instead (runner-recovery.ts): what it left is ended, its
// loss logged, its checkpoints kept.
import { hostname } from 'node:os';
import { UserError } from '../errors.ts';
import type { JobRecord } from '../jobs/job-store.ts';
import { recoverIfRunnerLost, runnerState } from './runner-recovery.ts';

export async function cancelLocal(root: string, record: JobRecord, dryRun: boolean): Promise<number> {
  const { cluster } = record;
  const local = record.local!;
  const state = runnerState(root, record);
  if (state === 'elsewhere')
    throw new UserError(`job ${cluster} runs locally on ${local.host}, not on ${hostname()}`, {
      hint: `run \`pixi run cancel ${cluster}\` there`,
    });
  if (state === 'ended') {
    process.stdout.write(`job ${cluster}'s local runner has finished: nothing is left to remove\n`);
    return 0;
  }
  if (state === 'lost') {
    if (dryRun) {
      process.stdout.write(
        `job ${cluster}'s local runner (pid ${local.pid}) has died: would end what it left running and log the lost run\n`,
      );
      return 0;
    }
    await recoverIfRunnerLost(root, record);
    process.stdout.write(
      `job ${cluster}'s local runner (pid ${local.pid}) had died: ended what it left running, logged the lost run (022, 024, 009); its last checkpoint is kept for \`pixi run resubmit --failed ${record.resubmitOf?.cluster ?? cluster} --local\`\n`,
    );
    return 0;
  }
  if (dryRun) {
    process.stdout.write(`would run: kill -TERM ${local.pid} (the local runner of job ${cluster})\n`);
    return 0;
  }
  process.kill(local.pid, 'SIGTERM');
  process.stdout.write(
    `asked the local runner (pid ${local.pid}) to remove job ${cluster}; the log confirms it: \`pixi run status ${cluster}\`\n`,
  );
  return 0;
}
