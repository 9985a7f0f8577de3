// Which image `submit --local` runs when there is no image record (issue 18, item 6): a proc of
// the container universe that names no image of its own gets the workspace's image, built here
// (image/local-build.ts) and pinned by image ID, as `submit` pins a pushed image by digest.
import type { Shell } from '../shell.ts';
import type { Statement } from '../submit-language/submit-file.ts';
import { planSubmit } from '../submit-language/submit-plan.ts';

export interface LocalImageChoice {
  /** The `container_image` line appended before `queue`. */
  line: string;
  /** For the job record. */
  image: { reference: string; digest: string };
}

export interface LocalImageInput {
  root: string;
  statements: Statement[];
  submitFile: string;
  append: string[];
  defines: Record<string, string>;
  batchName: string;
  shell: Shell;
  say: (line: string) => void;
}

/** null when every proc has its image (or needs none); else the line that pins the local build. */
export async function localImageFor(input: LocalImageInput): Promise<LocalImageChoice | null> {
  let needed: boolean;
  try {
    const { procs } = planSubmit(input.statements, {
      submitFile: input.submitFile,
      cwd: input.root,
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
  if (input.shell.dryRun) {
    const plan = await localImagePlan(input.root);
    input.say(`no image record: a real run builds ${plan.reference} here first (docker build, no registry, no push)`);
    return {
      line: `container_image = docker://${plan.reference}`,
      image: { reference: plan.reference, digest: 'unbuilt' },
    };
  }
  const built = await localImage({ root: input.root, shell: input.shell, env: process.env, err: input.say });
  return {
    line: `container_image = docker://${built.imageId}`,
    image: { reference: built.reference, digest: built.imageId },
  };
}
