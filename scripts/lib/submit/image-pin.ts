// The container_image line submit appends: the recorded Docker image (docker://repo@sha256:…),
// or, for a submit file that runs a SIF (its own container_image is an oras://, osdf://,
// file:// or .sif image), the recorded SIF (oras://repo@sha256:… or the staged file), so an
// Apptainer job is pinned exactly as a Docker one is.
import { UserError } from '../errors.ts';
import { IMAGE_RECORD, type ImageRecord } from '../image-record.ts';
import type { Statement } from '../submit-language/submit-file.ts';

const CONTAINER_IMAGE_KEYS = new Set(['container_image', 'containerimage']);

/** Is this container_image value one Apptainer runs from a SIF (not a docker:// image)? */
export function isSifImage(value: string): boolean {
  const v = value.trim().replace(/^"(.*)"$/, '$1');
  return /^(?:oras|osdf|pelican|file):/i.test(v) || /\.sif$/i.test(v);
}

/** The file's last container_image value as written (macros unexpanded), or null. */
function writtenContainerImage(statements: Statement[]): string | null {
  let value: string | null = null;
  for (const s of statements) if (s.kind === 'assign' && CONTAINER_IMAGE_KEYS.has(s.key.toLowerCase())) value = s.value;
  return value;
}

export function pinnedImageLine(
  record: ImageRecord | null,
  statements: Statement[],
  submitFile: string,
): string | null {
  if (!record) return null;
  const written = writtenContainerImage(statements);
  if (written === null || !isSifImage(written)) return `container_image = docker://${record.reference}`;
  if (!record.sif) {
    throw new UserError(`${submitFile} runs a SIF (container_image = ${written}), and ${IMAGE_RECORD} records none`, {
      hint: 'run `pixi run build-image --sif` (or set sif = true in [tool.pixi-condor]) to make, push and record it',
    });
  }
  return `container_image = ${record.sif.reference}`;
}
