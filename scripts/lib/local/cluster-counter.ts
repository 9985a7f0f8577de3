// Cluster ids for local runs. A pool's schedd never reuses a cluster id; neither does this: each
// id is claimed by creating .pixi-condor/local/clusters/<id> (mkdir is atomic, so two runs at
// once never get the same id), those markers are kept, and an id whose job record already exists
// (a pool job's, or an older local run's) is skipped.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';
import { readBoundedText } from '../bounded-read.ts';
import { jobRecordPath } from '../jobs/job-store.ts';
import { STATE_DIR } from '../workspace.ts';

export const LOCAL_DIR = join(STATE_DIR, 'local');

/** Claim the next free local cluster id (from 1, as a fresh schedd starts). */
export async function claimLocalCluster(root: string): Promise<number> {
  const dir = join(root, LOCAL_DIR);
  const markers = join(dir, 'clusters');
  await mkdir(markers, { recursive: true });
  const lastFile = join(dir, 'last-cluster');
  let last = 0;
  try {
    // Bounded (a number and a newline): a FIFO or a huge file there is not read.
    last = Number.parseInt(readBoundedText(lastFile, 64).trim(), 10) || 0;
  } catch {
    // no local run yet, or no usable number: from 1, skipping ids taken
  }
  for (let id = last + 1; ; id++) {
    if (existsSync(jobRecordPath(root, id))) continue;
    try {
      await mkdir(join(markers, String(id)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    await writeFileAtomic(lastFile, `${id}\n`);
    return id;
  }
}
