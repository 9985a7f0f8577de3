// A folder that holds a secret (the temporary registry login) must not outlive the run, also
// when the run is cut short. On SIGINT, SIGTERM or SIGHUP Node's default is to die at once,
// running neither `finally` blocks nor 'exit' handlers: while such a folder exists, these
// signals remove it first and then exit as a shell reports a signal death (128 + its number).
import { rmSync } from 'node:fs';
import { constants } from 'node:os';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Remove `path` (recursively) if the process exits or is signalled before the returned
 * `release` is called. Call `release` once the folder is gone by the normal route.
 */
export function removeOnExit(path: string, what = 'the temporary registry login'): () => void {
  const remove = () => rmSync(path, { recursive: true, force: true });
  const onSignal = (signal: NodeJS.Signals) => {
    remove();
    try {
      process.stderr.write(`\ninterrupted (${signal}): removed ${what}\n`);
    } catch {
      // stderr is gone: the exit code still says it
    }
    process.exit(128 + (constants.signals[signal] ?? 0));
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  // process.exit() from anywhere (runMain's closed-pipe handler) skips pending `finally` blocks too.
  process.on('exit', remove);
  return () => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('exit', remove);
  };
}
