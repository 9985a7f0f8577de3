// `node scripts/run.mjs bundle` (pixi's `_install` task, after npm ci): one CommonJS bundle
// per task script in .build/bundles/, which scripts/run.mjs runs while it matches its sources.
// Nothing depends on it but speed: without bundles, or with a stale one, tasks run from source.
import { booleanOption, parseOrHelp, type CommandSpec } from './lib/cli.ts';
import { runMain } from './lib/main.ts';

const spec: CommandSpec = {
  usage: 'node scripts/run.mjs bundle [--best-effort] [--dry-run] [--json]',
  summary:
    'Bundle each task script (scripts/<task>.ts) into .build/bundles/<task>.cjs, so a task starts about as fast as plain Node. ' +
    'scripts/run.mjs runs a bundle only while every file it was built from is unchanged, and the source otherwise.',
  options: {
    'best-effort': {
      type: 'boolean',
      description:
        "a script esbuild cannot build is a warning, exit 0 (pixi's _install: every task depends on it, and runs from source meanwhile)",
    },
    'dry-run': { type: 'boolean', description: 'name the tasks that would be bundled and write nothing' },
    json: { type: 'boolean', description: 'print {built, tasks, inputs, bytes, dir} as JSON' },
  },
  exitCodes: [
    ['0', 'bundled (or esbuild is not installed: the tasks run from source, and this says so)'],
    ['1', 'esbuild failed on a script (without --best-effort)'],
    ['2', 'usage error'],
  ],
  docs: 'README.md (Development)',
};

void runMain(async (args) => {
  const parsed = parseOrHelp(spec, args);
  if (!parsed) return 0;
  const { buildBundles, taskScripts, BUNDLE_DIR } = await import('./lib/bundles.ts');
  const json = booleanOption(parsed, 'json');
  if (booleanOption(parsed, 'dry-run')) {
    const tasks = taskScripts();
    process.stdout.write(
      json
        ? `${JSON.stringify({ built: false, dryRun: true, tasks, dir: BUNDLE_DIR })}\n`
        : `would bundle ${tasks.length} task scripts into ${BUNDLE_DIR}/: ${tasks.join(', ')}\n`,
    );
    return 0;
  }
  const started = performance.now();
  let result: Awaited<ReturnType<typeof buildBundles>>;
  try {
    result = await buildBundles();
  } catch (error) {
    // esbuild's own report names the file, line and column of what it could not read. The
    // bundles built before stay: run.mjs runs each only while its own sources are unchanged.
    const message = error instanceof Error ? error.message : String(error);
    const bestEffort = booleanOption(parsed, 'best-effort');
    process.stderr.write(
      `${bestEffort ? 'warning' : 'error'}: could not bundle the task scripts; tasks whose scripts changed run from source\n${message}\n`,
    );
    return bestEffort ? 0 : 1;
  }
  if (!result) {
    const note = 'esbuild is not installed (npm ci --omit=dev?): the tasks run from source, a little slower to start';
    process.stdout.write(json ? `${JSON.stringify({ built: false, reason: note })}\n` : `${note}\n`);
    return 0;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    json
      ? `${JSON.stringify({ built: true, tasks: result.tasks, inputs: result.inputs, bytes: result.bytes, dir: BUNDLE_DIR })}\n`
      : `bundled ${result.tasks.length} task scripts (${result.inputs} source files, ${Math.round(result.bytes / 1024)} KiB) into ${BUNDLE_DIR}/ in ${seconds} s\n`,
  );
  return 0;
});
