// `pixi run cancel [CLUSTER]`: remove a submitted job (the latest by default) with condor_rm,
// after saying what will be removed. See docs/submit.md.
import { parseOrHelp } from './lib/cli.ts';
import { runMain } from './lib/main.ts';
import { CANCEL_SPEC, runCancel } from './lib/jobs/cancel-command.ts';

void runMain(async (args) => {
  const parsed = parseOrHelp(CANCEL_SPEC, args);
  if (!parsed) return 0;
  return runCancel(parsed);
});
