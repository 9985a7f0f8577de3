// `pixi run results [CLUSTER]`: one row per proc with its queue variables, outcome and
// metrics.json; results/<cluster>/results.csv; the best run. See docs/results.md.
import { parseOrHelp } from './lib/cli.ts';
import { runMain } from './lib/main.ts';
import { RESULTS_SPEC, runResults } from './lib/jobs/results-command.ts';

void runMain(async (args) => {
  const parsed = parseOrHelp(RESULTS_SPEC, args);
  if (!parsed) return 0;
  // --plot/--html's module, imported only on that path and only in this task's bundle.
  return runResults(parsed, () => import('./lib/results-view/results-view.ts'));
});
