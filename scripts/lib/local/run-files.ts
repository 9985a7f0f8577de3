// The files a local job's runner and its watchers share, under .pixi-condor/local/runs/<cluster>/:
// spec.json (everything the runner needs, written by submit before it starts the runner),
// notes.jsonl (lines for the person: kept outputs, ...), end.json (written once when the runner
// is done or was found dead). A watcher (`submit --local`, `status`) needs nothing else: the
// job's own event logs carry its state, as on a pool.
import { existsSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { writeJsonAtomic } from '../atomic-file.ts';
import { readBoundedText } from '../bounded-read.ts';
import {
  absolutePath,
  bool,
  count,
  listOf,
  matching,
  nonEmptyText,
  nullable,
  object,
  optional,
  type Shape,
  ShapeError,
  text,
} from '../record-shape.ts';
import type { ProcSpec } from '../submit-language/submit-plan.ts';
import { LOCAL_DIR } from './cluster-counter.ts';
import type { ExitPolicy } from './policy.ts';

export interface RunSpec {
  cluster: number;
  procs: ProcSpec[];
  /** Per proc: the docker image, or null to run on the host. */
  images: (string | null)[];
  policies: ExitPolicy[];
  jobs: number;
  /** GPU UUIDs to share out, request_gpus per proc. */
  gpus: string[];
  gpusPerProc: number;
  allowCpu: boolean;
  network: string | null;
  runId: string;
  /** Per proc: the key its checkpoint is spooled under (`<cluster>.<proc>` of the row's first run). */
  spoolKeys: string[];
  /** The folder every sandbox of this run is made in (removed when the run ends). */
  scratch: string;
}

export interface RunEnd {
  /** Why it was stopped early (`pixi run cancel`, an internal error), or null. */
  removedBy: string | null;
  /** Set when the runner was found dead and its job cleaned up by someone else. */
  lost?: boolean;
  error?: string;
}

export type RunNote =
  | { kind: 'kept'; proc: number; existing: string; newPath: string }
  /** A declared output missing after a failed exit: held (code 12) as on a pool; the exit says why. */
  | { kind: 'failed-before-output'; proc: number; exit: string; path: string };

// Each file's shape is checked where it is read (issue 25): a hand-edited or cut-short one reads
// as absent (spec: the runner says there is none; end: the runner is asked after, and a lost
// one's end is written again; a note line: left out), never as a TypeError further on.
/** The scratch folder local-submit makes: `<tmp>/pixi-condor-<run id>-XXXXXX` (mkdtemp), as a clean absolute path. */
const scratchFolder: Shape<string> = (v, path) => {
  const value = absolutePath(v, path);
  if (resolve(value) !== value || !/\/pixi-condor-[0-9a-f]+-[A-Za-z0-9]{6}$/.test(value))
    throw new ShapeError(path, 'a pixi-condor scratch folder (…/pixi-condor-<run id>-XXXXXX)', v);
  return value;
};

const RUN_SPEC_SHAPE = object({
  cluster: count,
  procs: listOf(object({ proc: count })),
  images: listOf(nullable(text)),
  policies: listOf(object({})),
  jobs: count,
  gpus: listOf(text),
  gpusPerProc: count,
  allowCpu: bool,
  network: nullable(text),
  runId: nonEmptyText,
  // What is deleted and spooled by these two is checked by their form, not only their type: a
  // spec a job rewrote (it runs in the workspace with should_transfer_files = NO) must not make
  // the runner or a recovery delete a folder elsewhere, nor spool outside the spool folder.
  spoolKeys: listOf(matching(/^\d+\.\d+$/, 'CLUSTER.PROC')),
  scratch: scratchFolder,
});
const RUN_END_SHAPE = object({ removedBy: nullable(text), lost: optional(bool), error: optional(text) });
const RUN_NOTE_SHAPE = object({ kind: text, proc: count });

/** `text` parsed and checked against `shape`, or null when it is not JSON of that shape. */
function parsedAs<T>(body: string, shape: Shape<unknown>): T | null {
  try {
    const data: unknown = JSON.parse(body);
    shape(data, '');
    return data as T;
  } catch {
    return null;
  }
}

export function runDir(root: string, cluster: number): string {
  return join(root, LOCAL_DIR, 'runs', String(cluster));
}

export async function writeRunSpec(root: string, spec: RunSpec): Promise<void> {
  await mkdir(runDir(root, spec.cluster), { recursive: true });
  await writeJsonAtomic(join(runDir(root, spec.cluster), 'spec.json'), spec);
}

export async function readRunSpec(root: string, cluster: number): Promise<RunSpec | null> {
  try {
    // Bounded: a spec holds every proc's plan, a big sweep's included.
    const spec = parsedAs<RunSpec>(
      readBoundedText(join(runDir(root, cluster), 'spec.json'), 256 * 1024 * 1024),
      RUN_SPEC_SHAPE,
    );
    // Its own run's scratch folder only (another run's would be deleted with this one).
    return spec && basename(spec.scratch).startsWith(`pixi-condor-${spec.runId}-`) ? spec : null;
  } catch {
    return null;
  }
}

/** end.json, into the run folder that exists since submit (never re-creating a workspace deleted meanwhile). */
export async function writeRunEnd(root: string, cluster: number, end: RunEnd): Promise<void> {
  if (!existsSync(runDir(root, cluster))) return;
  await writeJsonAtomic(join(runDir(root, cluster), 'end.json'), end);
}

/** The runner's end, once it has written it; null while it runs (or an unreadable file). */
export function readRunEnd(root: string, cluster: number): RunEnd | null {
  const path = join(runDir(root, cluster), 'end.json');
  if (!existsSync(path)) return null;
  try {
    return parsedAs<RunEnd>(readBoundedText(path, 1_000_000), RUN_END_SHAPE);
  } catch {
    return null;
  }
}

export async function appendRunNote(root: string, cluster: number, note: RunNote): Promise<void> {
  await appendFile(join(runDir(root, cluster), 'notes.jsonl'), `${JSON.stringify(note)}\n`);
}

export function readRunNotes(root: string, cluster: number): RunNote[] {
  try {
    return readBoundedText(join(runDir(root, cluster), 'notes.jsonl'), 10_000_000)
      .split('\n')
      .filter(Boolean)
      .map((line) => parsedAs<RunNote>(line, RUN_NOTE_SHAPE))
      .filter((note): note is RunNote => note !== null);
  } catch {
    return [];
  }
}

/** Where a row's last checkpoint is kept between runs (HTCondor spools it on the access point). */
export function spoolDir(root: string, key: string): string {
  return join(root, LOCAL_DIR, 'spool', key);
}
