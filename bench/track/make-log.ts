// Builds the benchmark's event log: real fixture events (test/fixtures/condor/event-logs),
// renumbered to one cluster of N procs and re-dated (ISO), each proc's story padded with the
// fixtures' own 006 image-size events up to a byte budget, procs interleaved in batches as a
// busy pool writes them. Deterministic: same arguments, same file.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../test/helpers/paths.ts';

const FIXTURES = join(repoRoot, 'test', 'fixtures', 'condor', 'event-logs');
const STORIES = [
  'chtc_hello_gpu_docker_gpu.log',
  'chtc_pytorch_cnn_docker_gpu.log',
  'chtc_tensorflow_docker_gpu.log',
  'htcanalyze_398_0_normal_mmdd.log',
  'htcanalyze_job_evicted.log',
  'htcanalyze_normal_log.log',
  'htcanalyze_abnormal_termination.log',
  'doc_osg_school_2025_ospool_dag_node_full_log.log',
  'synthetic_held_image_pull_released.log',
];

/** Event texts (header line without id/date, then body), `...` dropped. */
function events(name: string): { code: string; rest: string }[] {
  return readFileSync(join(FIXTURES, name), 'utf8')
    .split(/^[ \t]*\.\.\.[ \t]*\r?\n?/m)
    .map((e) => e.replace(/^\s+/, ''))
    .filter((e) => /^\d{3} \(/.test(e))
    .map((e) => {
      const m = /^(\d{3}) \([-\d.]+\) \S+ \S+ ?([\s\S]*)$/.exec(e)!;
      return { code: m[1]!, rest: m[2]!.endsWith('\n') ? m[2]! : m[2]! + '\n' };
    });
}

function isoDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

export interface MadeLog {
  path: string;
  bytes: number;
  events: number;
  cluster: number;
}

export function makeLog(path: string, procs: number, targetBytes: number, cluster = 5_000_000): MadeLog {
  const stories = STORIES.map(events);
  const imageSizes = stories.flat().filter((e) => e.code === '006');
  const perProc = Math.floor(targetBytes / procs);
  const fd = openSync(path, 'w');
  let bytes = 0;
  let count = 0;
  let clock = Date.UTC(2026, 2, 1, 8, 0, 0);
  const batch = 100;
  for (let first = 0; first < procs; first += batch) {
    // Each proc's story: its real events, 006s inserted before the last event up to the budget.
    const lists: { code: string; rest: string }[][] = [];
    for (let proc = first; proc < Math.min(procs, first + batch); proc++) {
      const story = stories[proc % stories.length]!;
      const list = story.slice(0, -1);
      let size = story.reduce((n, e) => n + e.rest.length + 40, 0);
      for (let k = 0; size < perProc; k++) {
        const e = imageSizes[(proc + k) % imageSizes.length]!;
        list.push(e);
        size += e.rest.length + 40;
      }
      list.push(story[story.length - 1]!);
      lists.push(list);
    }
    const longest = Math.max(...lists.map((l) => l.length));
    for (let step = 0; step < longest; step++) {
      let chunk = '';
      lists.forEach((list, i) => {
        const e = list[step];
        if (!e) return;
        clock += 137;
        chunk += `${e.code} (${cluster}.${String(first + i).padStart(3, '0')}.000) ${isoDate(clock)} ${e.rest}...\n`;
        count++;
      });
      bytes += writeSync(fd, chunk);
    }
  }
  closeSync(fd);
  return { path, bytes, events: count, cluster };
}

/** One more event for `proc`, as appended by the benchmark's update test. */
export function extraEvent(cluster: number, proc: number, n: number): string {
  return `006 (${cluster}.${String(proc).padStart(3, '0')}.000) ${isoDate(Date.UTC(2026, 2, 2) + n * 1000)} Image size of job updated: ${1000 + n}\n\t${n % 100}  -  MemoryUsage of job (MB)\n\t${n * 3}  -  ResidentSetSize of job (KB)\n...\n`;
}
