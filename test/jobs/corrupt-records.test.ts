// Issue 25: hand-edited or cut-short state files. Each variant once crashed `status`, `results`
// or `resubmit` with exit 70 and a stack (`TypeError … "to" argument … at displayPath`), or
// `submit`'s preflight with "internal error". Now: one line naming the file and the field, exit 2,
// and the other jobs still found.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScript } from '../helpers/process.ts';
import { eventLogPath } from '../condor/fixtures.ts';
import { FOLLOW_FAST, makeWorkspace, type TestWorkspace } from '../condor/workspace.ts';

type Json = Record<string, unknown>;

/** Each way a proc was found broken, and the field the error must name. */
const PROC_VARIANTS: [string, (proc: Json) => unknown, RegExp][] = [
  [
    'a proc without log',
    (p) => ({ ...p, log: undefined }),
    /procs\[0\]\.log is missing, expected an absolute path or null/,
  ],
  ['log: 123', (p) => ({ ...p, log: 123 }), /procs\[0\]\.log is number 123/],
  ['iwd: 5', (p) => ({ ...p, iwd: 5 }), /procs\[0\]\.iwd is number 5, expected an absolute path/],
  ['iwd missing', (p) => ({ ...p, iwd: undefined }), /procs\[0\]\.iwd is missing/],
  ['a proc that is null', () => null, /procs\[0\] is null, expected an object/],
  ['a proc that is {}', () => ({}), /procs\[0\]\.proc is missing/],
  ['arguments not a list', (p) => ({ ...p, arguments: 'x' }), /procs\[0\]\.arguments is "x", expected a list/],
  ['vars holding a number', (p) => ({ ...p, vars: { lr: 0.1 } }), /procs\[0\]\.vars\.lr is number 0\.1/],
];

async function submittedWorkspace(): Promise<{ ws: TestWorkspace; recordPath: string; record: Json }> {
  const ws = await makeWorkspace();
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 5 });
  const submit = await runScript('submit.ts', FOLLOW_FAST, { env: ws.env, timeoutMs: 30_000 });
  assert.is(submit.code, 0, submit.stdout + submit.stderr);
  const recordPath = join(ws.root, '.pixi-condor', 'jobs', '4242.json');
  return { ws, recordPath, record: JSON.parse(readFileSync(recordPath, 'utf8')) };
}

function assertOneLineError(r: { code: number | null; stdout: string; stderr: string }, field: RegExp): void {
  assert.is(r.code, 2, r.stdout + r.stderr);
  const first = r.stderr.split('\n')[0] ?? '';
  assert.match(first, /^error: \.pixi-condor\/jobs\/4242\.json is not a usable job record: /, r.stderr);
  assert.match(first, field, r.stderr);
  assert.not.match(r.stderr, /internal error|\n\s+at |TypeError/);
}

test('a corrupt proc in a job record: status, results and resubmit each say the field, exit 2', async () => {
  const { ws, recordPath, record } = await submittedWorkspace();
  try {
    for (const [name, mutate, field] of PROC_VARIANTS) {
      const procs = record.procs as Json[];
      writeFileSync(recordPath, JSON.stringify({ ...record, procs: [mutate(procs[0]!), ...procs.slice(1)] }));
      for (const [script, args] of [
        ['status.ts', ['4242', '--once']],
        ['results.ts', ['4242']],
        ['resubmit.ts', ['4242', '--failed', '--dry-run']],
      ] as const) {
        const r = await runScript(script, [...args], { env: ws.env, timeoutMs: 20_000 });
        try {
          assertOneLineError(r, field);
        } catch (error) {
          throw new Error(`${name}, ${script}: ${(error as Error).message}`);
        }
      }
    }
  } finally {
    ws.cleanup();
  }
});

test('a corrupt newest record does not hide the other jobs: status names it and shows the one before', async () => {
  const { ws, recordPath, record } = await submittedWorkspace();
  try {
    // A later job whose record was cut short, beside the good 4242.
    const later = { ...record, cluster: 4243, submittedAt: '2999-01-01T00:00:00.000Z', procs: [{}] };
    writeFileSync(join(ws.root, '.pixi-condor', 'jobs', '4243.json'), JSON.stringify(later));
    const r = await runScript('status.ts', ['--once'], { env: ws.env, timeoutMs: 20_000 });
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /4242/);
    assert.match(r.stderr, /^warning: skipped \.pixi-condor\/jobs\/4243\.json is not a usable job record: procs\[0\]/m);
    assert.not.match(r.stderr, /\n\s+at /);
    writeFileSync(recordPath, JSON.stringify(record));
  } finally {
    ws.cleanup();
  }
});

test("image.json without `reference`: submit's preflight names the field, exit 2, no internal error", async () => {
  const ws = await makeWorkspace();
  try {
    const path = join(ws.root, '.pixi-condor', 'image.json');
    const image = JSON.parse(readFileSync(path, 'utf8'));
    for (const [edit, field] of [
      [{ reference: undefined }, /reference is missing, expected a reference <repository>@sha256:/],
      [{ tags: 'latest' }, /tags is "latest", expected a list/],
      [{ contentHash: 7 }, /contentHash is number 7/],
    ] as const) {
      writeFileSync(path, JSON.stringify({ ...image, ...edit }));
      const r = await runScript('submit.ts', ['--dry-run'], { env: ws.env, timeoutMs: 20_000 });
      assert.is(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr + r.stdout, /\.pixi-condor\/image\.json is not a usable image record: /);
      assert.match(r.stderr + r.stdout, field);
      assert.match(r.stderr + r.stdout, /build-image/);
      assert.not.match(r.stderr, /internal error|\n\s+at /);
    }
  } finally {
    ws.cleanup();
  }
});

test.run();
