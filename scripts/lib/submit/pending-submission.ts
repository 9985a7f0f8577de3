// The submission tag, written before condor_submit runs: `.pixi-condor/jobs/pending-<id>.json`
// holds everything the job record needs except the cluster, and the `+PixiCondorSubmitId` the
// job carries. Writing it first is also the proof that the folder takes the record (not
// read-only, not full), so nothing is queued that could not be recorded. Should submit be
// killed outright (SIGKILL, a lost machine) while condor_submit runs, `status` and `cancel`
// adopt the tag: condor_q -constraint finds its cluster, and the record is written then.
import { processAlive } from '../process-alive.ts';
import { mkdir, readdir, rename, rm, statfs, access, constants } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { writeJsonAtomic } from '../atomic-file.ts';
import { readBoundedText } from '../bounded-read.ts';
import {
  JOBS_DIR,
  MAX_RECORD_BYTES,
  type ProcRecord,
  SUBMISSION_INPUT_FIELDS,
  submissionInputs,
} from '../jobs/job-store.ts';
import { object } from '../record-shape.ts';
import type { Shell } from '../shell.ts';
import { UserError } from '../errors.ts';
import { displayPath, STATE_DIR } from '../workspace.ts';
import { lookupSubmission, SUBMIT_ID_ATTRIBUTE } from './condor-submit.ts';
import type { JobDraft } from './record-job.ts';

export interface PendingSubmission extends JobDraft {
  version: 1;
  submitId: string;
  /** When submit started condor_submit (ISO): the record's submittedAt. */
  startedAt: string;
  /** The submit process, to tell a submission still running from an interrupted one. */
  pid: number;
  host: string;
  /** The `-append` lines, to read the submit file again with the real cluster. */
  append: string[];
  /** The command line's `NAME=VALUE` defines, likewise (absent in a tag of an older version: none). */
  defines?: Record<string, string>;
  /** The procs as previewed before submitting (`$(Cluster)` unresolved). */
  procs: ProcRecord[];
}

const PENDING = /^pending-([0-9a-f-]{36})\.json$/;

export function pendingPath(root: string, submitId: string): string {
  return join(root, JOBS_DIR, `pending-${submitId}.json`);
}

/** Free bytes the final record needs beside the tag: the record, its temp copy, and some slack. */
export function roomNeeded(recordBytes: number): number {
  return 2 * recordBytes + 16 * 1024;
}

/**
 * Why the jobs folder cannot take a record of about `recordBytes`, or null when it can: it (or
 * the nearest folder above it that exists) must be writable and have room. Writes nothing.
 */
export async function jobsFolderProblem(root: string, recordBytes: number): Promise<string | null> {
  let dir = join(root, JOBS_DIR);
  for (;;) {
    try {
      await access(dir, constants.F_OK);
      break;
    } catch {
      const parent = dirname(dir);
      if (parent === dir) return `${displayPath(root, dir)} does not exist`;
      dir = parent;
    }
  }
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    return `${displayPath(root, dir)} is not writable (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  try {
    const fs = await statfs(dir);
    const free = Number(fs.bavail) * Number(fs.bsize);
    if (free < roomNeeded(recordBytes))
      return `${displayPath(root, dir)} has ${free} bytes free; the job record needs about ${roomNeeded(recordBytes)}`;
  } catch {
    // statfs unsupported here: writing the submission tag first still proves there is room
  }
  return null;
}

/** Write the tag, after checking there is room for the record that follows it. */
export async function writePendingSubmission(root: string, pending: PendingSubmission): Promise<void> {
  const bytes = Buffer.byteLength(JSON.stringify(pending, null, 2));
  await mkdir(join(root, JOBS_DIR), { recursive: true });
  const fail = (problem: string): UserError =>
    new UserError(`nothing was submitted: ${JOBS_DIR} cannot hold the job record (${problem})`, {
      hint: `free some space or make ${STATE_DIR} writable, then run \`pixi run submit\` again: a job whose record cannot be written could not be followed`,
    });
  try {
    await mkdir(join(root, JOBS_DIR), { recursive: true });
  } catch (error) {
    throw fail(`${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const problem = await jobsFolderProblem(root, bytes);
  if (problem) throw fail(problem);
  try {
    await writeJsonAtomic(pendingPath(root, pending.submitId), pending);
  } catch (error) {
    throw fail(`${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

export async function removePendingSubmission(root: string, submitId: string): Promise<void> {
  await rm(pendingPath(root, submitId), { force: true });
}

/** What a tag holds beyond its id and procs, checked as a record's fields are (job-store.ts). */
const PENDING_EXTRAS = object(SUBMISSION_INPUT_FIELDS);

async function readPending(path: string): Promise<PendingSubmission | null> {
  try {
    // Bounded as a job record is (a tag holds the procs too); a FIFO or device there is skipped.
    const data = JSON.parse(readBoundedText(path, MAX_RECORD_BYTES)) as Partial<PendingSubmission>;
    if (data?.version !== 1 || typeof data.submitId !== 'string' || !Array.isArray(data.procs)) return null;
    PENDING_EXTRAS(data, ''); // a throw: not a tag of ours
    return data as PendingSubmission;
  } catch {
    return null;
  }
}

/**
 * Turn the tags of interrupted submissions into job records: condor_q finds each one's cluster
 * by its tag. A tag whose submit process still runs (on this host) is left alone; one that
 * condor_q does not find is set aside (`unresolved-<id>.json`) with a note saying how to look
 * for it in the history. `say` gets one line per tag acted on.
 */
export async function adoptPendingSubmissions(root: string, shell: Shell, say: (line: string) => void): Promise<void> {
  let names: string[];
  try {
    names = await readdir(join(root, JOBS_DIR));
  } catch {
    return;
  }
  for (const name of names) {
    const m = PENDING.exec(name);
    if (!m) continue;
    const path = join(root, JOBS_DIR, name);
    const pending = await readPending(path);
    if (!pending) continue;
    if (pending.host === hostname() && pending.pid !== process.pid && processAlive(pending.pid)) continue;
    const what = `the submission of ${pending.submitFile} started ${pending.startedAt} was interrupted before its job was recorded`;
    const found = await lookupSubmission(shell, pending.submitId, root);
    if (found.state === 'unavailable') {
      say(`warning: ${what}; condor_q cannot be asked to find it (${found.reason}): run this on the access point`);
      continue;
    }
    if (found.state === 'none') {
      const aside = join(root, JOBS_DIR, `unresolved-${pending.submitId}.json`);
      await rename(path, aside).catch(() => {});
      say(
        `warning: ${what}, and condor_q finds no job with its tag: nothing was queued, or the job has left the queue ` +
          `(\`condor_history -constraint '${SUBMIT_ID_ATTRIBUTE} == "${pending.submitId}"'\` shows it); its tag is kept in ${displayPath(root, aside)}`,
      );
      continue;
    }
    const { cluster } = found;
    // The submit-file planner loads only when there is a job to record (status stays quick).
    const { procsOfCluster, recordDisplayPath, writeClusterRecord } = await import('./record-job.ts');
    const { procs } = procsOfCluster(
      root,
      pending,
      pending.append,
      pending.defines ?? {},
      cluster.cluster,
      pending.procs,
    );
    const draft: JobDraft = {
      submitFile: pending.submitFile,
      batchName: pending.batchName,
      image: pending.image,
      gitRevision: pending.gitRevision,
      command: pending.command,
      ...submissionInputs(pending.defines ?? {}, pending.userAppend ?? []),
      // A resubmission's tag keeps its link to the first job: results maps its rows back by it.
      ...(pending.resubmitOf ? { resubmitOf: pending.resubmitOf } : {}),
    };
    try {
      await writeClusterRecord(root, cluster, draft, pending.startedAt, procs);
    } catch (error) {
      say(
        `warning: ${what}; condor_q finds it as job ${cluster.cluster}, but ${recordDisplayPath(root, cluster.cluster)} cannot be written (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      );
      continue;
    }
    await removePendingSubmission(root, pending.submitId);
    say(
      `${what}; condor_q finds it as job ${cluster.cluster}: recorded in ${recordDisplayPath(root, cluster.cluster)}`,
    );
  }
}
