// A FIFO where a command reads a file is never waited on (the standard: every reader bounds the
// time a hostile file can cost): the local cluster counter, an interrupted submission's tag, a
// job's error file read for the closing summary, and a FIFO in the image's build context; nor
// where the local runner writes (an event log, a job's output file). Each
// probe runs in a child process: a read that blocks would hang it (seen as a timeout), not this.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import { runCommand, typeScriptNodeArgs } from '../helpers/process.ts';

const dir = mkdtempSync(join(tmpdir(), 'pc-fifo-reads-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const lib = (path: string) => JSON.stringify(join(repoRoot, 'scripts', 'lib', path));

/** Run `body` (an async module body that prints one JSON line) in a child; its parsed output. */
async function probe(name: string, imports: string, body: string): Promise<unknown> {
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, `${imports}\n${body}\n`);
  const result = await runCommand(process.execPath, [...typeScriptNodeArgs, file], { timeoutMs: 10_000 });
  assert.not.ok(result.timedOut, `${name}: the read waited on a FIFO`);
  assert.is(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

test('a FIFO as .pixi-condor/local/last-cluster: the next id is claimed from 1, not waited for', async () => {
  const root = join(dir, 'counter');
  mkdirSync(join(root, '.pixi-condor', 'local'), { recursive: true });
  execFileSync('mkfifo', [join(root, '.pixi-condor', 'local', 'last-cluster')]);
  const id = await probe(
    'counter',
    `import { claimLocalCluster } from ${lib('local/cluster-counter.ts')};`,
    `console.log(JSON.stringify(await claimLocalCluster(${JSON.stringify(root)})));`,
  );
  assert.is(id, 1);
});

test("a FIFO as an interrupted submission's tag: skipped, nothing asked of condor", async () => {
  const root = join(dir, 'pending');
  const jobs = join(root, '.pixi-condor', 'jobs');
  mkdirSync(jobs, { recursive: true });
  execFileSync('mkfifo', [join(jobs, 'pending-0b5e2f1c-3c39-4c6e-9f59-1f1a5b1f0c2d.json')]);
  const said = await probe(
    'pending',
    `import { adoptPendingSubmissions } from ${lib('submit/pending-submission.ts')};`,
    `const lines: string[] = [];
const shell = { run: () => { throw new Error('condor asked'); } } as never;
await adoptPendingSubmissions(${JSON.stringify(root)}, shell, (l) => lines.push(l));
console.log(JSON.stringify(lines));`,
  );
  assert.equal(said, []);
});

test("a FIFO as a job's error file: its tail is none, read without waiting", async () => {
  const fifo = join(dir, 'err.txt');
  execFileSync('mkfifo', [fifo]);
  const tail = await probe(
    'tail',
    `import { readTail } from ${lib('jobs/progress.ts')};`,
    `console.log(JSON.stringify(readTail(${JSON.stringify(fifo)}, 65536)));`,
  );
  assert.is(tail, null);
});

test('a FIFO in the build context: the content hash is made without opening it, and names it as a FIFO', async () => {
  const root = join(dir, 'context');
  mkdirSync(join(root, 'data'), { recursive: true });
  copyFileSync(join(repoRoot, 'pixi.toml'), join(root, 'pixi.toml'));
  writeFileSync(join(root, 'Dockerfile'), 'FROM busybox\nCOPY data /data\n');
  writeFileSync(join(root, 'data', 'a.txt'), 'a\n');
  execFileSync('mkfifo', [join(root, 'data', 'pipe')]);
  const digests = (await probe(
    'context',
    `import { computeContentHash } from ${lib('image/content-hash.ts')};
import { readManifest, templateConfig } from ${lib('workspace.ts')};`,
    `const root = ${JSON.stringify(root)};
const config = templateConfig((await readManifest(root)).data);
console.log(JSON.stringify((await computeContentHash(root, config)).digests));`,
  )) as Record<string, string>;
  assert.ok(digests['data/a.txt']?.startsWith('sha256:'), JSON.stringify(digests));
  assert.ok(digests['data/pipe']?.startsWith('sha256:'), JSON.stringify(digests));
  assert.is.not(digests['data/pipe'], digests['data/a.txt']);
});

test("a FIFO as an event log or a job's output file: the local runner's writes fail at once, never wait", async () => {
  const log = join(dir, 'job.log');
  const out = join(dir, 'job.out');
  execFileSync('mkfifo', [log]);
  execFileSync('mkfifo', [out]);
  const said = (await probe(
    'writes',
    `import { EventLogWriter } from ${lib('event-log/writer.ts')};
import { openJobOutput } from ${lib('local/sandbox-wall.ts')};`,
    `const writer = new EventLogWriter(() => 0);
const log = await writer.write(${JSON.stringify(log)}, { cluster: 1, proc: 0 }, { code: 0, submitHost: 'h' }).then(() => 'written', (e) => String(e.message));
let out = 'opened';
try { openJobOutput(${JSON.stringify(out)}, true); } catch (e) { out = String((e as Error).message); }
console.log(JSON.stringify([log, out]));`,
  )) as string[];
  assert.match(said[0]!, /the event log .*job\.log is not a regular file/);
  assert.match(said[1]!, /ENXIO|not a regular file/);
});

test.run();
