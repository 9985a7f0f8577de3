// `pixi run status [CLUSTER]`: follow a submitted job (the latest by default) from its event
// log, or read any event log with --log PATH. See docs/submit.md.
import { parseOrHelp } from './lib/cli.ts';
import { runMain } from './lib/main.ts';
import { runStatus, STATUS_SPEC } from './lib/jobs/status-command.ts';

void runMain(async (args) => {
  const parsed = parseOrHelp(STATUS_SPEC, args);
  if (!parsed) return 0;
  return runStatus(parsed);
});
