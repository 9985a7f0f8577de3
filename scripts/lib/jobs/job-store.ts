// .pixi-condor/jobs/<cluster>.json: what was submitted, written (atomically) before tracking
// starts, so `status` and `cancel` can find the job again after Ctrl-C or a lost connection.
import { readdirSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeChunksAtomic, writeJsonAtomic } from '../atomic-file.ts';
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

/** A resubmission's link to its first job: its cluster, and each new proc's proc there. */
export const RESUBMIT_OF_SHAPE = object({ cluster: count, procs: listOf(count) });

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
  resubmitOf: optional(RESUBMIT_OF_SHAPE),
  defines: optional(mapOf(text)),
  userAppend: optional(listOf(text)),
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

/** Says a record that was passed over, on stderr, so a bad one never silently hides the newest job. */
function warnSkipped(problem: UserError): void {
  process.stderr.write(`warning: skipped ${problem.message}${problem.hint ? `\nhint: ${problem.hint}` : ''}\n`);
}

/**
 * What finding a job needs of a record: which is the newest, and which resubmitted another job.
 * Kept for every record in jobs/heads.json, so a workspace of many big sweeps (a 10,000-proc
 * record is ~3 MB of JSON) is not parsed whole to find the latest job: measured, with 20 earlier
 * sweeps' records and no kept heads, `results` took 0.47 s and 288 MB, against 0.16 s and 117 MB.
 */
export interface RecordHead {
  cluster: number;
  submittedAt: string;
  /** The cluster whose procs this record resubmitted (resubmitOf.cluster), or null. */
  resubmitOf: number | null;
  /** The record itself, when this call read it whole (no head was kept for it, or its file changed). */
  record?: JobRecord;
}

export interface HeadOptions {
  /** Told of each record that cannot be read (default: one warning line on stderr). */
  skipped?: (problem: UserError) => void;
  /** Bring heads.json up to date (default true; a dry run writes nothing). */
  keep?: boolean;
}

/**
 * heads.json: {format, heads: {<cluster>: entry}}, an entry the record file's size, mtime,
 * ctime and inode when its head was read (pixi-condor writes a record by renaming a new file
 * over it, and any other write changes its times; then the record is read again) and the
 * head's two values. Bump the format when the record's shape gets stricter: a kept head
 * stands for a record that passed the check of its day.
 */
const HEADS_FILE = 'heads.json';
const HEADS_FORMAT = 1;
const HEADS_MAX_BYTES = 64 << 20;
type HeadEntry = [
  size: number,
  mtimeMs: number,
  ctimeMs: number,
  ino: number,
  submittedAt: string,
  resubmitOf: number | null,
];

function isHeadEntry(value: unknown): value is HeadEntry {
  return (
    Array.isArray(value) &&
    value.length === 6 &&
    value.slice(0, 4).every((n) => typeof n === 'number') &&
    typeof value[4] === 'string' &&
    (value[5] === null || Number.isSafeInteger(value[5]))
  );
}

/** The kept heads; any trouble (none yet, cut short, edited) is no heads: every record is read. */
function keptHeads(path: string): Map<string, HeadEntry> {
  const heads = new Map<string, HeadEntry>();
  try {
    const data = JSON.parse(readBoundedText(path, HEADS_MAX_BYTES)) as { format?: unknown; heads?: unknown };
    if (data?.format !== HEADS_FORMAT || typeof data.heads !== 'object' || data.heads === null) return heads;
    for (const [name, entry] of Object.entries(data.heads)) if (isHeadEntry(entry)) heads.set(name, entry);
  } catch {
    // no heads kept
  }
  return heads;
}

/** A record file's stat, or undefined for any trouble (readJobRecord then says what it is). */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function sameFile(entry: HeadEntry, stats: Stats): boolean {
  return entry[0] === stats.size && entry[1] === stats.mtimeMs && entry[2] === stats.ctimeMs && entry[3] === stats.ino;
}

/**
 * The head of every record in this workspace that can be read: taken from heads.json while
 * the record file is unchanged, else read from the record (and heads.json brought up to date,
 * unless `keep` is false). A record that cannot be read is passed to `skipped` each time, and
 * the others still count.
 */
export async function recordHeads(root: string, options: HeadOptions = {}): Promise<RecordHead[]> {
  return headsOf(root, options, true);
}

async function headsOf(
  root: string,
  { skipped = warnSkipped, keep = true }: HeadOptions,
  trustKept: boolean,
): Promise<RecordHead[]> {
  const dir = join(root, JOBS_DIR);
  let names: string[];
  try {
    // (Sync: fs/promises costs a fast task ~2 ms of start-up to load; one listing gains nothing from it.)
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const kept = trustKept ? keptHeads(join(dir, HEADS_FILE)) : new Map<string, HeadEntry>();
  const now = new Map<string, HeadEntry>();
  const heads: RecordHead[] = [];
  for (const name of names) {
    // A cluster's own name only (readJobRecord reads `<cluster>.json`: `04101.json` is not 4101's).
    const m = /^(0|[1-9]\d*)\.json$/.exec(name);
    if (!m) continue;
    const stats = statOf(join(dir, name));
    const entry = kept.get(m[1]!);
    if (stats?.isFile() && entry && sameFile(entry, stats)) {
      now.set(m[1]!, entry);
      heads.push({ cluster: Number(m[1]), submittedAt: entry[4], resubmitOf: entry[5] });
      continue;
    }
    let record: JobRecord;
    try {
      record = await readJobRecord(root, Number(m[1]));
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      skipped(error); // an unreadable record does not hide the others
      continue;
    }
    const resubmitOf = record.resubmitOf?.cluster ?? null;
    // (No stat, and yet read: it came back meanwhile. Counted, not kept.)
    if (stats) now.set(m[1]!, [stats.size, stats.mtimeMs, stats.ctimeMs, stats.ino, record.submittedAt, resubmitOf]);
    heads.push({ cluster: record.cluster, submittedAt: record.submittedAt, resubmitOf, record });
  }
  const changed = now.size !== kept.size || [...now].some(([name, entry]) => kept.get(name) !== entry);
  if (keep && changed) {
    try {
      writeChunksAtomic(join(dir, HEADS_FILE), [
        JSON.stringify({ format: HEADS_FORMAT, heads: Object.fromEntries(now) }),
      ]);
    } catch {
      // a read-only workspace or a full disk: the records are read again next time
    }
  }
  return heads;
}

/** Newest first: by submittedAt, then cluster. */
function newestFirst(a: RecordHead, b: RecordHead): number {
  return a.submittedAt < b.submittedAt ? 1 : a.submittedAt > b.submittedAt ? -1 : b.cluster - a.cluster;
}

/** The newest of `heads` whose record can be read, with it (the others passed to `skipped`). */
async function newestReadable(
  root: string,
  heads: readonly RecordHead[],
  skipped: (problem: UserError) => void,
): Promise<{ head: RecordHead; record: JobRecord } | null> {
  for (const head of [...heads].sort(newestFirst)) {
    if (head.record) return { head, record: head.record };
    try {
      return { head, record: await readJobRecord(root, head.cluster) };
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      skipped(error); // changed since its head was kept: the next newest
    }
  }
  return null;
}

/** `tell` once per problem: one run may look at a record more than once (latestJob's second look). */
export function sayOnce(tell: (problem: UserError) => void = warnSkipped): (problem: UserError) => void {
  const said = new Set<string>();
  return (problem) => {
    if (!said.has(problem.message)) tell(problem);
    said.add(problem.message);
  };
}

/**
 * The most recently submitted job (by submittedAt, then cluster), or null when none was, and
 * the heads it was found among (for resubmissionsOf). A record that cannot be read is passed to
 * `skipped` once (by default one warning line) and the others still count.
 */
export async function latestJob(
  root: string,
  options: HeadOptions = {},
): Promise<{ record: JobRecord | null; heads: RecordHead[] }> {
  const settings = { keep: options.keep ?? true, skipped: sayOnce(options.skipped) };
  const heads = await recordHeads(root, settings);
  const found = await newestReadable(root, heads, settings.skipped);
  if (!found) return { record: null, heads };
  const { head, record } = found;
  if (
    head.record ||
    (head.submittedAt === record.submittedAt && head.resubmitOf === (record.resubmitOf?.cluster ?? null))
  )
    return { record, heads };
  // Its kept head is not its record's (edited in place within one tick of the clock, or a file
  // system that hid the change): cancel and resubmit act on this answer, so every record is read.
  const fresh = await headsOf(root, settings, false);
  return { record: (await newestReadable(root, fresh, settings.skipped))?.record ?? null, heads: fresh };
}

/** latestJob's record. */
export async function latestJobRecord(root: string, options: HeadOptions = {}): Promise<JobRecord | null> {
  return (await latestJob(root, options)).record;
}

/**
 * Every record in this workspace that resubmitted procs of `cluster`, oldest first (by their
 * own submittedAt, then cluster). `heads`: the workspace's, when the caller has them already
 * (latestJob's); `skipped`: told of a record that cannot be read (default: nothing said, it is
 * not the job asked for).
 */
export async function resubmissionsOf(
  root: string,
  cluster: number,
  options: HeadOptions & { heads?: RecordHead[] } = {},
): Promise<JobRecord[]> {
  const skipped = options.skipped ?? ((): void => {});
  const heads = options.heads ?? (await recordHeads(root, { keep: options.keep ?? true, skipped }));
  const records: JobRecord[] = [];
  for (const head of heads) {
    if (head.cluster === cluster || head.resubmitOf !== cluster) continue;
    try {
      const record = head.record ?? (await readJobRecord(root, head.cluster));
      if (record.resubmitOf?.cluster === cluster) records.push(record);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      skipped(error); // an unreadable record does not hide the others
    }
  }
  return records.sort((a, b) => a.submittedAt.localeCompare(b.submittedAt) || a.cluster - b.cluster);
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
