// Which image `submit --local` runs: the one choice of the container_image line it appends.
// - A recorded image pinned to a SIF: HTCondor runs such a job with `apptainer exec`, and so does
//   the local runner when apptainer is on PATH (the local SIF file, else the oras:// artifact).
//   Without it, the job runs in the Docker image the SIF was made from: the same recorded digest
//   (the SIF's labels name it), the same files, and a note says so.
// - No image record (issue 18, item 6): a proc of the container universe that names no image of
//   its own gets the workspace's image, built here (image/local-build.ts) and pinned by image ID,
//   as `submit` pins a pushed image by digest.
import { submitEnvironment } from '../secret-mask.ts';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageRecord } from '../image-record.ts';
import { onPath, Shell } from '../shell.ts';
import type { Statement } from '../submit-language/submit-file.ts';
import { planSubmit } from '../submit-language/submit-plan.ts';

export interface LocalImageChoice {
  /** The `container_image` line appended before `queue`, or null for none. */
  line: string | null;
  /** For the job record, when the image was built here. */
  image?: { reference: string; digest: string };
}

export interface LocalImageInput {
  root: string;
  record: ImageRecord | null;
  /** The line `submit` pins the recorded image with (image-pin.ts), or null without a record. */
  imageLine: string | null;
  statements: Statement[];
  submitFile: string;
  append: string[];
  defines: Record<string, string>;
  batchName: string;
  dryRun: boolean;
  say: (line: string) => void;
}

export async function localImageChoice(input: LocalImageInput): Promise<LocalImageChoice> {
  if (input.record) return { line: await sifRunLine(input.root, input.record, input.imageLine, input.say) };
  return (await localBuildFor(input)) ?? { line: null };
}

/** The recorded pin, but for a file pinned to a SIF: the SIF with apptainer, else its Docker image. */
async function sifRunLine(
  root: string,
  record: ImageRecord,
  imageLine: string | null,
  note: (line: string) => void,
): Promise<string | null> {
  if (!record.sif || imageLine !== `container_image = ${record.sif.reference}`) return imageLine;
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

/** null when every proc has its image (or needs none); else the line that pins the local build. */
async function localBuildFor(input: LocalImageInput): Promise<LocalImageChoice | null> {
  let needed: boolean;
  try {
    const { procs } = planSubmit(input.statements, {
      submitFile: input.submitFile,
      cwd: input.root,
      ...submitEnvironment(input.root),
      cluster: null,
      append: input.append,
      defines: input.defines,
      batchName: input.batchName,
    });
    needed = procs.some(
      (p) => (p.universe === 'container' || p.universe === 'docker') && !p.containerImage && !p.classAd.DockerImage,
    );
  } catch {
    return null; // the run's own planning says what is wrong, in its words
  }
  if (!needed) return null;
  const { localImage, localImagePlan } = await import('../image/local-build.ts');
  if (input.dryRun) {
    const plan = await localImagePlan(input.root);
    input.say(`no image record: a real run builds ${plan.reference} here first (docker build, no registry, no push)`);
    return {
      line: `container_image = docker://${plan.reference}`,
      image: { reference: plan.reference, digest: 'unbuilt' },
    };
  }
  const built = await localImage({ root: input.root, shell: new Shell(), env: process.env, err: input.say });
  return {
    line: `container_image = docker://${built.imageId}`,
    image: { reference: built.reference, digest: built.imageId },
  };
}
