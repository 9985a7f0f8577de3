// The step every pool submission shares (submit; resubmit can call it too): condor_submit →
// the job record → follow. The submission's tag goes to disk before condor_submit runs and is
// removed once the record is written, so neither a SIGKILL nor a full disk loses a queued job;
// Ctrl-C while it runs is held until the record is written, then stops the follow.
import { hostname } from 'node:os';
import { jobRecordPath, type JobRecord } from '../jobs/job-store.ts';
import { queueProbe } from '../jobs/queue-probe.ts';
import type { WatchSettings } from '../jobs/status-command.ts';
import { EXIT_INTERRUPTED } from '../jobs/summary.ts';
import { recordWatch, stillQueued, watchJob } from '../jobs/watch.ts';
import { UserError } from '../errors.ts';
import { shellQuote, type Shell } from '../shell.ts';
import { procRecord, type ProcSpec } from '../submit-language/submit-plan.ts';
import { displayPath, STATE_DIR } from '../workspace.ts';
import { deferSignals, runCondorSubmit } from './condor-submit.ts';
import { removePendingSubmission, writePendingSubmission } from './pending-submission.ts';
import { procsOfCluster, writeClusterRecord, type JobDraft } from './record-job.ts';
import type { SubmittedCluster } from './submit-output.ts';

/** A submission ready to go: everything but the cluster, gathered before condor_submit runs. */
export interface Submission {
  root: string;
  /** The tag that finds the job should condor_submit never say its cluster. */
  submitId: string;
  /** The record's fields; `job.command` is the condor_submit argv that runs. */
  job: JobDraft;
  /** The `-append` lines (the submission's tag among them). */
  append: string[];
  /** The command line's `NAME=VALUE` defines. */
  defines: Record<string, string>;
  /** The procs as previewed (`$(Cluster)` unresolved). */
  previewProcs: ProcSpec[];
}

export interface Submitted {
  cluster: SubmittedCluster;
  record: JobRecord;
  /** The signal that arrived while condor_submit ran (held until the record was written). */
  interrupted: NodeJS.Signals | null;
}

/**
 * Write the submission's tag, run condor_submit, write the job record, remove the tag. A
 * failed condor_submit removes the tag (nothing was queued, or the error says how to look);
 * a record that cannot be written leaves it, for `status` to adopt the job by it.
 */
export async function submitAndRecord(
  shell: Shell,
  submission: Submission,
  say: (line?: string) => void,
  warn: (line: string) => void,
): Promise<Submitted> {
  const { root, submitId, job } = submission;
  const signals = deferSignals();
  let cluster: SubmittedCluster;
  let record: JobRecord;
  try {
    // The tag goes to disk first: even a SIGKILL while condor_submit runs leaves what `status`
    // needs to find the job (by its tag), and a folder that cannot take the record stops us
    // here, before anything is queued.
    const startedAt = new Date().toISOString();
    await writePendingSubmission(root, {
      version: 1,
      submitId,
      startedAt,
      pid: process.pid,
      host: hostname(),
      ...job,
      append: submission.append,
      defines: submission.defines,
      procs: submission.previewProcs.map(procRecord),
    });
    say();
    say(`$ ${job.command.map(shellQuote).join(' ')}`);
    try {
      cluster = await runCondorSubmit(shell, job.command, root, submitId, signals, warn);
    } catch (error) {
      // Nothing was queued (or condor_q cannot find it by its tag; the error says how to look).
      await removePendingSubmission(root, submitId);
      throw error;
    }
    record = await recordJob(root, cluster, job, submission, startedAt, warn);
    await removePendingSubmission(root, submitId);
  } finally {
    signals.restore();
  }
  return { cluster, record, interrupted: signals.received };
}

/**
 * Write .pixi-condor/jobs/<cluster>.json for a job condor_submit has queued. The procs come
 * from the submit file read with the real cluster id; should that fail, from the preview.
 * Should the record not be written, the submission's tag stays: `status` finds the job by it.
 */
async function recordJob(
  root: string,
  cluster: SubmittedCluster,
  draft: JobDraft,
  submission: Pick<Submission, 'append' | 'defines' | 'previewProcs'>,
  submittedAt: string,
  warn: (line: string) => void,
): Promise<JobRecord> {
  const { append, defines, previewProcs } = submission;
  const { procs, problem } = procsOfCluster(
    root,
    draft,
    append,
    defines,
    cluster.cluster,
    previewProcs.map(procRecord),
  );
  let jobRecord: JobRecord;
  try {
    jobRecord = await writeClusterRecord(root, cluster, draft, submittedAt, procs);
  } catch (error) {
    throw new UserError(
      `job ${cluster.cluster} was submitted, but ${displayPath(root, jobRecordPath(root, cluster.cluster))} could not be written: ${(error as Error).message}`,
      {
        hint: `\`pixi run status\` records and follows it once ${STATE_DIR} takes the record (it finds the job by its submission tag); or follow it with \`pixi run status --log ${procs[0]?.log ? displayPath(root, procs[0].log) : 'LOG'} --follow\`, or remove it with \`condor_rm ${cluster.cluster}\``,
      },
    );
  }
  if (problem)
    warn(
      `warning: the submit file could not be read again for cluster ${cluster.cluster} (${problem}); the record keeps the previewed paths`,
    );
  if (procs.length !== cluster.count)
    warn(
      `warning: condor_submit queued ${cluster.count} proc(s), the submit file reads as ${procs.length}; following what the log shows`,
    );
  return jobRecord;
}

export interface FollowOptions {
  root: string;
  shell: Shell;
  settings: WatchSettings;
  /** --no-wait: record the job and exit. */
  noWait: boolean;
  say: (line?: string) => void;
  printJson: (doc: unknown) => void;
}

/**
 * After the record: say what was submitted, then stop (a signal came during condor_submit, or
 * --no-wait) or follow the job to its end; the exit code is the job's (docs/submit.md).
 */
export async function afterSubmit(submitted: Submitted, options: FollowOptions): Promise<number> {
  const { cluster, record } = submitted;
  const { root, settings, say, printJson } = options;
  const recordPath = displayPath(root, jobRecordPath(root, cluster.cluster));
  say(
    `submitted job ${cluster.cluster} (${cluster.count} proc${cluster.count === 1 ? '' : 's'}), recorded in ${recordPath}`,
  );
  const summary = { cluster: cluster.cluster, procs: cluster.count, record: recordPath };
  if (submitted.interrupted) {
    if (settings.json) printJson({ ...summary, watching: false });
    process.stderr.write(stillQueued(`stopped before watching (${submitted.interrupted})`, cluster.cluster));
    return EXIT_INTERRUPTED;
  }
  if (options.noWait) {
    if (settings.json) printJson({ ...summary, watching: false });
    say(`follow it with \`pixi run status ${cluster.cluster}\`; remove it with \`pixi run cancel ${cluster.cluster}\``);
    return 0;
  }
  say();
  return watchJob({
    ...recordWatch(root, record),
    ...settings,
    referenceTime: Date.now(),
    probe: queueProbe(options.shell, cluster.cluster, root),
  });
}
