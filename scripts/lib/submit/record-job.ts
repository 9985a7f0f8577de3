// The job record of a queued cluster (.pixi-condor/jobs/<cluster>.json): its procs come from the
// submit file read again with the real cluster id; should that fail (the file changed or went),
// from the preview read before submitting, with its `$(Cluster)` filled in. The command line's
// `NAME=VALUE` defines go in again, or the procs would differ from what condor_submit queued. Used by submit right
// after condor_submit, and by status/cancel when they adopt an interrupted submission.
import { submitEnvironment } from '../secret-mask.ts';
import { resolve } from 'node:path';
import { jobRecordPath, writeJobRecord, type JobRecord, type ProcRecord } from '../jobs/job-store.ts';
import { planSubmit, procRecord, readSubmitStatements } from '../submit-language/submit-plan.ts';
import { displayPath } from '../workspace.ts';
import type { SubmittedCluster } from './submit-output.ts';

/** Everything the record holds that does not depend on the cluster. */
export type JobDraft = Pick<
  JobRecord,
  'submitFile' | 'batchName' | 'image' | 'gitRevision' | 'command' | 'defines' | 'userAppend' | 'resubmitOf'
>;

/** The planner's stand-in for the cluster id before there is one. */
const PREVIEW_CLUSTER = '$(Cluster)';

/** A preview proc with the real cluster id where the preview had `$(Cluster)`. */
export function withCluster(proc: ProcRecord, cluster: number): ProcRecord {
  const fill = (text: string): string => text.split(PREVIEW_CLUSTER).join(String(cluster));
  const fillNullable = (text: string | null): string | null => (text === null ? null : fill(text));
  return {
    ...proc,
    log: fillNullable(proc.log),
    output: fillNullable(proc.output),
    error: fillNullable(proc.error),
    executable: fillNullable(proc.executable),
    arguments: proc.arguments.map(fill),
    iwd: fill(proc.iwd),
    transferInputFiles: proc.transferInputFiles.map(fill),
    transferOutputFiles: proc.transferOutputFiles ? proc.transferOutputFiles.map(fill) : null,
  };
}

/** The procs of `cluster`: the submit file planned again, or the preview with the cluster filled in. */
export function procsOfCluster(
  root: string,
  draft: JobDraft,
  append: string[],
  defines: Record<string, string>,
  cluster: number,
  preview: ProcRecord[],
): { procs: ProcRecord[]; problem: string | null } {
  try {
    const statements = readSubmitStatements(resolve(root, draft.submitFile), draft.submitFile);
    const plan = planSubmit(statements, {
      submitFile: draft.submitFile,
      cwd: root,
      ...submitEnvironment(root),
      cluster,
      append,
      defines,
      batchName: draft.batchName,
    });
    return { procs: plan.procs.map(procRecord), problem: null };
  } catch (error) {
    return {
      procs: preview.map((p) => withCluster(p, cluster)),
      problem: error instanceof Error ? error.message : String(error),
    };
  }
}

/** Write the record; the caller says what to do when it cannot be written. */
export async function writeClusterRecord(
  root: string,
  cluster: SubmittedCluster,
  draft: JobDraft,
  submittedAt: string,
  procs: ProcRecord[],
): Promise<JobRecord> {
  const record: JobRecord = { version: 1, cluster: cluster.cluster, ...draft, submittedAt, procs };
  await writeJobRecord(root, record);
  return record;
}

export function recordDisplayPath(root: string, cluster: number): string {
  return displayPath(root, jobRecordPath(root, cluster));
}
