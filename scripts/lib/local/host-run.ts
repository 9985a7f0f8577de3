// `universe = vanilla`: the job runs on this machine, in its sandbox, as the invoking user.
import { startChild, type RunningChild } from './process-run.ts';

export interface HostLaunch {
  /** Path of the executable to run (in the sandbox when it was transferred). */
  executable: string;
  args: string[];
  sandbox: string;
  /** Where it runs: the sandbox, or initialdir with should_transfer_files = NO. */
  workdir: string;
  env: Map<string, string>;
  familyMarker: string | null;
  /** The job's stdin file (`input`), or null. */
  stdinPath?: string | null;
  stdoutPath: string | null;
  stderrPath: string | null;
  append: boolean;
}

/** The command, for --dry-run and messages. */
export function hostArgv(launch: Pick<HostLaunch, 'executable' | 'args'>): string[] {
  return [launch.executable, ...launch.args];
}

export function startHost(launch: HostLaunch): RunningChild {
  return startChild(
    {
      command: launch.executable,
      args: launch.args,
      cwd: launch.workdir,
      env: Object.fromEntries(launch.env),
      familyMarker: launch.familyMarker,
      stdinPath: launch.stdinPath,
      stdoutPath: launch.stdoutPath,
      stderrPath: launch.stderrPath,
      append: launch.append,
    },
    true,
  );
}
