// Where a SUBMIT_FILE typed on the command line is. pixi runs every task in the workspace root
// (crates/pixi_task/src/executable_task.rs, working_directory(): no `cwd` → workspace.root())
// and passes the folder it was typed in as INIT_CWD (crates/pixi_cli/src/run.rs:
// `init_cwd = std::env::current_dir()`; docs/reference/environment_variables.md). So a name
// is read first where the user typed it (as condor_submit, or the shell's tab completion,
// would read it), then from the workspace root (where `pixi run submit other.sub` and the
// other scripts look): the same answer with pixi and without it, from any subfolder.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { within } from '../path-within.ts';

/**
 * The folder the command was typed in: INIT_CWD under pixi (only when inside the workspace:
 * npm sets INIT_CWD too, and a stale one from an outer `npm run` must not win), else the cwd.
 */
export function invocationDir(root: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const init = env.INIT_CWD;
  if (env.PIXI_PROJECT_ROOT && init && isAbsolute(init)) {
    if (within(root, resolve(init))) return resolve(init);
  }
  return resolve(cwd);
}

/** The absolute path of a SUBMIT_FILE given on the command line. */
export function resolveSubmitArg(
  arg: string,
  root: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): string {
  if (isAbsolute(arg)) return resolve(arg);
  const here = invocationDir(root, env, cwd);
  const candidates = [...new Set([resolve(here, arg), resolve(root, arg)])];
  const found = candidates.find((path) => existsSync(path));
  if (found) return found;
  throw new UsageError(
    `submit file ${arg} is not in ${here}${here === root ? '' : ` nor in the workspace root ${root}`}`,
    'name a submit file that exists (relative to where you run the command, or to the workspace root), or leave it out to use the one pixi.toml names',
  );
}
