// `pixi run submit`: submit the job with the image build-image recorded, pinned by digest,
// and follow it from its event log until it ends. See docs/submit.md.
import { parseOrHelp } from './lib/cli.ts';
import { runMain } from './lib/main.ts';
import { runSubmit, SUBMIT_SPEC } from './lib/submit/submit-command.ts';

void runMain(async (args) => {
  const parsed = parseOrHelp(SUBMIT_SPEC, args);
  if (!parsed) return 0;
  return runSubmit(parsed);
});
