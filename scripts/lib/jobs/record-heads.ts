// .pixi-condor/jobs/heads.json beside the records: what finding a job needs of each record (its
// cluster, submission time and the job it resubmitted), and the lookups it serves: the latest
// job (status, results, cancel, release and resubmit without a CLUSTER) and a job's
// resubmissions. A record is read whole again only when its file changed.
import { readdirSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeChunksAtomic } from '../atomic-file.ts';
import { readBoundedText } from '../bounded-read.ts';
import { UserError } from '../errors.ts';
import { JOBS_DIR, type JobRecord, readJobRecord } from './job-store.ts';

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
  ) {
    // Kept with its head: resubmissionsOf over these heads reads it no second time.
    head.record = record;
    return { record, heads };
  }
  // Its kept head is not its record's (edited in place within one tick of the clock, or a file
  // system that hid the change): cancel and resubmit act on this answer, so every record is read.
  const fresh = await headsOf(root, settings, false);
  return { record: (await newestReadable(root, fresh, settings.skipped))?.record ?? null, heads: fresh };
}

/** latestJob's record. */
export async function latestJobRecord(root: string, options: HeadOptions = {}): Promise<JobRecord | null> {
  return (await latestJob(root, options)).record;
}

/** Job `cluster`'s record: the one a head holds when this run read it whole already, else read from its file. */
export async function recordAmong(root: string, cluster: number, heads?: readonly RecordHead[]): Promise<JobRecord> {
  return heads?.find((head) => head.cluster === cluster)?.record ?? (await readJobRecord(root, cluster));
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
