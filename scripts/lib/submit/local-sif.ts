// `submit --local` of a submit file pinned to a SIF. HTCondor runs such a job with `apptainer
// exec`: so does the local runner when apptainer is on PATH (the local SIF file, else the oras://
// artifact). Without it, the job runs in the Docker image the SIF was made from: the same
// recorded digest (the SIF's labels name it), the same files, and a note says so.
import type { ImageRecord } from '../image-record.ts';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { onPath } from '../shell.ts';

export async function localImageLine(
  root: string,
  record: ImageRecord | null,
  imageLine: string | null,
  note: (line: string) => void,
): Promise<string | null> {
  if (!record?.sif || imageLine !== `container_image = ${record.sif.reference}`) return imageLine;
  const apptainer = await onPath('apptainer');
  // With apptainer here, the SIF itself, as HTCondor runs it: the local copy, else the oras:// artifact.
  const file = record.sif.file ? join(root, record.sif.file) : null;
  const local = file && statSync(file, { throwIfNoEntry: false })?.isFile() ? file : null;
  if (apptainer && (local || record.sif.reference.startsWith('oras://'))) {
    note(`note: the job runs the SIF with ${apptainer} exec, as HTCondor does (${local ?? record.sif.reference})`);
    return `container_image = ${local ?? record.sif.reference}`;
  }
  note(
    `note: the job runs the SIF ${record.sif.reference}; here it runs in the Docker image that SIF was made from, ` +
      `${record.reference} (the same digest), with docker run` +
      (apptainer ? ' (the staged SIF is not on this machine)' : ' (no apptainer on PATH)'),
  );
  return `container_image = docker://${record.reference}`;
}
