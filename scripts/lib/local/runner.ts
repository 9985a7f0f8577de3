// The local "schedd": queues every proc of the cluster (000), runs them N at a time, each in a
// slot of its own (slot1_1, slot1_2, ...; GPUs split between them), and removes what is left
// (009) when asked to stop: `pixi run cancel` signalling the runner process (runner-process.ts)
// that owns this run. Removal ends each proc's whole family and container, not only its child.
import { hostname, userInfo } from 'node:os';
import { type EventLogWriter, sinful } from '../event-log/writer.ts';
import type { Shell } from '../shell.ts';
import { removeContainer } from './container-run.ts';
import { type ProcEnd, runProc } from './proc-lifecycle.ts';
import { endFamily, familyMarker } from './process-family.ts';
import type { RunningChild } from './process-run.ts';
import type { RunSpec } from './run-files.ts';

/** The run as spec.json holds it, with each proc's spool folder in place of its key. */
export interface LocalRunOptions extends Omit<RunSpec, 'spoolKeys'> {
  /** Per proc: the folder its last checkpoint is spooled in, or null. */
  spools: (string | null)[];
  writer: EventLogWriter;
  shell: Shell;
  onKept: (proc: number, kept: { existing: string; newPath: string }) => void;
  onFailedBeforeOutput: (proc: number, exit: string, path: string) => void;
  onLeftover: (containerName: string) => void;
}

/** Who removes a job, as the removal events (009) name them; 'unknown' without a passwd entry. */
export function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export interface LocalRunResult {
  ends: Map<number, ProcEnd>;
  /** Why it was stopped early, if it was. */
  removedBy: string | null;
}

export class LocalRun {
  private removing = false;
  private removedBy: string | null = null;
  private readonly running = new Map<number, { child: RunningChild; container: string | null }>();
  private readonly ends = new Map<number, ProcEnd>();
  private finished: Promise<void> | null = null;

  private readonly options: LocalRunOptions;

  constructor(options: LocalRunOptions) {
    this.options = options;
  }

  /** Queue every proc: its submit event (000), as condor_submit leaves it in the log. */
  async queue(): Promise<void> {
    const { options } = this;
    const schedd = sinful(hostname(), `schedd_${process.pid}_local`);
    for (const proc of options.procs)
      if (proc.log)
        await options.writer.write(
          proc.log,
          { cluster: options.cluster, proc: proc.proc },
          { code: 0, submitHost: schedd },
        );
  }

  /** Run the queued procs; resolves when each has completed, been held or removed. */
  async run(): Promise<LocalRunResult> {
    const { options } = this;
    const queue = [...options.procs];
    const workers = Array.from({ length: Math.max(1, Math.min(options.jobs, queue.length)) }, async (_, w) => {
      const gpus =
        options.gpusPerProc > 0 ? options.gpus.slice(w * options.gpusPerProc, (w + 1) * options.gpusPerProc) : [];
      for (;;) {
        if (this.removing) return;
        const proc = queue.shift();
        if (!proc) return;
        const index = options.procs.indexOf(proc);
        const end = await runProc({
          cluster: options.cluster,
          proc,
          image: options.images[index] ?? null,
          policy: options.policies[index]!,
          slotIndex: w + 1,
          gpus,
          allowCpu: options.allowCpu,
          network: options.network,
          runId: options.runId,
          writer: options.writer,
          shell: options.shell,
          scratch: options.scratch,
          familyMarker: familyMarker(options.runId, options.cluster, proc.proc),
          spool: options.spools[index] ?? null,
          removing: () => this.removing,
          onChild: (child, container) => {
            if (child) this.running.set(proc.proc, { child, container });
            else this.running.delete(proc.proc);
          },
          onKept: (kept) => options.onKept(proc.proc, kept),
          onFailedBeforeOutput: (exit, path) => options.onFailedBeforeOutput(proc.proc, exit, path),
          onLeftover: options.onLeftover,
        });
        this.ends.set(proc.proc, end);
      }
    });
    // A worker that fails (a bug, a full disk) takes the run down cleanly: the others are
    // stopped, their procs logged as removed, no container left; then the error is reported.
    let failure: unknown = null;
    this.finished = Promise.all(
      workers.map((w) =>
        w.catch(async (error: unknown) => {
          failure ??= error;
          await this.remove(
            `pixi-condor after an internal error (${error instanceof Error ? error.message : String(error)})`,
          );
        }),
      ),
    ).then(() => {});
    await this.finished;
    if (this.removing) await this.recordRemovals();
    if (failure) {
      await options.writer.flush();
      throw failure;
    }
    await options.writer.flush();
    return { ends: this.ends, removedBy: this.removedBy };
  }

  /**
   * Stop every container and process this run started, and (once they are gone) log 009 for
   * each proc that had not ended. Safe to call more than once.
   */
  async remove(why: string): Promise<void> {
    if (this.removing) return;
    this.removing = true;
    this.removedBy = why;
    await Promise.all(
      [...this.running.entries()].map(async ([proc, { child, container }]) => {
        if (container && !(await removeContainer(this.options.shell, container))) this.options.onLeftover(container);
        child.stop(3000);
        await endFamily(familyMarker(this.options.runId, this.options.cluster, proc), { graceMs: 3000 });
      }),
    );
  }

  private async recordRemovals(): Promise<void> {
    const { options } = this;
    const user = userName();
    for (const proc of options.procs) {
      const end = this.ends.get(proc.proc);
      if (end === 'completed') continue;
      if (proc.log)
        await options.writer.write(
          proc.log,
          { cluster: options.cluster, proc: proc.proc },
          { code: 9, reason: `via ${this.removedBy ?? 'condor_rm'} (by user ${user})` },
        );
      this.ends.set(proc.proc, 'removed');
    }
  }
}
