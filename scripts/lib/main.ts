// The one top-level handler every script entry uses: a user error is one line (plus a hint)
// and its exit code; anything else is a bug and keeps its stack.
import { join } from 'node:path';
import { isUserError } from './errors.ts';
import { REPO_ROOT } from './repo-root.ts';
import { stderrPalette } from './term.ts';

export function formatUserError(
  error: { located: string; hint?: string | undefined },
  paint = stderrPalette(),
): string {
  const lines = [`${paint.red('error:')} ${error.located}`];
  if (error.hint) lines.push(`${paint.dim('hint:')} ${error.hint}`);
  return lines.join('\n');
}

/**
 * The npm package a failed import could not find (`npm ci` was not run in this checkout), or
 * null. scripts/run.mjs says the same for the imports it makes itself.
 */
export function missingPackage(error: unknown): string | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = String((error as Error | null)?.message);
  // import: ERR_MODULE_NOT_FOUND "Cannot find package 'x'"; require: MODULE_NOT_FOUND "Cannot find module 'x'".
  if (code === 'ERR_MODULE_NOT_FOUND') return /Cannot find package '([^']+)'/.exec(message)?.[1] ?? null;
  if (code === 'MODULE_NOT_FOUND') return /Cannot find module '([^'./][^']*)'/.exec(message)?.[1] ?? null;
  return null;
}

/**
 * Run a script's main function and turn its outcome into an exit code.
 * `main` returns the exit code (or nothing for 0). Entries call it as `void runMain(…)`, not with
 * a top-level await: their bundles are CommonJS (scripts/lib/bundles.ts), and this never rejects.
 */
export async function runMain(
  main: (args: string[]) => Promise<number | undefined>,
  args = process.argv.slice(2),
): Promise<void> {
  // `pixi run submit --dry-run | head`: a reader that went away is not an error of ours.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      // Any other write failure (a full disk behind a redirect): one line, not a stack.
      try {
        process.stderr.write(`error: cannot write output: ${error.code ?? error.message}\n`);
      } catch {
        // stderr itself is gone: the exit code has to say it
      }
      process.exit(1);
    });
  }
  // Without a top-level await, a main whose promise never settles would end the process with
  // exit 0 once nothing else is pending: 'beforeExit' (not fired by process.exit) says so instead.
  const unsettled = (): void => {
    process.stderr.write(
      'internal error (a bug in pixi-condor, please report it): the task ended while still waiting (a promise that never settled)\n',
    );
    process.exitCode = 70;
  };
  process.once('beforeExit', unsettled);
  try {
    const code = await main(args);
    process.exitCode = code ?? 0;
  } catch (error) {
    if (isUserError(error)) {
      process.stderr.write(formatUserError(error) + '\n');
      process.exitCode = error.exitCode;
      return;
    }
    const missing = missingPackage(error);
    if (missing) {
      const root = REPO_ROOT;
      process.stderr.write(
        formatUserError({
          located: `the npm package '${missing}' that the scripts need is not installed in ${join(root, 'node_modules')}`,
          hint: `run \`npm ci\` in ${root} (\`pixi run\` does it through the _install task)`,
        }) + '\n',
      );
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`internal error (a bug in pixi-condor, please report it):\n`);
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 70;
  } finally {
    process.off('beforeExit', unsettled);
  }
}
