// A proc's own cgroup, where the machine lets this user make one (cgroup v2, a writable
// hierarchy): what condor_procd's cgroup tracker does (src/condor_procd/cgroup_tracker.linux.cpp),
// catching also a process that cleared its environment marker. Best effort: wherever cgroups are
// not writable (most workstations without systemd's delegation, cgroup v1, macOS) nothing is
// made and the marker scan (process-family.ts) is the tracking; every failure here falls back to it.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';

/** This process's cgroup v2 folder, or null (no unified hierarchy mounted at /sys/fs/cgroup). */
function ownCgroup(): string | null {
  try {
    if (!existsSync(join(ROOT, 'cgroup.controllers'))) return null;
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    return line ? join(ROOT, line.slice(3).trim()) : null;
  } catch {
    return null;
  }
}

export interface ProcCgroup {
  /** Move the job's first process in (its children forked after this follow it). */
  adopt(pid: number): void;
  /** Kill everything in it (cgroup.kill, else each pid), then remove it. */
  end(): Promise<void>;
}

/** A fresh cgroup named after the family marker, or null where none can be made. */
export function procCgroup(marker: string): ProcCgroup | null {
  const parent = ownCgroup();
  if (!parent) return null;
  const dir = join(parent, `pixi-condor-${marker.replace(/[^A-Za-z0-9._-]/g, '_')}`);
  try {
    mkdirSync(dir);
  } catch {
    return null;
  }
  let adopted = false;
  return {
    adopt(pid) {
      try {
        writeFileSync(join(dir, 'cgroup.procs'), String(pid));
        adopted = true;
      } catch {
        // not allowed to move it: the marker scan still finds its family
      }
    },
    async end() {
      for (let attempt = 0; attempt < 40; attempt++) {
        const pids = members(dir);
        if (pids.length === 0) break;
        if (!adopted) break;
        try {
          writeFileSync(join(dir, 'cgroup.kill'), '1'); // Linux 5.14+
        } catch {
          for (const pid of pids) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // ended meanwhile
            }
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      try {
        rmdirSync(dir);
      } catch {
        // still populated (bounded wait above ran out) or already gone
      }
    },
  };
}

function members(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
