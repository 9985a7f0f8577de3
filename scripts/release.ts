// `pixi run release [CLUSTER[.PROC]]`: raise a held proc's memory or disk request in the queued
// job (condor_qedit) and condor_release it. See docs/long-runs.md.
import { parseOrHelp } from './lib/cli.ts';
import { runMain } from './lib/main.ts';
import { RELEASE_SPEC, runRelease } from './lib/jobs/release-command.ts';

void runMain(async (args) => {
  const parsed = parseOrHelp(RELEASE_SPEC, args);
  if (!parsed) return 0;
  return runRelease(parsed);
});
