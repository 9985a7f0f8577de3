// `pixi run test`: the test suite, exactly as CI runs it (test/run.ts, which closes with the
// "N passed, N failed" line). Extra arguments: a regex on test file paths, e.g. `condor/`.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseOrHelp, type CommandSpec } from './lib/cli.ts';
import { runMain } from './lib/main.ts';

const spec: CommandSpec = {
  usage: 'pixi run test [PATTERN]',
  summary: 'Run the test suite (uvu). PATTERN is a regex on test file paths, e.g. `validate/`.',
  options: {},
  positionals: { names: 'PATTERN', max: 1 },
  epilog:
    'Tests that need Docker run when PIXI_CONDOR_TEST_DOCKER=1 (set by `source .ci/services.sh`) and\nprint why they skip otherwise.',
  exitCodes: [
    ['0', 'every test passed'],
    ['1', 'a test failed, or none ran'],
    ['2', 'usage error'],
  ],
  docs: 'README.md (Development)',
};

await runMain(async (args) => {
  const parsed = parseOrHelp(spec, args);
  if (!parsed) return 0;
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  // Node >= 22.18 runs TypeScript itself; an older one (20) through tsx.
  const loader = process.features.typescript ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...loader, join(root, 'test', 'run.ts'), ...parsed.positionals], {
    cwd: root,
    stdio: 'inherit',
  });
  return await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
});
