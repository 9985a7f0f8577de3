// A finished job's state table kept beside its record (.pixi-condor/jobs/<cluster>.outcomes), as
// HTCondor keeps a finished job in its history file instead of reading its event log again.
// `status` and `submit` write it when they follow a job to its end (all they read), and `results`
// when it read the logs itself (only what it shows). A reader of the job's logs (status, results,
// cancel, release, the report) takes it instead of the logs while it holds what that reader reads
// and every log is the very file it was made from (same size, times and inode), so a log that
// grew, was rewritten or was replaced is read again. It is derived data: one that does not hold
// together is ignored, never an error. Reader and writer live here side by side.
//
// Format: a first line `pixi-condor outcomes 1`, a line of JSON (the logs' fingerprints, the
// counts, the texts, each column's name and byte length), then the columns' bytes in that order.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { writeChunksAtomic } from '../atomic-file.ts';
import { readBounded } from '../bounded-read.ts';
import { bool, count, finiteNumber, listOf, object, type Shape, ShapeError, text } from '../record-shape.ts';
import { JOBS_DIR } from './job-store.ts';
import { JobTable, type JobTableOptions } from './job-state.ts';
import type { TrackResult } from './tracker.ts';
import type { LogPrint } from '../event-log/log-follower.ts';

const MAGIC = 'pixi-condor outcomes 1\n';
/** The largest file read (about 150 bytes a proc: 100,000 procs take ~17 MB). */
const OUTCOMES_MAX_BYTES = 128 << 20;
/** Junk samples kept (the tracker quotes a few). */
const JUNK_SAMPLES = 3;

/** What the table was read for: the same job, procs and reading. */
export interface OutcomesKey {
  cluster: number;
  procs: readonly number[];
  logs: readonly string[];
  usage: boolean;
  hostsAndMessages: boolean;
}

interface Header {
  /** The proc numbers as runs [first, last]. */
  procs: [number, number][];
  usage: boolean;
  hostsAndMessages: boolean;
  logs: LogPrint[];
  size: number;
  events: number;
  ownEvents: number;
  otherEvents: number;
  otherClusters: [number, number][];
  junk: number;
  junkSamples: string[];
  strings: string[];
  columns: [string, number][];
}

export function outcomesPath(root: string, cluster: number): string {
  return join(root, JOBS_DIR, `${cluster}.outcomes`);
}

/** The logs as they are now (null: one is missing or not a file). */
function logPrints(logs: readonly string[]): LogPrint[] | null {
  const prints: LogPrint[] = [];
  // Each log once, in the order first named (procs of a sweep share one).
  for (const path of new Set(logs)) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat?.isFile()) return null;
    prints.push({ path, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino, dev: stat.dev });
  }
  return prints;
}

function samePrints(a: readonly LogPrint[], b: readonly LogPrint[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (p, i) =>
        p.path === b[i]!.path &&
        p.size === b[i]!.size &&
        p.mtimeMs === b[i]!.mtimeMs &&
        p.ctimeMs === b[i]!.ctimeMs &&
        p.ino === b[i]!.ino &&
        p.dev === b[i]!.dev,
    )
  );
}

/** The proc numbers as runs [first, last] (a sweep's 0…N-1 is one): a record whose procs differ is another reading. */
function procRuns(procs: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const proc of procs) {
    const last = runs[runs.length - 1];
    if (last && proc === last[1] + 1) last[1] = proc;
    else runs.push([proc, proc]);
  }
  return runs;
}

function sameRuns(a: readonly [number, number][], b: readonly [number, number][]): boolean {
  return a.length === b.length && a.every(([first, last], i) => first === b[i]![0] && last === b[i]![1]);
}

/**
 * Keep a finished job's table (a follow to its end, or results' read): only when every proc has
 * ended and the table holds all of each log as the file still is (TrackResult.readPrints), so a
 * later reader takes it instead of reading the logs once more. Kept already: not written again.
 * A failed write is not an error.
 */
export function recordOutcomes(
  root: string,
  job: Pick<OutcomesKey, 'cluster' | 'procs' | 'logs'>,
  result: TrackResult,
): void {
  const key: OutcomesKey = { ...job, ...result.table.reading };
  const read = result.readPrints;
  if (!read || result.missing.length > 0 || !result.table.allDone()) return;
  const now = logPrints(key.logs);
  if (!now || !samePrints(read, now)) return;
  if (keptFile(root, key, now)) return;
  writeOutcomes(root, key, now, result);
}

function writeOutcomes(root: string, key: OutcomesKey, prints: LogPrint[], result: TrackResult): void {
  const snapshot = result.table.snapshot();
  const header: Header = {
    procs: procRuns(key.procs),
    usage: key.usage,
    hostsAndMessages: key.hostsAndMessages,
    logs: prints,
    size: snapshot.size,
    events: snapshot.events,
    ownEvents: snapshot.ownEvents,
    otherEvents: snapshot.otherEvents,
    otherClusters: snapshot.otherClusters,
    junk: result.junk,
    junkSamples: (result.junkSamples ?? []).slice(0, JUNK_SAMPLES),
    strings: [...snapshot.strings],
    columns: snapshot.columns.map(([name, bytes]) => [name, bytes.length]),
  };
  try {
    writeChunksAtomic(outcomesPath(root, key.cluster), [
      MAGIC,
      `${JSON.stringify(header)}\n`,
      ...snapshot.columns.map(([, bytes]) => bytes),
    ]);
  } catch {
    // a read-only workspace or a full disk: the logs are read again next time
  }
}

/**
 * The kept file of this reading, checked: one of ours, whole (its columns' lengths add up), of
 * a table that holds what the reader reads (one read with less, without usage or hosts, is not
 * its table), and every log still the file it was made from (`taken`: the logs' prints, when the
 * caller has just taken them); else null.
 */
function keptFile(
  root: string,
  key: OutcomesKey,
  taken?: LogPrint[],
): { bytes: Buffer; header: Header; headerEnd: number } | null {
  let bytes: Buffer;
  try {
    bytes = readBounded(outcomesPath(root, key.cluster), OUTCOMES_MAX_BYTES);
  } catch {
    return null;
  }
  if (bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) return null;
  const headerEnd = bytes.indexOf(10, MAGIC.length);
  if (headerEnd < 0) return null;
  const header = parseHeader(bytes.toString('utf8', MAGIC.length, headerEnd));
  if (
    !header ||
    !sameRuns(header.procs, procRuns(key.procs)) ||
    (key.usage && !header.usage) ||
    (key.hostsAndMessages && !header.hostsAndMessages)
  )
    return null;
  const now = taken ?? logPrints(key.logs);
  if (!now || !samePrints(header.logs, now)) return null;
  const columnBytes = header.columns.reduce((sum, [, length]) => sum + length, 0);
  if (headerEnd + 1 + columnBytes !== bytes.length) return null;
  return { bytes, header, headerEnd };
}

/** The kept table of this reading, while every log is unchanged; else null (read the logs). */
export function recordedOutcomes(root: string, key: OutcomesKey): TrackResult | null {
  const kept = keptFile(root, key);
  if (!kept) return null;
  const { bytes, header, headerEnd } = kept;
  const columns = new Map<string, Uint8Array>();
  let at = headerEnd + 1;
  for (const [name, length] of header.columns) {
    columns.set(name, bytes.subarray(at, at + length));
    at += length;
  }
  const options: JobTableOptions = { usage: key.usage, hostsAndMessages: key.hostsAndMessages };
  const table = JobTable.fromSnapshot({ ...header, columns }, [key.cluster], options);
  // Only a finished job is kept: a table that says otherwise is not one a reader may trust.
  if (!table?.allDone()) return null;
  return { table, outcome: 'once', held: null, missing: [], junk: header.junk, junkSamples: header.junkSamples };
}

/** A [first, second] pair of the two shapes. */
function pair<A, B>(first: Shape<A>, second: Shape<B>): Shape<[A, B]> {
  return (v, path) => {
    if (!Array.isArray(v) || v.length !== 2) throw new ShapeError(path, 'a pair', v);
    return [first(v[0], path), second(v[1], path)];
  };
}

const HEADER_SHAPE = object({
  procs: listOf(pair(count, count)),
  usage: bool,
  hostsAndMessages: bool,
  logs: listOf(
    object({
      path: text,
      size: finiteNumber,
      mtimeMs: finiteNumber,
      ctimeMs: finiteNumber,
      ino: finiteNumber,
      dev: finiteNumber,
    }),
  ),
  size: count,
  events: count,
  ownEvents: count,
  otherEvents: count,
  otherClusters: listOf(pair(finiteNumber, count)),
  junk: count,
  junkSamples: listOf(text),
  strings: listOf(text),
  columns: listOf(pair(text, count)),
});

/** The header, checked against its shape (null: not one of ours). */
function parseHeader(json: string): Header | null {
  try {
    return HEADER_SHAPE(JSON.parse(json), '') as Header;
  } catch {
    return null; // not JSON, or a field not as written: the logs are read instead
  }
}
