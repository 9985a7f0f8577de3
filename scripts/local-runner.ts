// The detached process that owns a `submit --local` job (started by submit; see docs/local.md).
import { parseOrHelp } from './lib/cli.ts';
import { runMain } from './lib/main.ts';
import { runRunner, RUNNER_SPEC } from './lib/local/runner-process.ts';

void runMain(async (args) => {
  const parsed = parseOrHelp(RUNNER_SPEC, args);
  if (!parsed) return 0;
  return runRunner(parsed);
});
