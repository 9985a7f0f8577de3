// `submit --local` of a job whose container_image is a SIF, when apptainer is on PATH: the job
// runs as HTCondor's starter runs it, `apptainer exec` of the executable with the sandbox bound
// and as the working directory (--nv when the proc has GPUs), as a plain process of this user
// (Apptainer needs no daemon). Images are marked `apptainer:<image>` in the runner's image list,
// so the Docker path (docker run, its container inspection) never sees them.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { bindMount } from './container-run.ts';

export const APPTAINER_PREFIX = 'apptainer:';

/** The SIF forms Apptainer runs (an oras:// artifact, a .sif path). */
export function isApptainerImage(image: string): boolean {
  const v = image.trim().replace(/^"(.*)"$/, '$1');
  return /^oras:\/\//i.test(v) || /\.sif$/i.test(v);
}

/** Is apptainer on PATH (synchronous: the runner's image choice is)? */
export function apptainerOnPath(env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'apptainer'), constants.X_OK);
      return join(dir, 'apptainer');
    } catch {
      // keep looking
    }
  }
  return null;
}

export interface ApptainerLaunch {
  /** The image without the apptainer: mark. */
  image: string;
  executable: string;
  args: string[];
  sandbox: string;
  workdir: string;
  gpus: string[];
}

/**
 * A folder bound at its own path: `--bind PATH`, whose spec is a comma-separated list of
 * `src:dst`, for a plain path; for one holding `:` or `,`, `--mount type=bind,src=…,dst=…`
 * (Apptainer reads its fields as CSV, as docker does: bindMount quotes them).
 */
export function apptainerBind(path: string): string[] {
  if (!/[:,]/.test(path)) return ['--bind', path];
  return ['--mount', bindMount(path, ['src', 'dst'])];
}

export function apptainerArgv(launch: ApptainerLaunch): string[] {
  return [
    'apptainer',
    'exec',
    '--contain',
    ...apptainerBind(launch.sandbox),
    ...(launch.workdir !== launch.sandbox ? apptainerBind(launch.workdir) : []),
    '--pwd',
    launch.workdir,
    ...(launch.gpus.length > 0 ? ['--nv'] : []),
    launch.image,
    launch.executable,
    ...launch.args,
  ];
}
