// The `.job.ad` and `.machine.ad` files the starter writes into the sandbox (_CONDOR_JOB_AD,
// _CONDOR_MACHINE_AD): ClassAds in long form, one `Attr = value` per line. The job ad holds
// what condor_submit put in it as far as the planner models it, plus the ids and state.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { byAttributeName } from '../event-log/writer.ts';

export function classAdText(ad: Record<string, string>): string {
  return `${Object.keys(ad)
    .sort(byAttributeName)
    .map((k) => `${k} = ${ad[k]}`)
    .join('\n')}\n`;
}

const quote = (text: string): string => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export interface AdInput {
  classAd: Record<string, string>;
  cluster: number;
  proc: number;
  starts: number;
  host: string;
  slot: string;
  cpus: number;
  memoryMb: number;
  gpus: string[];
}

export async function writeAds(sandbox: string, input: AdInput): Promise<void> {
  const job: Record<string, string> = {
    ...input.classAd,
    ClusterId: String(input.cluster),
    ProcId: String(input.proc),
    GlobalJobId: quote(`${input.host}#${input.cluster}.${input.proc}#local`),
    JobStatus: '2',
    NumJobStarts: String(input.starts),
    RemoteHost: quote(input.slot),
  };
  const machine: Record<string, string> = {
    Machine: quote(input.host),
    Name: quote(input.slot),
    Cpus: String(input.cpus),
    Memory: String(input.memoryMb),
    GPUs: String(input.gpus.length),
    ...(input.gpus.length > 0 ? { AssignedGPUs: quote(input.gpus.join(',')) } : {}),
    OpSys: quote('LINUX'),
    Arch: quote('X86_64'),
  };
  await writeFresh(join(sandbox, '.job.ad'), classAdText(job));
  await writeFresh(join(sandbox, '.machine.ad'), classAdText(machine));
}

/**
 * A new file in place of whatever is there: after a checkpoint exit the job has had the sandbox,
 * and a link it left at the name must not be written through (to any file of the user's).
 * (`wx`: O_CREAT|O_EXCL, which never follows a link at the name.)
 */
async function writeFresh(path: string, text: string): Promise<void> {
  await rm(path, { force: true, recursive: true });
  await writeFile(path, text, { flag: 'wx' });
}
