// `pixi run test`: the test suite, exactly as CI runs it (test/run.ts, which closes with the
// "N passed, N failed" line). Extra arguments: a regex on test file paths, e.g. `condor/`.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseOrHelp, type CommandSpec } from './lib/cli.ts';
import { runMain } from './lib/main.ts';
import { REPO_ROOT } from './lib/repo-root.ts';

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

void runMain(async (args) => {
  const parsed = parseOrHelp(spec, args);
  if (!parsed) return 0;
  const root = REPO_ROOT;
  // The tests run the tasks as pixi does (`node scripts/run.mjs <task>`), so from the bundles
  // `_install` builds: build them first, from these sources.
  const { buildBundles, BUNDLE_DIR } = await import('./lib/bundles.ts');
  const started = performance.now();
  let bundled: Awaited<ReturnType<typeof buildBundles>>;
  try {
    bundled = await buildBundles(root);
  } catch (error) {
    process.stderr.write(
      `error: could not bundle the task scripts\n${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
  process.stdout.write(
    bundled
      ? `bundled ${bundled.tasks.length} task scripts into ${BUNDLE_DIR}/ in ${((performance.now() - started) / 1000).toFixed(1)} s\n`
      : 'esbuild is not installed: the tasks run from source\n',
  );
  // Node >= 22.18 runs TypeScript itself; an older one (20) through tsx.
  const loader = process.features.typescript ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...loader, join(root, 'test', 'run.ts'), ...parsed.positionals], {
    cwd: root,
    stdio: 'inherit',
  });
  return await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
});
