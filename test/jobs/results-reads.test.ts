// `results` reads every proc's metrics.json once, in one pass of batches into one reused buffer
// (metrics-reads.ts, readFilesBounded): readFilesBounded refuses what readBounded refuses, a
// FIFO without waiting on it; the candidates of many procs, worked out from a sweep's layout
// once, are each proc's own metricsCandidates; each kind of thing a metrics.json place may hold
// gives the row it gave when each file was read on its own.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BATCH_MISSING,
  BATCH_NOT_A_FILE,
  BATCH_TOO_LARGE,
  BATCH_UNREADABLE,
  type BoundedReadError,
  readBounded,
  readFilesBounded,
} from '../../scripts/lib/bounded-read.ts';
import type { JobRecord, ProcRecord } from '../../scripts/lib/jobs/job-store.ts';
import { MetricsReads, UNUSABLE } from '../../scripts/lib/jobs/metrics-reads.ts';
import { candidatesOfAll, collectResults, metricsCandidates } from '../../scripts/lib/jobs/results.ts';
import { sweepResultLines } from '../../scripts/lib/jobs/results-command.ts';
import { palette } from '../../scripts/lib/term.ts';
import { repoRoot } from '../helpers/paths.ts';
import { runCommand, runScript, typeScriptNodeArgs } from '../helpers/process.ts';

const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-results-reads-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function proc(n: number, iwd: string, extra: Partial<ProcRecord> = {}): ProcRecord {
  return {
    proc: n,
    log: null,
    output: null,
    error: null,
    executable: 'job/run.sh',
    arguments: [],
    iwd,
    transferInputFiles: [],
    transferOutputFiles: ['metrics.json'],
    vars: { seed: String(n) },
    ...extra,
  };
}

function jobRecord(cluster: number, procs: ProcRecord[]): JobRecord {
  return {
    version: 1,
    cluster,
    submitFile: 'sweep.sub',
    batchName: 'sweep',
    submittedAt: '2026-12-05T00:00:00.000Z',
    image: null,
    gitRevision: null,
    command: ['condor_submit', 'sweep.sub'],
    procs,
  };
}

/** What readBounded makes of a path, as readFilesBounded says it. */
function expected(path: string, limit: number): number | string {
  try {
    return readBounded(path, limit).toString('latin1');
  } catch (error) {
    const problem = (error as BoundedReadError).problem;
    const codes: Record<string, number> = {
      missing: BATCH_MISSING,
      'not-a-file': BATCH_NOT_A_FILE,
      'too-large': BATCH_TOO_LARGE,
      unreadable: BATCH_UNREADABLE,
    };
    return codes[problem]!;
  }
}

test('readFilesBounded refuses what readBounded refuses and reads what it reads, batch after batch', () => {
  const at = (name: string) => join(dir, 'batch', name);
  mkdirSync(at('folder'), { recursive: true });
  writeFileSync(at('ok'), '{"a": 1}');
  writeFileSync(at('empty'), '');
  writeFileSync(at('limit'), 'x'.repeat(16));
  writeFileSync(at('over'), 'x'.repeat(17));
  writeFileSync(at('latin'), Buffer.from([0x68, 0xff, 0x0a]));
  const paths = [
    at('ok'),
    at('missing'),
    at('ok/deeper'), // ENOTDIR
    at('folder'),
    '/dev/zero',
    '/dev/null',
    at('empty'),
    at('limit'),
    at('over'),
    at('latin'),
    at('ok'),
  ];
  // A budget of 5 bytes: a batch ends after the file that reaches it, so this takes several.
  const got: (number | string)[] = [];
  const buffer = Buffer.alloc(5 + 16 + 1);
  let batches = 0;
  for (let from = 0; from < paths.length; batches++) {
    const batch = readFilesBounded(paths, from, 16, 5, buffer);
    assert.ok(batch.next > from, 'every batch reads at least one path');
    let start = 0;
    for (const end of batch.ends) {
      if (end < 0) got.push(end);
      else {
        got.push(batch.bytes.toString('latin1', start, end));
        start = end;
      }
    }
    from = batch.next;
  }
  assert.ok(batches >= 3, `${batches} batches`);
  assert.equal(
    got,
    paths.map((path) => expected(path, 16)),
  );
  assert.equal(got.slice(0, 6), [
    '{"a": 1}',
    BATCH_MISSING,
    BATCH_MISSING,
    BATCH_NOT_A_FILE,
    BATCH_NOT_A_FILE,
    BATCH_NOT_A_FILE,
  ]);
  assert.equal(got.slice(7, 9), ['x'.repeat(16), BATCH_TOO_LARGE]);
});

// In a child process with a time limit, as bounded-read.test.ts does: a reader that regressed
// to a blocking open would hang there, and the test fails instead of hanging the suite.
test('readFilesBounded refuses a FIFO at once, without reading from it', async () => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const probe = join(dir, 'probe.ts');
  writeFileSync(
    probe,
    [
      `import { readFilesBounded } from ${JSON.stringify(join(repoRoot, 'scripts', 'lib', 'bounded-read.ts'))};`,
      'console.log(Array.from(readFilesBounded([process.argv[2]!], 0, 10, 10).ends).join(","));',
      '',
    ].join('\n'),
  );
  const result = await runCommand(process.execPath, [...typeScriptNodeArgs, probe, fifo], { timeoutMs: 20_000 });
  assert.not.ok(result.timedOut, 'the open blocked on the FIFO');
  assert.is(result.stdout.trim(), String(BATCH_NOT_A_FILE), result.stderr);
});

test('metricsCandidates: outputs/ brings metrics.json back flat; a remap of outputs/metrics.json is where it lands', () => {
  assert.equal(metricsCandidates(proc(0, '/w/runs/0', { transferOutputFiles: ['outputs/'] })).paths, [
    '/w/runs/0/metrics.json',
  ]);
  assert.equal(
    metricsCandidates(
      proc(0, '/w/runs/0', {
        transferOutputFiles: ['outputs'],
        outputRemaps: { 'outputs/metrics.json': 'res/m_0.json' },
      }),
    ).paths,
    ['/w/runs/0/res/m_0.json', '/w/runs/0/outputs/metrics.json'],
  );
});

test("candidatesOfAll is each proc's metricsCandidates, whatever the layouts and their order", () => {
  const iwds = [
    '/w/runs/1',
    '/w/runs/2/',
    '/w//runs/3',
    '/w/./runs',
    '/w/x/../runs',
    '/',
    '/w/..',
    '/w/.',
    '/.h/x',
    '/w/..b',
  ];
  const outputs: (string[] | null)[] = [
    null,
    [],
    ['metrics.json'],
    ['outputs'],
    ['outputs/'],
    ['sub/metrics.json', 'metrics.json'],
    ['model.pt'],
    ['.', '..', 'x/..'],
  ];
  const remaps: (Record<string, string> | undefined)[] = [
    undefined,
    { 'metrics.json': '/abs/m.json' },
    { 'metrics.json': 'res/m.json' },
    { outputs: '../o' },
    { 'metrics.json': '.' },
  ];
  const destinations: (string | null | undefined)[] = [
    undefined,
    null,
    'file:///dest',
    'https://x/y',
    'rel/dir',
    '/abs/dest/',
  ];
  const procs: ProcRecord[] = [];
  // Layouts change slowly (runs of procs alike, as in a sweep) and quickly (every proc differs).
  for (const transferOutputFiles of outputs)
    for (const outputRemaps of remaps)
      for (const outputDestination of destinations)
        for (const iwd of iwds)
          procs.push(proc(procs.length, iwd, { transferOutputFiles, outputRemaps, outputDestination }));
  for (let i = 0; i < 400; i++) {
    const p = procs[(i * 7919) % procs.length]!;
    procs.push({ ...p, proc: procs.length, transferOutputFiles: p.transferOutputFiles?.slice() ?? null });
  }
  const all = candidatesOfAll(procs);
  procs.forEach((p, i) => {
    const own = metricsCandidates(p);
    assert.equal(
      { paths: all.paths.slice(all.starts[i], all.starts[i + 1]), unreachable: all.unreachable[i] },
      own,
      `proc ${i}: ${JSON.stringify(p)}`,
    );
  });
});

/** A workspace whose procs' metrics.json places hold one of each kind of thing. */
function oddSweep(root: string): JobRecord {
  const procs: ProcRecord[] = [];
  const place = (kind: string, write: (iwd: string) => void, extra: Partial<ProcRecord> = {}): void => {
    const iwd = join(root, 'runs', String(procs.length));
    mkdirSync(iwd, { recursive: true });
    write(iwd);
    procs.push(proc(procs.length, iwd, { vars: { kind }, ...extra }));
  };
  const metrics = (iwd: string, text: string) => writeFileSync(join(iwd, 'metrics.json'), text);
  for (let round = 0; round < 3; round++) {
    place('numbers', (iwd) => metrics(iwd, `{"accuracy": 0.9${round}, "loss": 0.${round}1}\n`));
    place('missing', () => {});
    place('folder', (iwd) => mkdirSync(join(iwd, 'metrics.json')));
    place('not json', (iwd) => metrics(iwd, '{"accuracy": '));
    place('a list', (iwd) => metrics(iwd, '[1, 2]'));
    place('nested', (iwd) => metrics(iwd, '{"a": {"b": 1}, "c": [1, 2], "__proto__": 5, "d": "x"}'));
    place('device', () => {}, { outputRemaps: { 'metrics.json': '/dev/zero' } });
    place('elsewhere', () => {}, { outputDestination: 'https://example.org/out' });
    place(
      'second place',
      (iwd) => {
        mkdirSync(join(iwd, 'outputs'));
        metrics(join(iwd, 'outputs'), 'oops');
        metrics(iwd, '{"accuracy": 0.5}');
      },
      { transferOutputFiles: ['outputs', 'metrics.json'] },
    );
  }
  place('too large', (iwd) => metrics(iwd, `{"pad": "${'x'.repeat(1 << 20)}"}`));
  // Not ASCII (a batch holding it is decoded file by file): UTF-8, and a bad byte as U+FFFD.
  const utf8 = Buffer.concat([Buffer.from('{"name": "café", "bad": "'), Buffer.from([0xff]), Buffer.from('"}')]);
  place('utf-8', (iwd) => writeFileSync(join(iwd, 'metrics.json'), utf8));
  // Six files near the 1 MiB limit each: more than one 4 MiB batch in all, after the small ones.
  for (let i = 0; i < 6; i++) place('big', (iwd) => metrics(iwd, `{"n": ${i}, "pad": "${'y'.repeat(1_000_000)}"}`));
  return jobRecord(9, procs);
}

test('each kind of metrics.json place gives its row: numbers, missing, a folder, bad JSON, a list, nested values, a device, elsewhere, a second place, too large, UTF-8, batches of big files', async () => {
  const root = join(dir, 'odd');
  const record = oddSweep(root);
  const show = (path: string) => (path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path);
  const serial = await collectResults(root, record, show);
  const byKind = (kind: string) => serial.rows.filter((row) => row.vars.kind === kind);
  assert.equal(
    byKind('numbers').map((row) => row.metrics),
    [0, 1, 2].map((round) => ({ accuracy: Number(`0.9${round}`), loss: Number(`0.${round}1`) })),
  );
  assert.equal(byKind('utf-8')[0]!.metrics, { name: 'café', bad: '\ufffd' });
  const [nested] = byKind('nested');
  assert.equal(nested!.metrics, { a: '{"b":1}', c: '[1,2]', d: 'x' });
  assert.equal(Object.keys(nested!.metrics!), ['a', 'c', 'd']);
  assert.is(byKind('missing')[0]!.missing, 'no event in its log yet');
  for (const kind of ['folder', 'not json', 'a list', 'too large'])
    assert.match(byKind(kind)[0]!.missing!, /metrics\.json is not a JSON object of values$/, kind);
  assert.is(byKind('device')[0]!.missing, '/dev/zero is not a JSON object of values');
  assert.is(byKind('elsewhere')[0]!.missing, 'output_destination https://example.org/out is not on this machine');
  assert.equal(
    byKind('second place').map((row) => [row.metrics, row.missing, show(row.metricsPath!)]),
    [8, 17, 26].map((n) => [{ accuracy: 0.5 }, null, `runs/${n}/outputs/metrics.json`]),
  );
  assert.equal(
    byKind('big').map((row) => row.metrics?.n),
    [0, 1, 2, 3, 4, 5],
  );
});

test('MetricsReads: each path in order, batch after batch, a proc straddling two batches too', () => {
  const at = (name: string) => join(dir, 'straddle', name);
  mkdirSync(at('folder'), { recursive: true });
  for (let i = 0; i < 8; i++) writeFileSync(at(`f${i}`), `{"i": ${i}, "pad": "${String(i).repeat(100_000)}"}`);
  // 100 kB each: batches of 256 KiB (f0-f2, f3-f5, f6-f7), among them a missing file and a folder.
  const paths = [at('f0'), at('missing'), at('f1'), at('folder'), ...[2, 3, 4, 5, 6, 7].map((i) => at(`f${i}`))];
  const reads = new MetricsReads(paths, 1 << 20);
  const texts: (string | null | typeof UNUSABLE)[] = [];
  // Taken two at a time (a proc with two places): f2 and f3 lie in two batches.
  for (let i = 0; i < paths.length; i += 2) {
    reads.fill(2);
    assert.ok(reads.buffered >= 2);
    texts.push(reads.next(), reads.next());
  }
  assert.is(reads.buffered, 0);
  assert.equal(
    texts,
    paths.map((path) => {
      const got = expected(path, 1 << 20);
      return got === BATCH_MISSING ? null : typeof got === 'number' ? UNUSABLE : got;
    }),
  );
  assert.is(texts[1], null);
  assert.is(texts[3], UNUSABLE);
});

/** A workspace folder `name` with a sweep of `count` procs, each run folder holding `metrics(n)` as metrics.json. */
function sweepWorkspace(name: string, count: number, metrics: (n: number) => string) {
  const root = join(dir, name);
  mkdirSync(join(root, '.pixi-condor', 'jobs'), { recursive: true });
  writeFileSync(
    join(root, 'pixi.toml'),
    `[workspace]\nname = "${name}"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n`,
  );
  const procs: ProcRecord[] = [];
  for (let n = 0; n < count; n++) {
    const iwd = join(root, 'runs', String(n));
    mkdirSync(iwd, { recursive: true });
    writeFileSync(join(iwd, 'metrics.json'), metrics(n));
    procs.push(proc(n, iwd));
  }
  return { root, procs };
}

test('results on a sweep of 1,200 procs: every row its own metrics, in the table, the CSV and --json', async () => {
  const { root, procs } = sweepWorkspace('sweep', 1200, (n) => `{"score": ${n * 3}, "tag": "t${n}"}`);
  writeFileSync(join(root, '.pixi-condor', 'jobs', '77.json'), JSON.stringify(jobRecord(77, procs)));
  const env = { PIXI_PROJECT_ROOT: root };
  const json = await runScript('results.ts', ['--json', '--best', 'score'], { env, timeoutMs: 60_000 });
  assert.is(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout) as {
    rows: { proc: number; metrics: { score: number; tag: string } }[];
    best: { proc: number };
  };
  assert.is(doc.rows.length, 1200);
  assert.equal(
    doc.rows.map((row) => [row.proc, row.metrics]),
    procs.map((p) => [p.proc, { score: p.proc * 3, tag: `t${p.proc}` }]),
  );
  assert.is(doc.best.proc, 1199);
  const csv = readFileSync(join(root, 'results', '77', 'results.csv'), 'utf8').split('\r\n');
  assert.is(csv[0], 'proc,ran_as,seed,outcome,exit_code,wall_s,score,tag,note');
  assert.is(csv[1200], '1199,77.1199,1199,unknown,,,3597,t1199,');
  assert.is(csv.length, 1202, 'a header, 1,200 rows and the last line end');
  const table = await runScript('results.ts', [], { env, timeoutMs: 60_000 });
  assert.is(table.code, 0, table.stderr);
  assert.match(table.stdout, /\n1199 +1199 +unknown +3597 +t1199\n/);
});

test('a token a job wrote into its metrics.json is masked in every output: the table, results.csv and --json', async () => {
  const token = 'ghp_JOBPRINTEDTOKEN12345';
  const { root, procs } = sweepWorkspace('tokens', 2, (n) => `{"score": ${n}, "note": "pushed with ${token}"}`);
  writeFileSync(join(root, '.pixi-condor', 'jobs', '78.json'), JSON.stringify(jobRecord(78, procs)));
  writeFileSync(join(root, '.env'), `REGISTRY_USER=u\nREGISTRY_TOKEN=${token}\n`);
  const env = { PIXI_PROJECT_ROOT: root };
  const table = await runScript('results.ts', [], { env, timeoutMs: 60_000 });
  const json = await runScript('results.ts', ['--json'], { env, timeoutMs: 60_000 });
  const csv = readFileSync(join(root, 'results', '78', 'results.csv'), 'utf8');
  for (const [what, text] of [
    ['table', table.stdout + table.stderr],
    ['--json', json.stdout + json.stderr],
    ['results.csv', csv],
  ] as const) {
    assert.not.ok(text.includes(token), `${what} shows the token`);
    assert.ok(text.includes('pushed with ***'), `${what}: ${text.slice(0, 300)}`);
  }
});

test("a sweep's closing table takes the record its caller holds: the record file is not read again", async () => {
  const { root, procs } = sweepWorkspace('closing', 3, (n) => `{"accuracy": 0.${n + 1}}`);
  const record = jobRecord(78, procs);
  // No record on disk: only the one handed over can make the table.
  const held = await sweepResultLines(root, 78, palette(false), 100, record);
  assert.match(held.join('\n'), /results of job 78: 3 procs/);
  assert.match(held.join('\n'), /best by highest accuracy: proc 2/);
  const read = await sweepResultLines(root, 78, palette(false), 100);
  assert.match(read.join('\n'), /results table not made/, 'without it, the record is read (and is not there)');
});

test('the table shows each number to five significant digits, as toPrecision(5) rounds it', async () => {
  const root = join(dir, 'numbers');
  mkdirSync(join(root, '.pixi-condor', 'jobs'), { recursive: true });
  writeFileSync(
    join(root, 'pixi.toml'),
    '[workspace]\nname = "s"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n',
  );
  const values = [
    0.9162,
    0.123456789,
    1.5e-7,
    0.00001234567,
    -0.25,
    123.456789,
    1 / 3,
    12.345,
    -1e-7,
    1e21,
    42,
    0.1 + 0.2,
  ];
  const procs = values.map((x, n) => {
    const iwd = join(root, 'runs', String(n));
    mkdirSync(iwd, { recursive: true });
    writeFileSync(join(iwd, 'metrics.json'), JSON.stringify({ x }));
    return proc(n, iwd);
  });
  writeFileSync(join(root, '.pixi-condor', 'jobs', '8.json'), JSON.stringify(jobRecord(8, procs)));
  const table = await runScript('results.ts', [], { env: { PIXI_PROJECT_ROOT: root }, timeoutMs: 30_000 });
  assert.is(table.code, 0, table.stderr);
  const shown = table.stdout
    .split('\n')
    .slice(2, 2 + values.length)
    .map((line) => line.trim().split(/ +/).at(-1));
  assert.equal(
    shown,
    values.map((x) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(5))))),
  );
});

test('a job record that is a FIFO or a folder is one line naming it, not a wait', async () => {
  const root = join(dir, 'odd-records');
  const jobs = join(root, '.pixi-condor', 'jobs');
  mkdirSync(join(jobs, '5.json'), { recursive: true });
  execFileSync('mkfifo', [join(jobs, '6.json')]);
  writeFileSync(
    join(root, 'pixi.toml'),
    '[workspace]\nname = "s"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n',
  );
  const env = { PIXI_PROJECT_ROOT: root };
  const folder = await runScript('results.ts', ['5'], { env, timeoutMs: 30_000 });
  assert.is(folder.code, 2, folder.stderr);
  assert.match(folder.stderr, /\.pixi-condor\/jobs\/5\.json cannot be read \(it is a folder\)/);
  const fifo = await runScript('results.ts', ['6'], { env, timeoutMs: 30_000 });
  assert.not.ok(fifo.timedOut, 'results waited on a FIFO job record');
  assert.is(fifo.code, 2, fifo.stderr);
  assert.match(fifo.stderr, /\.pixi-condor\/jobs\/6\.json cannot be read \(it is not a regular file\)/);
  const missing = await runScript('results.ts', ['7'], { env, timeoutMs: 30_000 });
  assert.match(
    missing.stderr,
    /no job 7 was submitted from this workspace \(\.pixi-condor\/jobs\/7\.json is missing\)/,
  );
});

test.run();
