// A local job's process family, tracked as condor_procd tracks one without cgroups: every
// process the job starts inherits an environment marker (procd's environment tracker,
// src/condor_procd/environment_tracker.h, over the _CONDOR_ANCESTOR_<pid> variables of
// src/condor_includes/condor_pidenvid.h:26), so a
// scan of /proc finds all of them, also those that left the job's process group or session
// (`cmd &`, `setsid cmd &`) or ignore SIGTERM. A process is named by its pid and its start time
// (procd keys families by pid + birthday, src/condor_procd/proc_family_monitor.cpp:89), so a
// reused pid is never taken for the runner or signalled by mistake.
import { readdirSync, readFileSync } from 'node:fs';

/** The marker variable: `<runId>/<cluster>.<proc>` for a proc, inherited by everything it starts. */
export const FAMILY_VAR = 'PIXI_CONDOR_FAMILY';

export function familyMarker(runId: string, cluster: number, proc: number): string {
  return `${runId}/${cluster}.${proc}`;
}

/** This boot's id (Linux), null elsewhere: start times count from boot, so a pid + start time is one boot's. */
export function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/** Start time of `pid` in clock ticks since boot (/proc/PID/stat field 22); null without /proc or when gone. */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the `(comm)`, which may hold spaces: field 3 (state) is index 0, starttime (22) is 19.
    const value = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * Is the process that was `pid`, started at `startTime`, still running? Without /proc (macOS)
 * only the pid can be checked. A zombie counts as ended.
 */
export function sameProcessAlive(pid: number, startTime: number | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return startTime === null; // no /proc: the signal probe is all there is
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return false;
  return startTime === null || Number(fields[19]) === startTime;
}

/** Pids of this user's processes whose environment holds FAMILY_VAR=marker (or, with `prefix`, starting with it). */
function familyMembers(marker: string, prefix = false): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const wanted = Buffer.from(`${FAMILY_VAR}=${marker}`);
  const found: number[] = [];
  for (const name of names) {
    if (name.charCodeAt(0) > 57 || name.charCodeAt(0) < 48) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${name}/environ`); // another user's: EACCES, skipped
    } catch {
      continue;
    }
    const at = environ.indexOf(wanted);
    if (at < 0 || (at > 0 && environ[at - 1] !== 0)) continue;
    const end = at + wanted.length;
    if (!prefix && end < environ.length && environ[end] !== 0) continue;
    found.push(pid);
  }
  return found;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // ended meanwhile
    }
  }
}

/**
 * End every process of the family: SIGTERM, then SIGKILL to what is left after `graceMs`
 * (checked every 50 ms, so a family that obeys TERM costs one scan). Returns how many were found.
 */
export async function endFamily(marker: string, options: { prefix?: boolean; graceMs?: number } = {}): Promise<number> {
  const first = familyMembers(marker, options.prefix);
  if (first.length === 0) return 0;
  signalAll(first, 'SIGTERM');
  const deadline = Date.now() + (options.graceMs ?? 2000);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const left = familyMembers(marker, options.prefix).filter((pid) => !isZombie(pid));
    if (left.length === 0) return first.length;
    if (Date.now() >= deadline) {
      signalAll(left, 'SIGKILL');
      return first.length;
    }
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
