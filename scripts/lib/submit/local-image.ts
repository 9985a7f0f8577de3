// `submit --local` of a submit file pinned to a SIF. HTCondor runs such a job with `apptainer
// exec`; the local runner starts containers with Docker, so it runs the Docker image the SIF was
// made from: the same recorded digest (the SIF's labels name it), the same files. It says so,
// since the runtime differs (Apptainer shares the host's user and does not apply the image's
// WORKDIR; job/mnist_gpu.sh needs neither).
import type { ImageRecord } from '../image-record.ts';
import { onPath } from '../shell.ts';

export async function localImageLine(
  record: ImageRecord | null,
  imageLine: string | null,
  note: (line: string) => void,
): Promise<string | null> {
  if (!record?.sif || imageLine !== `container_image = ${record.sif.reference}`) return imageLine;
  const apptainer = await onPath('apptainer');
  note(
    `note: the job runs the SIF ${record.sif.reference}; here it runs in the Docker image that SIF was made from, ` +
      `${record.reference} (the same digest), with docker run` +
      (apptainer
        ? ` (${apptainer} is on PATH, but the local runner starts containers with Docker only)`
        : ' (no apptainer on PATH)'),
  );
  return `container_image = docker://${record.reference}`;
}
