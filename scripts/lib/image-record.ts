// .pixi-condor/image.json: what build-image pushed, and what submit pins. Written atomically
// by build-image; read by submit (and validate) to know the exact digest and whether the
// image still matches the workspace (contentHash against the current inputs).
import { BoundedReadError, readBoundedText } from './bounded-read.ts';
import { join } from 'node:path';
import { writeJsonAtomic } from './atomic-file.ts';
import { UserError } from './errors.ts';
import {
  finiteNumber,
  listOf,
  literal,
  mapOf,
  matching,
  nonEmptyText,
  nullable,
  object,
  optional,
  checkRecord,
  text,
} from './record-shape.ts';
import { STATE_DIR } from './workspace.ts';

/** The name a local build is tagged with (never pushed: `localhost/` is no registry anyone pulls from). */
export const LOCAL_REPOSITORY = 'localhost/pixi-condor-local';

export const IMAGE_RECORD = join(STATE_DIR, 'image.json');

export interface ImageRecord {
  /** Format of this file, bumped on incompatible change. */
  version: 1;
  /** e.g. ghcr.io/alice/pixi-condor (no tag, no digest). */
  repository: string;
  /** The immutable content tag, e.g. default-noble-cuda12.9-0123456789ab. */
  contentTag: string;
  /** Every tag pushed for this digest (content tag first, then the moving tag). */
  tags: string[];
  /** Manifest digest as the registry reports it: sha256:<64 hex>. */
  digest: string;
  /** `${repository}@${digest}`: what submit puts in container_image. */
  reference: string;
  /** Full sha256 of the image's inputs (Dockerfile, build args, copied files). */
  contentHash: string;
  environment: string;
  cuda: string;
  platform: string;
  /** git commit of the workspace, with -dirty when it had uncommitted changes; null outside git. */
  gitRevision: string | null;
  /** ISO time the record was written. */
  recordedAt: string;
  /** Compressed size the registry reports for the image's layers, when known. */
  sizeBytes?: number;
  /**
   * `--build-arg` overrides given on build-image's command line. They are part of contentHash,
   * so whoever recomputes the hash to compare (submit's preflight) must apply them too.
   */
  buildArgOverrides?: Record<string, string>;
  /** sha256 of each file the hash covers (the Dockerfile, the files it copies), to name what changed. */
  inputDigests?: Record<string, string>;
  /** The SIF made from this image by `build-image --sif` (absent in records written without it). */
  sif?: SifRecord;
}

export interface SifRecord {
  /**
   * What submit puts in an Apptainer submit file's container_image: `oras://<repository>@sha256:<manifest
   * digest>`, or the staged file (`osdf:///chtc$ENV(STAGING)/<name>.sif`, `file:///staging/…`).
   */
  reference: string;
  /** sha256 of the SIF file (hex): the oras layer's digest. */
  sha256: string;
  size: number;
  /** The local copy, relative to the workspace (.pixi-condor/sif/<name>.sif), when there is one. */
  file: string | null;
}

/** A `sif` entry as this version writes it; anything else is ignored (the Docker record stays usable). */
function validSif(value: unknown): value is SifRecord {
  const sif = value as Partial<SifRecord> | null;
  return (
    typeof sif === 'object' &&
    sif !== null &&
    typeof sif.reference === 'string' &&
    /^(?:oras:\/\/[^\s@]+@sha256:[0-9a-f]{64}|osdf:\/\/\/\S+\.sif|file:\/\/\/\S+\.sif)$/.test(sif.reference) &&
    typeof sif.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(sif.sha256) &&
    typeof sif.size === 'number'
  );
}

/** A record is a few hundred bytes; anything much larger is not one (and is not read whole). */
const MAX_RECORD_BYTES = 1 << 20;
const REWRITE_HINT = 'run `pixi run build-image` to write it again';

function unusable(error: unknown, doing: 'read' | 'write'): UserError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new UserError(
    code === 'EISDIR' ? `${IMAGE_RECORD} is a folder, not a file` : `cannot ${doing} ${IMAGE_RECORD}: ${code}`,
    {
      hint:
        code === 'EISDIR'
          ? `remove the folder ${IMAGE_RECORD} and ${REWRITE_HINT}`
          : `check the permissions of ${IMAGE_RECORD} and its folder, then ${REWRITE_HINT}`,
      exitCode: doing === 'read' ? 2 : 1,
    },
  );
}

export async function readImageRecord(root: string): Promise<ImageRecord | null> {
  let body: string;
  try {
    body = readBoundedText(join(root, IMAGE_RECORD), MAX_RECORD_BYTES);
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    if (error.problem === 'missing') return null;
    if (error.isDirectory || error.problem === 'unreadable') throw unusable(error, 'read');
    throw new UserError(`${IMAGE_RECORD} is not an image record (not a regular file of at most 1 MiB)`, {
      hint: REWRITE_HINT,
      exitCode: 2,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw new UserError(`${IMAGE_RECORD} is not valid JSON`, { hint: REWRITE_HINT, exitCode: 2 });
  }
  return withUsableSif(checkImageRecord(data));
}

const DIGEST = matching(/^sha256:[0-9a-f]{64}$/, 'a digest sha256:<64 hex digits>');
const IMAGE_RECORD_SHAPE = object({
  version: literal(1),
  repository: nonEmptyText,
  contentTag: nonEmptyText,
  tags: listOf(text),
  digest: DIGEST,
  reference: matching(/^[^\s@]+@sha256:[0-9a-f]{64}$/, 'a reference <repository>@sha256:<64 hex digits>'),
  contentHash: nonEmptyText,
  environment: text,
  cuda: text,
  platform: text,
  gitRevision: nullable(text),
  recordedAt: text,
  sizeBytes: optional(finiteNumber),
  buildArgOverrides: optional(mapOf(text)),
  inputDigests: optional(mapOf(text)),
});

/** The record's shape checked once, where it is read: a bad field is one line naming it (exit 2). */
function checkImageRecord(data: unknown): ImageRecord {
  return checkRecord<ImageRecord>(IMAGE_RECORD_SHAPE, data, IMAGE_RECORD, 'image record', REWRITE_HINT);
}

/** The checked record, its `sif` dropped when this version cannot use it (the Docker record stays usable). */
function withUsableSif(record: ImageRecord): ImageRecord {
  if (record.sif !== undefined && !validSif(record.sif)) delete record.sif;
  return record;
}

export async function writeImageRecord(root: string, record: ImageRecord): Promise<void> {
  try {
    await writeJsonAtomic(join(root, IMAGE_RECORD), record);
  } catch (error) {
    throw unusable(error, 'write');
  }
}
