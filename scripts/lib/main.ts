// The one top-level handler every script entry uses: a user error is one line (plus a hint)
// and its exit code; anything else is a bug and keeps its stack.
import { isUserError } from './errors.ts';
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
 * Run a script's main function and turn its outcome into an exit code.
 * `main` returns the exit code (or nothing for 0).
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
  try {
    const code = await main(args);
    process.exitCode = code ?? 0;
  } catch (error) {
    if (isUserError(error)) {
      process.stderr.write(formatUserError(error) + '\n');
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`internal error (a bug in pixi-condor, please report it):\n`);
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 70;
  }
}
