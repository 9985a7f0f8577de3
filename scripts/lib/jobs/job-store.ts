// .pixi-condor/jobs/<cluster>.json: what was submitted, written (atomically) before tracking
// starts, so `status` and `cancel` can find the job again after Ctrl-C or a lost connection.
import { join } from 'node:path';
import { writeJsonAtomic } from '../atomic-file.ts';
import { BoundedReadError, readBoundedText } from '../bounded-read.ts';
import { UserError } from '../errors.ts';
import {
  absolutePath,
  count,
  finiteNumber,
  listOf,
  literal,
  mapOf,
  nonEmptyText,
  nullable,
  object,
  optional,
  checkRecord,
  text,
} from '../record-shape.ts';
import { STATE_DIR } from '../workspace.ts';

export const JOBS_DIR = join(STATE_DIR, 'jobs');

export interface ProcRecord {
  proc: number;
  /** Absolute paths (resolved against the proc's initialdir); null when the file sets none. */
  log: string | null;
  output: string | null;
  error: string | null;
  executable: string | null;
  arguments: string[];
  iwd: string;
  transferInputFiles: string[];
  /** null: not set (HTCondor brings back every new top-level file). */
  transferOutputFiles: string[] | null;
  /** The proc's `queue ... from/in/matching` variables, names as the queue statement wrote them. */
  vars?: Record<string, string>;
  /** `transfer_output_remaps` as pairs (name in the sandbox → path on the access point, as written). */
  outputRemaps?: Record<string, string>;
  /** `output_destination` (a URL or path outputs go to instead of initialdir), expanded. */
  outputDestination?: string | null;
  /** request_memory (MB) and request_disk (KB) as condor_submit sets RequestMemory / RequestDisk. */
  requestMemoryMb?: number | null;
  requestDiskKb?: number | null;
}

export interface JobRecord {
  version: 1;
  cluster: number;
  /** Relative to the workspace root. */
  submitFile: string;
  batchName: string;
  /** ISO time of the submission. */
  submittedAt: string;
  /**
   * The recorded image submitted with; `pin`: the container_image it was pinned to, when not
   * `docker://<reference>` (a SIF: oras://…@sha256:… or the staged file). Resubmit pins the same.
   */
  image: { reference: string; digest: string; pin?: string } | null;
  gitRevision: string | null;
  /** The condor_submit argv that was run. */
  command: string[];
  procs: ProcRecord[];
  /** Set for `submit --local`: the job runs in that process on that machine, not in a pool. */
  local?: LocalRunRecord;
  /** Set by `resubmit`: the cluster these procs ran in first, and which of its procs each one is. */
  resubmitOf?: { cluster: number; procs: number[] };
  /** `NAME=VALUE` macros given on submit's command line (resubmit gives them again). */
  defines?: Record<string, string>;
  /** The user's `--append` lines (resubmit appends them again; the image pin is not among them). */
  userAppend?: string[];
}

export interface LocalRunRecord {
  /** The runner process (scripts/local-runner.ts, started detached by `submit --local`), which `cancel` signals. */
  pid: number;
  /** Its start time (/proc/PID/stat, clock ticks since boot): with pid, it names the runner (a reused pid is not it). */
  startTime?: number | null;
  /** /proc/sys/kernel/random/boot_id when it started: after a reboot no pid names it. */
  bootId?: string | null;
  host: string;
  /** Label value on the containers it starts (org.pixi-condor.local). */
  runId: string;
}

/** A record's `defines` and `userAppend` fields, present only when the submission had any. */
export function submissionInputs(
  defines: Record<string, string>,
  userAppend: string[],
): Pick<JobRecord, 'defines' | 'userAppend'> {
  return {
    ...(Object.keys(defines).length > 0 ? { defines } : {}),
    ...(userAppend.length > 0 ? { userAppend } : {}),
  };
}

/** The event logs a record's procs write, in proc order (procs that share a log name it each time). */
export function recordLogs(record: { procs: readonly { log: string | null }[] }): string[] {
  return record.procs.map((p) => p.log).filter((p): p is string => p !== null);
}

/** Said (stderr) by each command that found a local job's runner dead and recovered its run. */
export function lostRunnerNote(record: JobRecord): string {
  return `job ${record.cluster}'s local runner (pid ${record.local!.pid}) had died: ended what it left running, logged the lost run; \`pixi run resubmit --failed ${record.resubmitOf?.cluster ?? record.cluster} --local\` starts it again from its last checkpoint\n`;
}

/** The container_image a submission was pinned to (a SIF's, or its Docker image's by digest). */
export function pinnedImage(image: NonNullable<JobRecord['image']>): string {
  return image.pin ?? `docker://${image.reference}`;
}

/** The record's image, with the SIF it was pinned to when `imageLine` (the appended pin) names one. */
export function imageOfSubmission(
  record: { reference: string; digest: string } | null,
  imageLine: string | null,
): JobRecord['image'] {
  if (!record) return null;
  const pinned = imageLine?.replace(/^container_image = /, '');
  const pin = pinned && pinned !== `docker://${record.reference}` ? { pin: pinned } : {};
  return { reference: record.reference, digest: record.digest, ...pin };
}

export function jobRecordPath(root: string, cluster: number): string {
  return join(root, JOBS_DIR, `${cluster}.json`);
}

export async function writeJobRecord(root: string, record: JobRecord): Promise<string> {
  const path = jobRecordPath(root, record.cluster);
  await writeJsonAtomic(path, record);
  return path;
}

const PROC_SHAPE = object({
  proc: count,
  log: nullable(absolutePath),
  output: nullable(absolutePath),
  error: nullable(absolutePath),
  executable: nullable(text),
  arguments: listOf(text),
  iwd: absolutePath,
  transferInputFiles: listOf(text),
  transferOutputFiles: nullable(listOf(text)),
  vars: optional(mapOf(text)),
  outputRemaps: optional(mapOf(text)),
  outputDestination: optional(nullable(text)),
  requestMemoryMb: optional(nullable(finiteNumber)),
  requestDiskKb: optional(nullable(finiteNumber)),
});

/**
 * What a submission carries for `resubmit` (submissionInputs), checked alike in a record and in a
 * pending submission's tag: a resubmission's link to its first job (its cluster, and each new
 * proc's proc there), the -D macros and the --append lines.
 */
export const SUBMISSION_INPUT_FIELDS = {
  resubmitOf: optional(object({ cluster: count, procs: listOf(count) })),
  defines: optional(mapOf(text)),
  userAppend: optional(listOf(text)),
};

const JOB_RECORD_SHAPE = object({
  version: literal(1),
  cluster: count,
  submitFile: nonEmptyText,
  batchName: text,
  submittedAt: text,
  image: nullable(object({ reference: nonEmptyText, digest: text, pin: optional(nonEmptyText) })),
  gitRevision: nullable(text),
  command: listOf(text),
  procs: listOf(PROC_SHAPE),
  local: optional(
    object({
      pid: count,
      host: text,
      runId: nonEmptyText,
      startTime: optional(nullable(count)),
      bootId: optional(nullable(text)),
    }),
  ),
  ...SUBMISSION_INPUT_FIELDS,
});

/** Records are written by pixi-condor; one larger than this is not one (100,000 procs is ~60 MB). */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;
const RECORD_HINT =
  'the record was edited or cut short: delete it (the job and its event log are untouched), or pass --log PATH to read the event log directly';

/** The record's shape checked once, here: a bad field is one line naming it (exit 2). */
function checkJobRecord(data: unknown, file: string): JobRecord {
  return checkRecord<JobRecord>(JOB_RECORD_SHAPE, data, file, 'job record', RECORD_HINT);
}

/** A folder in its place, no permission, an I/O error: one line naming the file and why. */
function unreadable(file: string, why: string): UserError {
  return new UserError(`${file} cannot be read (${why})`, {
    hint: 'fix or delete it, or pass --log PATH to read the event log directly',
    exitCode: 2,
  });
}

export async function readJobRecord(root: string, cluster: number): Promise<JobRecord> {
  const path = jobRecordPath(root, cluster);
  const file = join(JOBS_DIR, `${cluster}.json`);
  let body: string;
  try {
    // One bounded read (a FIFO or a device in its place is refused, not waited on).
    body = readBoundedText(path, MAX_RECORD_BYTES);
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    if (error.code === 'ENOENT') {
      throw new UserError(`no job ${cluster} was submitted from this workspace (${file} is missing)`, {
        hint: 'run `pixi run status` for the latest job, or pass --log PATH to read any event log',
        exitCode: 2,
      });
    }
    if (error.problem === 'too-large')
      throw new UserError(`${file} is ${error.size} bytes, larger than any job record pixi-condor writes`, {
        hint: RECORD_HINT,
        exitCode: 2,
      });
    throw unreadable(
      file,
      error.isDirectory
        ? 'it is a folder'
        : error.problem === 'not-a-file'
          ? 'it is not a regular file'
          : (error.code ?? error.message),
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw new UserError(`${file} is not valid JSON`, { hint: RECORD_HINT, exitCode: 2 });
  }
  const record = checkJobRecord(data, file);
  if (record.cluster !== cluster)
    throw new UserError(`${file} records job ${record.cluster}, not ${cluster}`, { hint: RECORD_HINT, exitCode: 2 });
  return record;
}

/** Parse a CLUSTER argument: `4242` (or `4242.0`, whose proc part is ignored). */
export function parseClusterArg(text: string): number {
  const m = /^(\d+)(?:\.\d+)?$/.exec(text.trim());
  if (!m)
    throw new UserError(`'${text}' is not a cluster id`, {
      hint: 'pass the number condor_submit printed, e.g. `pixi run status 4242`',
      exitCode: 2,
    });
  return Number(m[1]);
}
