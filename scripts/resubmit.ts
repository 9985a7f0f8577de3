// `pixi run resubmit [CLUSTER] --failed | --held | --procs LIST`: the procs that did not succeed,
// again, with the same values and image, as a new cluster. See docs/results.md.
import { parseOrHelp } from './lib/cli.ts';
import { runMain } from './lib/main.ts';
import { RESUBMIT_SPEC, runResubmit } from './lib/jobs/resubmit-command.ts';

void runMain(async (args) => {
  const parsed = parseOrHelp(RESUBMIT_SPEC, args);
  if (!parsed) return 0;
  return runResubmit(parsed);
});
