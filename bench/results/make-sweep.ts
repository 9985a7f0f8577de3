// A finished sweep of N procs, as `results` finds one: a job record (.pixi-condor/jobs/C.json)
// whose procs carry their queue variables and bring back metrics.json into runs/<proc>/, the
// shared event log of the sweep (bench/track/make-log.ts: real fixture events, ~10 per proc),
// and each proc's metrics.json as the template's job writes it. Deterministic.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobRecord } from '../../scripts/lib/jobs/job-store.ts';
import { makeLog } from '../track/make-log.ts';

export interface MadeSweep {
  root: string;
  cluster: number;
  /** Every file `results` reads: the log and each metrics.json. */
  files: string[];
}

export function makeSweep(root: string, procs: number, logBytes: number, cluster = 5_000_000): MadeSweep {
  mkdirSync(join(root, '.pixi-condor', 'jobs'), { recursive: true });
  writeFileSync(
    join(root, 'pixi.toml'),
    '[workspace]\nname = "bench"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n',
  );
  const log = join(root, 'sweep.log');
  makeLog(log, procs, logBytes, cluster);
  const files = [log];
  const record: JobRecord = {
    version: 1,
    cluster,
    submitFile: 'mnist_sweep.sub',
    batchName: 'bench-sweep',
    submittedAt: '2026-03-01T08:00:00.000Z',
    image: null,
    gitRevision: null,
    command: ['condor_submit', 'mnist_sweep.sub'],
    procs: [],
  };
  for (let proc = 0; proc < procs; proc++) {
    const iwd = join(root, 'runs', String(proc));
    mkdirSync(iwd, { recursive: true });
    const metrics = join(iwd, 'metrics.json');
    const accuracy = 0.9 + ((proc * 7919) % 1000) / 10_000;
    writeFileSync(
      metrics,
      `${JSON.stringify({ accuracy, loss: 1 - accuracy, epochs: 20, seconds: 300 + (proc % 97) })}\n`,
    );
    files.push(metrics);
    record.procs.push({
      proc,
      log,
      output: null,
      error: null,
      executable: 'job/run.sh',
      arguments: [],
      iwd,
      transferInputFiles: [],
      transferOutputFiles: ['metrics.json'],
      vars: { lr: `0.${(proc % 9) + 1}`, seed: String(proc) },
    });
  }
  writeFileSync(join(root, '.pixi-condor', 'jobs', `${cluster}.json`), JSON.stringify(record));
  return { root, cluster, files };
}
