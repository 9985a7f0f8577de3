// bench/status: `pixi run status --once` (node scripts/run.mjs status --once) on a finished
// 1-proc job, whole process, against a bare `node -e ''` measured in the same run (target
// <= 2.5x, issue 14), and the modules it loads. The job is a real record and event log, made by
// `submit` against the HTCondor stand-in (test/condor/bin) replaying a real CHTC log.
import { join } from 'node:path';
import { eventLogDir } from '../../test/condor/fixtures.ts';
import { makeWorkspace } from '../../test/condor/workspace.ts';
import { runScript } from '../../test/helpers/process.ts';
import { bareNode, fromSource, pairedMedians, ratioLine, reportTrace, task } from '../lib/timing.ts';

const ROUNDS = Number(process.env.BENCH_RUNS ?? 11);
const ws = await makeWorkspace();
try {
  ws.scenario({ mode: 'ok', log: join(eventLogDir, 'chtc_hello_gpu_docker_gpu.log'), delayMs: 10 });
  const submitted = await runScript('submit.ts', ['--interval', '40'], { env: ws.env, timeoutMs: 60_000 });
  if (submitted.code !== 0) throw new Error(`submit failed:\n${submitted.stdout}${submitted.stderr}`);
  const status = task('status', ['--once'], ws.env);
  const times = pairedMedians({ node: bareNode, status, source: fromSource(status) }, ROUNDS);
  console.log(ratioLine('status --once, finished 1-proc job', times.status, times.node, "node -e ''", 2.5));
  console.log(
    `  from source (PIXI_CONDOR_FROM_SOURCE=1, an edited script before _install bundles it): ${(times.source / times.node).toFixed(2)}x`,
  );
  reportTrace('status --once', status, ['zx', 'dockerfile-ast', 'js-yaml', 'smol-toml', 'ajv', 'tsx', 'undici']);
} finally {
  ws.cleanup();
}
