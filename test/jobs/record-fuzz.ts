// Fuzzing the readers of job records (.pixi-condor/jobs/<cluster>.json) with structural edits: a
// field deleted, or set to null, a number, a text, a list or an object, at any depth. Every
// mutant must be refused as a UserError (exit 2, naming the field) or, once accepted, survive
// what status/results/resubmit do with it (collectResults, the output places, the logs): a
// TypeError there is what issue 25 found (`"to" argument … at displayPath`).
// Used by record-fuzz.test.ts (fixed seed, in a child process with a time limit). Run alone:
//   node test/jobs/record-fuzz.ts SEED COUNT
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { UserError } from '../../scripts/lib/errors.ts';
import { jobRecordPath, readJobRecord, recordLogs } from '../../scripts/lib/jobs/job-store.ts';
import { collectResults, metricsCandidates, outputPlace } from '../../scripts/lib/jobs/results.ts';
import { randomInt, seeded } from '../helpers/random.ts';

export interface RecordFuzzResult {
  cases: number;
  accepted: number;
  refused: number;
  crashes: string[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const VALUES: Json[] = [null, 0, -1, 1.5, 1e300, '', 'x', '../x', '/abs/x', true, [], {}, [null], { x: 1 }];

function goodRecord(root: string): Json {
  const proc = (n: number): Json => ({
    proc: n,
    log: join(root, 'job.log'),
    output: join(root, `out.${n}`),
    error: join(root, `err.${n}`),
    executable: 'job/run.sh',
    arguments: ['--lr', '0.1'],
    iwd: root,
    transferInputFiles: ['data.tar.gz'],
    transferOutputFiles: ['metrics.json', 'model/'],
    vars: { lr: '0.1', seed: String(n) },
    outputRemaps: { 'metrics.json': `results/${n}/metrics.json` },
    outputDestination: null,
    requestMemoryMb: 4096,
    requestDiskKb: 1048576,
  });
  return {
    version: 1,
    cluster: 7,
    submitFile: 'sweep.sub',
    batchName: 'sweep',
    submittedAt: '2026-12-05T00:00:00.000Z',
    image: { reference: 'ghcr.io/a/b@sha256:00', digest: 'sha256:00' },
    gitRevision: null,
    command: ['condor_submit', 'sweep.sub'],
    procs: [proc(0), proc(1), proc(2)],
    resubmitOf: { cluster: 3, procs: [0, 1, 2] },
  };
}

/** Every path to a value in the tree (keys and indexes), the root excluded. */
function paths(value: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (value && typeof value === 'object')
    for (const [key, child] of Object.entries(value)) {
      const path = [...at, Array.isArray(value) ? Number(key) : key];
      out.push(path);
      paths(child as Json, path, out);
    }
  return out;
}

function mutate(rand: () => number, record: Json): Json {
  const copy = structuredClone(record);
  for (let edits = randomInt(rand, 1, 3); edits > 0; edits--) {
    const all = paths(copy);
    const path = all[randomInt(rand, 0, all.length - 1)]!;
    let parent = copy as Record<string | number, Json>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
    const last = path[path.length - 1]!;
    if (randomInt(rand, 0, 3) === 0 && !Array.isArray(parent)) delete parent[last];
    else parent[last] = structuredClone(VALUES[randomInt(rand, 0, VALUES.length - 1)]!);
  }
  return copy;
}

async function fuzzRecords(seed: number, count: number): Promise<RecordFuzzResult> {
  const rand = seeded(seed);
  const root = mkdtempSync(join(tmpdir(), 'pixi-condor-record-fuzz-'));
  const result: RecordFuzzResult = { cases: 0, accepted: 0, refused: 0, crashes: [] };
  try {
    mkdirSync(join(root, '.pixi-condor', 'jobs'), { recursive: true });
    writeFileSync(join(root, 'job.log'), '');
    const good = goodRecord(root);
    for (let i = 0; i < count; i++) {
      const mutant = mutate(rand, good);
      writeFileSync(jobRecordPath(root, 7), JSON.stringify(mutant));
      result.cases++;
      try {
        const record = await readJobRecord(root, 7);
        result.accepted++;
        recordLogs(record);
        for (const proc of record.procs) {
          metricsCandidates(proc);
          for (const name of proc.transferOutputFiles ?? []) outputPlace(proc, name);
        }
        await collectResults(root, record, (path) => relative(root, path));
      } catch (error) {
        if (error instanceof UserError) result.refused++;
        else if (result.crashes.length < 10)
          result.crashes.push(`${JSON.stringify(mutant).slice(0, 300)}: ${(error as Error).stack?.slice(0, 300)}`);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [seed = '20261205', count = '1000'] = process.argv.slice(2);
  process.stdout.write(JSON.stringify(await fuzzRecords(Number(seed), Number(count))));
}
