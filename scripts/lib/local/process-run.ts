// What a local job runs as: a child process whose stdout/stderr go straight into the submit
// file's output/error files (so they grow while it runs, as stream_output does), that can be
// stopped, and whose memory is sampled. Spawned with node:child_process rather than the Shell
// gateway: the gateway buffers output and cannot hand a child file descriptors or stop it.
import { spawn } from 'node:child_process';
import { closeSync, readdirSync, readFileSync } from 'node:fs';
import { openJobInput, openJobOutput } from './sandbox-wall.ts';
import { constants as osConstants } from 'node:os';
import type { CpuTimes, Exit } from '../event-log/writer.ts';
import { FAMILY_VAR } from './process-family.ts';

export interface ChildSpec {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** FAMILY_VAR's value: every process the child starts inherits it (process-family.ts). */
  familyMarker: string | null;
  /** The job's stdin (`input`); null: nothing (/dev/null). */
  stdinPath?: string | null;
  /** null: /dev/null. */
  stdoutPath: string | null;
  stderrPath: string | null;
  /** Open the output files for appending (a restart) instead of truncating them. */
  append: boolean;
}

export interface ChildExit {
  exit: Exit;
}

export interface RunningChild {
  pid: number | undefined;
  done: Promise<ChildExit>;
  /** SIGTERM to its process group, SIGKILL after `graceMs`. */
  stop(graceMs?: number): void;
  /** Peak resident memory of the process group so far (KiB), sampled about once a second. */
  peakRssKb(): number;
  /** CPU time used, where it can be measured (a container's cgroup), else null. */
  cpuTimes?: () => CpuTimes | null;
}

const PAGE_KB = 4;

/** Resident KiB of every process in process group `pgid` (from /proc; 0 where /proc is absent). */
export function groupRssKb(pgid: number): number {
  let total = 0;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the `(comm)`, which may hold spaces: state ppid pgrp ... rss is field 24.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) total += Number(fields[21]) * PAGE_KB;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

export function startChild(spec: ChildSpec, sampleMemory: boolean): RunningChild {
  // stdin first (os_proc.cpp): one that cannot be opened leaves no output file opened or truncated.
  const input = spec.stdinPath ? openJobInput(spec.stdinPath) : 'ignore';
  const out = spec.stdoutPath ? openJobOutput(spec.stdoutPath, spec.append) : 'ignore';
  const err =
    spec.stderrPath && spec.stderrPath === spec.stdoutPath
      ? out
      : spec.stderrPath
        ? openJobOutput(spec.stderrPath, spec.append)
        : 'ignore';
  // Its own process group: a terminal's Ctrl-C reaches the runner, which stops the job itself
  // (and records it), and stop() reaches every process the job started.
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.familyMarker ? { ...spec.env, [FAMILY_VAR]: spec.familyMarker } : spec.env,
    stdio: [input, out, err],
    detached: true,
  });
  for (const fd of new Set([input, out, err])) if (typeof fd === 'number') closeSync(fd);
  let peak = 0;
  const sampler =
    sampleMemory && child.pid !== undefined
      ? setInterval(() => {
          peak = Math.max(peak, groupRssKb(child.pid!));
        }, 1000)
      : null;
  sampler?.unref();
  let killTimer: NodeJS.Timeout | null = null;
  const done = new Promise<ChildExit>((resolve) => {
    child.on('error', (error) => {
      if (sampler) clearInterval(sampler);
      // Could not start it at all (ENOENT, EACCES): as the starter reports, exit status 127/126.
      const code = (error as NodeJS.ErrnoException).code === 'EACCES' ? 126 : 127;
      resolve({ exit: { returnValue: code } });
    });
    child.on('exit', (code, signal) => {
      if (sampler) clearInterval(sampler);
      if (killTimer) clearTimeout(killTimer);
      resolve({
        exit: signal !== null ? { signal: osConstants.signals[signal] ?? 9 } : { returnValue: code ?? 0 },
      });
    });
  });
  const signalGroup = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
    }
  };
  return {
    pid: child.pid,
    done,
    stop(graceMs = 5000) {
      signalGroup('SIGTERM');
      killTimer ??= setTimeout(() => signalGroup('SIGKILL'), graceMs);
      killTimer.unref();
    },
    peakRssKb: () => Math.max(peak, child.pid !== undefined && child.exitCode === null ? groupRssKb(child.pid) : 0),
  };
}
