// A copy of the checkout as a fork has it (scripts/, schema/, package.json; node_modules linked),
// for tests that add to or edit scripts/ or its bundles without touching the checkout, and a task
// run there under bench/lib/module-trace.mjs, which says which modules the run loaded.
import { cpSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';
import { type RunOptions, type RunResult, runCommand } from './process.ts';

/** Can a run's modules be traced (module.registerHooks, Node >= 22.15)? */
export const canTrace = 'registerHooks' in (process.getBuiltinModule('node:module') as object);

/** A new copy of the checkout in a temporary folder (the caller removes it); its path. */
export function copyCheckout(prefix: string): string {
  const checkout = mkdtempSync(join(tmpdir(), prefix));
  for (const path of ['scripts', 'schema', 'package.json'])
    cpSync(join(repoRoot, path), join(checkout, path), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(checkout, 'node_modules'));
  return checkout;
}

/**
 * `node scripts/run.mjs TASK ARGS` of the copy, tracing its modules into `trace`; `loaded`: the
 * URLs of the modules it loaded (null where Node cannot trace them).
 */
export async function runTracedTask(
  checkout: string,
  trace: string,
  task: string,
  args: string[],
  options: RunOptions,
): Promise<RunResult & { loaded: string[] | null }> {
  const result = await runCommand(
    process.execPath,
    [
      '--import',
      join(repoRoot, 'bench', 'lib', 'module-trace.mjs'),
      join(checkout, 'scripts', 'run.mjs'),
      task,
      ...args,
    ],
    { ...options, env: { BENCH_MODULE_TRACE: trace, ...options.env } },
  );
  const loaded = canTrace ? (JSON.parse(readFileSync(trace, 'utf8')) as string[]) : null;
  return { ...result, loaded };
}
