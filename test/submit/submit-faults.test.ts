// Faults a new user hits with `submit` (issue 13), end to end against the stand-in condor_*:
// a .pixi-condor that cannot take the record (read-only, full), a SIGKILL while condor_submit
// runs, a submit file named from a subfolder or named like an option, an unreadable
// pixi.lock, every failed preflight check in one report, and registry tokens in the output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, runScript, tsxLoader, waitUntil, type RunResult } from '../helpers/process.ts';
import { repoRoot } from '../helpers/paths.ts';
import { eventLogDir, eventLogPath } from '../condor/fixtures.ts';
import { makeWorkspace, startScript, type TestWorkspace, FOLLOW_FAST } from '../condor/workspace.ts';
import { namespaceSkipReason, pointImageAt, runWithStateDir } from './helpers.ts';

let ws: TestWorkspace;

test.before.each(async () => {
  ws = await makeWorkspace();
  await pointImageAt(ws);
});
test.after.each(() => ws.cleanup());

const submitCalls = () => ws.calls().filter((c) => c.tool === 'condor_submit');

// ---- no lost work -------------------------------------------------------------------------

const nsSkip = await namespaceSkipReason(eventLogDir);
if (nsSkip) console.log(`submit/submit-faults.test.ts: skipping the read-only and full .pixi-condor tests: ${nsSkip}`);
const nsTest = nsSkip ? test.skip : test;

nsTest('a read-only .pixi-condor stops the submit in preflight: condor_submit never runs', async () => {
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 10 });
  const r = await runWithStateDir(ws, 'readonly', 'submit.ts', ['--no-wait']);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /✗ job record can be written \(\.pixi-condor\/jobs\) — \.pixi-condor is not writable \(EROFS\)/,
  );
  assert.match(r.stderr, /error: preflight failed: 1 check: job record can be written/);
  assert.match(r.stderr, /hint: free some space or make \.pixi-condor writable/);
  assert.equal(submitCalls(), [], 'nothing was queued');
});

nsTest('a full .pixi-condor stops the submit in preflight: condor_submit never runs', async () => {
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 10 });
  const r = await runWithStateDir(ws, 'full', 'submit.ts', ['--no-wait']);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /✗ job record can be written \(\.pixi-condor\/jobs\) — \.pixi-condor has \d+ bytes free; the job record needs about \d+/,
  );
  assert.equal(submitCalls(), [], 'nothing was queued');
});

nsTest('--dry-run names a read-only .pixi-condor too, and writes nothing', async () => {
  const r = await runWithStateDir(ws, 'readonly', 'submit.ts', ['--dry-run']);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /✗ job record can be written/);
  assert.match(r.stdout, /1 check\(s\) would stop a real submit/);
});

test('SIGKILL of submit while condor_submit runs: the tag on disk lets `status` find, record and follow the job', async () => {
  // condor_submit queues the job, then waits (it prints nothing) until the test has killed
  // submit; the replay waits until status has found the job in the queue: gates, not delays.
  ws.scenario({
    mode: 'ok',
    log: eventLogPath('chtc_hello_gpu_docker_gpu.log'),
    delayMs: 20,
    submitGate: 'submitted',
    startGate: 'start',
    output: 'none',
  });
  const submit = startScript('submit.ts', ['--no-wait'], ws.env, 30_000);
  await waitUntil(() => submitCalls().length > 0, 'condor_submit to start');
  await waitUntil(() => existsSync(join(ws.condorDir, 'jobs', '4242.json')), 'the stand-in to queue the job');
  submit.child.kill('SIGKILL');
  const killed = await submit.done;
  ws.open('submitted');
  assert.is(killed.signal, 'SIGKILL');
  const [tag] = ws.jobFiles();
  assert.match(tag ?? '', /^pending-[0-9a-f-]{36}\.json$/, `the submission tag is on disk: ${ws.jobFiles()}`);
  assert.is(
    JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', tag!), 'utf8')).submitFile,
    'mnist_gpu_docker.sub',
  );

  const following = startScript('status.ts', FOLLOW_FAST, ws.env, 45_000);
  await following.waitFor(/condor_q finds it as job 4242/, 45_000);
  ws.open('start');
  const status = await following.done;
  assert.is(status.code, 0, status.stdout + status.stderr);
  assert.match(
    status.stderr,
    /was interrupted before its job was recorded; condor_q finds it as job 4242: recorded in \.pixi-condor\/jobs\/4242\.json/,
  );
  assert.match(status.stdout, /4242\.0 completed: exit 0/);
  // The tag became the record (its head kept among the others'); the job, followed to its end, had its table kept beside it.
  assert.equal(ws.jobFiles(), ['4242.json', '4242.outcomes', 'heads.json'], 'the tag became the record');
  const record = JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', '4242.json'), 'utf8'));
  assert.is(record.procs[0].log, join(ws.root, 'mnist_gpu_4242_0.log.txt'), 'the record names the real log');
  const queried = ws.calls().find((c) => c.tool === 'condor_q' && c.argv[0] === '-constraint');
  assert.match(queried?.argv[1] ?? '', /^PixiCondorSubmitId == "[0-9a-f-]{36}"$/);
});

test('a record that cannot be written after condor_submit: the error says so, the tag stays, `status` records the job later', async () => {
  // The replay never starts (a gate no one opens): the job is still in the queue when status asks.
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 10, startGate: 'never' });
  // A folder where the record goes: the tag can be written, the record cannot.
  mkdirSync(join(ws.root, '.pixi-condor', 'jobs', '4242.json'), { recursive: true });
  const r = await runScript('submit.ts', ['--no-wait'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /error: job 4242 was submitted, but \.pixi-condor\/jobs\/4242\.json could not be written/);
  assert.match(r.stderr, /hint: `pixi run status` records and follows it once \.pixi-condor takes the record/);
  assert.ok(
    ws.jobFiles().some((f) => f.startsWith('pending-')),
    `the tag stays: ${ws.jobFiles()}`,
  );
  rmSync(join(ws.root, '.pixi-condor', 'jobs', '4242.json'), { recursive: true });
  const status = await runScript('status.ts', ['--once'], { env: ws.env, timeoutMs: 30_000 });
  assert.match(status.stderr, /condor_q finds it as job 4242: recorded in \.pixi-condor\/jobs\/4242\.json/);
  assert.equal(ws.jobFiles(), ['4242.json', 'heads.json']);
});

/** The template's submit file without its own `lr`, so `lr=0.25` on the command line sets it. */
function defineDependentSubmit(): void {
  const text = readFileSync(join(ws.root, 'mnist_gpu_docker.sub'), 'utf8');
  assert.match(text, /^lr = 1\.0$/m);
  writeFileSync(join(ws.root, 'define.sub'), text.replace(/^lr = 1\.0$/m, ''));
}

const recordedArguments = (): string[] =>
  JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', '4242.json'), 'utf8')).procs[0].arguments;

test('NAME=VALUE on the command line: the job record holds the procs condor_submit queued with it', async () => {
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 10, startGate: 'never' });
  defineDependentSubmit();
  const r = await runScript('submit.ts', ['define.sub', 'lr=0.25', '--no-wait'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.ok(submitCalls()[0]?.argv.includes('lr=0.25'), 'condor_submit got the define');
  const args = recordedArguments();
  assert.is(args[args.indexOf('--lr') + 1], '0.25', args.join(' '));
});

test('NAME=VALUE of an interrupted submission: the tag keeps the defines, so `status` records the same procs', async () => {
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 10, startGate: 'never' });
  defineDependentSubmit();
  // A folder where the record goes: the tag is written, the record is not, and status adopts the tag.
  mkdirSync(join(ws.root, '.pixi-condor', 'jobs', '4242.json'), { recursive: true });
  const r = await runScript('submit.ts', ['define.sub', 'lr=0.25', '--no-wait'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 1, r.stdout + r.stderr);
  rmSync(join(ws.root, '.pixi-condor', 'jobs', '4242.json'), { recursive: true });
  const status = await runScript('status.ts', ['--once'], { env: ws.env, timeoutMs: 30_000 });
  assert.match(status.stderr, /condor_q finds it as job 4242: recorded in \.pixi-condor\/jobs\/4242\.json/);
  const args = recordedArguments();
  assert.is(args[args.indexOf('--lr') + 1], '0.25', args.join(' '));
});

test('resubmit gives the first submission its NAME=VALUE macros and --append lines again', async () => {
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 5 });
  defineDependentSubmit();
  const r = await runScript('submit.ts', ['define.sub', 'lr=0.25', '--append', 'epochs = 2', ...FOLLOW_FAST], {
    env: ws.env,
    timeoutMs: 30_000,
  });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const record = JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', '4242.json'), 'utf8'));
  assert.equal(record.defines, { lr: '0.25' });
  assert.equal(record.userAppend, ['epochs = 2']);
  const again = await runScript('resubmit.ts', ['4242', '--procs', '0', '--dry-run'], {
    env: ws.env,
    timeoutMs: 30_000,
  });
  assert.is(again.code, 0, again.stdout + again.stderr);
  const command = /^command: (.*)$/m.exec(again.stdout)?.[1] ?? '';
  assert.match(command, /^condor_submit lr=0\.25 /, again.stdout);
  assert.match(command, /-append 'epochs = 2'/, again.stdout);
});

test('an interrupted submission condor_q does not find is set aside with a note on how to look for it', async () => {
  ws.scenario({ mode: 'ok' });
  const jobs = join(ws.root, '.pixi-condor', 'jobs');
  mkdirSync(jobs, { recursive: true });
  const id = '0f0e0d0c-0b0a-4909-8807-060504030201';
  writeFileSync(
    join(jobs, `pending-${id}.json`),
    JSON.stringify({
      version: 1,
      submitId: id,
      startedAt: '2026-01-01T00:00:00.000Z',
      pid: 999_999_999,
      host: 'elsewhere',
      submitFile: 'mnist_gpu_docker.sub',
      batchName: 'b',
      image: null,
      gitRevision: null,
      command: ['condor_submit'],
      append: [],
      procs: [],
    }),
  );
  const r = await runScript('status.ts', ['--once'], { env: ws.env, timeoutMs: 30_000 });
  assert.match(r.stderr, /condor_q finds no job with its tag/);
  assert.match(r.stderr, new RegExp(`condor_history -constraint 'PixiCondorSubmitId == "${id}"'`));
  assert.equal(ws.jobFiles(), [`unresolved-${id}.json`]);
});

// ---- where the submit file is ---------------------------------------------------------------

test('without pixi, from a subfolder: the default and a root-relative SUBMIT_FILE are found in the workspace root', async () => {
  mkdirSync(join(ws.root, 'notes'));
  const env = { ...ws.env, PIXI_PROJECT_ROOT: undefined, INIT_CWD: undefined };
  const plain = await runScript('submit.ts', ['--dry-run'], { env, cwd: join(ws.root, 'notes'), timeoutMs: 30_000 });
  assert.is(plain.code, 0, plain.stdout + plain.stderr);
  assert.match(plain.stdout, /condor_submit mnist_gpu_docker\.sub -append/);
  const named = await runScript('submit.ts', ['mnist_gpu_docker.sub', '--dry-run'], {
    env,
    cwd: join(ws.root, 'notes'),
    timeoutMs: 30_000,
  });
  assert.is(named.code, 0, named.stdout + named.stderr);
  assert.match(named.stdout, /condor_submit mnist_gpu_docker\.sub -append/);
});

test('a SUBMIT_FILE in the folder the user typed it in wins (pixi: INIT_CWD; without pixi: the cwd)', async () => {
  mkdirSync(join(ws.root, 'runs'));
  copyFileSync(join(ws.root, 'mnist_gpu_docker.sub'), join(ws.root, 'runs', 'mine.sub'));
  // pixi runs the task in the workspace root and says where the user was in INIT_CWD.
  const underPixi = await runScript('submit.ts', ['mine.sub', '--dry-run'], {
    env: { ...ws.env, INIT_CWD: join(ws.root, 'runs') },
    cwd: ws.root,
    timeoutMs: 30_000,
  });
  assert.is(underPixi.code, 0, underPixi.stdout + underPixi.stderr);
  assert.match(underPixi.stdout, /condor_submit runs\/mine\.sub -append/);
  const withoutPixi = await runScript('submit.ts', ['mine.sub', '--dry-run'], {
    env: { ...ws.env, PIXI_PROJECT_ROOT: undefined, INIT_CWD: undefined },
    cwd: join(ws.root, 'runs'),
    timeoutMs: 30_000,
  });
  assert.is(withoutPixi.code, 0, withoutPixi.stdout + withoutPixi.stderr);
  assert.match(withoutPixi.stdout, /condor_submit runs\/mine\.sub -append/);
  const nowhere = await runScript('submit.ts', ['gone.sub', '--dry-run'], {
    env: { ...ws.env, INIT_CWD: join(ws.root, 'runs') },
    timeoutMs: 30_000,
  });
  assert.is(nowhere.code, 2, nowhere.stdout + nowhere.stderr);
  assert.match(nowhere.stderr, /error: submit file gone\.sub is not in .*runs nor in the workspace root/);
});

test('a submit file named -x.sub reaches condor_submit as ./-x.sub, never as an option', async () => {
  copyFileSync(join(ws.root, 'mnist_gpu_docker.sub'), join(ws.root, '-x.sub'));
  ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 10 });
  const r = await runScript('submit.ts', ['--no-wait', '--', '-x.sub'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(submitCalls()[0]!.argv[0], './-x.sub');
  assert.is(JSON.parse(readFileSync(join(ws.root, '.pixi-condor', 'jobs', '4242.json'), 'utf8')).submitFile, '-x.sub');
});

// ---- one report, one line ------------------------------------------------------------------

test('a failed preflight names every failed check with its fix, in the error and in --json', async () => {
  writeFileSync(join(ws.root, 'pixi.toml'), readFileSync(join(ws.root, 'pixi.toml'), 'utf8') + '\n# edited\n');
  writeFileSync(join(ws.root, 'mnist_gpu_docker.sub'), readFileSync(join(ws.root, 'mnist_gpu_docker.sub'), 'utf8'));
  rmSync(join(ws.root, 'MNIST_data.tar.gz'));
  const r = await runScript('submit.ts', [], { env: ws.env, timeoutMs: 30_000 });
  assert.is(r.code, 1, r.stdout + r.stderr);
  const error = r.stderr.split('\n').find((l) => l.startsWith('error:')) ?? '';
  assert.match(
    error,
    /preflight failed: \d+ checks: .*image built from the current lock and Dockerfile \(.* changed since\); input files present \(missing: MNIST_data\.tar\.gz\)/,
  );
  assert.match(
    r.stderr,
    /hint: .*run `pixi run build-image`.*; run `pixi run prepare-data` to make MNIST_data\.tar\.gz/,
  );
  assert.equal(ws.calls(), []);
  const json = await runScript('submit.ts', ['--json'], { env: ws.env, timeoutMs: 30_000 });
  assert.is(json.code, 1);
  const doc = JSON.parse(json.stdout);
  assert.equal([doc.dryRun, doc.submitted], [false, false]);
  const failed = doc.checks.filter((c: { status: string }) => c.status === 'fail');
  assert.ok(failed.length >= 2, json.stdout);
  assert.ok(
    failed.every((c: { hint?: string }) => c.hint),
    'each failed check carries its fix',
  );
});

const asOther = process.getuid?.() === 0;

test('an unreadable pixi.lock in submit --dry-run: a failed check naming the file and the fix, no stack trace', async () => {
  chmodSync(join(ws.root, 'pixi.lock'), 0o000);
  let r: RunResult;
  if (asOther) {
    // root reads any file: run as nobody, in a workspace nobody may read.
    chmodSync(join(ws.root, '..'), 0o755);
    await runCommand('chmod', ['-R', 'a+rX', ws.root]);
    chmodSync(join(ws.root, 'pixi.lock'), 0o000);
    r = await runCommand(
      'setpriv',
      [
        '--reuid',
        '65534',
        '--regid',
        '65534',
        '--clear-groups',
        process.execPath,
        '--import',
        tsxLoader,
        join(repoRoot, 'scripts', 'submit.ts'),
        '--dry-run',
      ],
      { env: { ...ws.env, HOME: '/tmp' }, timeoutMs: 30_000 },
    );
  } else {
    r = await runScript('submit.ts', ['--dry-run'], { env: ws.env, timeoutMs: 30_000 });
  }
  assert.not.equal(r.code, 70, r.stdout + r.stderr);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.not.match(r.stderr, /internal error|at \w+ \(/);
  assert.match(
    r.stdout,
    /✗ image built from the current lock and Dockerfile — cannot read pixi\.lock: permission denied\n\s+hint: make it readable \(`chmod u\+r pixi\.lock`\)/,
  );
});

// ---- secrets ---------------------------------------------------------------------------------

const TOKEN = 'ghp_envTokenValue0123456789';
const DOTENV_TOKEN = 'ghp_dotenvTokenValue9876543210';

test('$ENV(REGISTRY_TOKEN) reads as unset, as condor_submit (run without it) reads it, and says so; a token never shows: the dry-run procs, --json, a submit error quoting it', async () => {
  writeFileSync(join(ws.root, '.env'), `REGISTRY_USER=tester\nREGISTRY_TOKEN=${DOTENV_TOKEN}\n`);
  const sub = readFileSync(join(ws.root, 'mnist_gpu_docker.sub'), 'utf8');
  writeFileSync(
    join(ws.root, 'token.sub'),
    sub.replace(/^arguments\s*=.*$/m, 'arguments = $(Process) --token $ENV(REGISTRY_TOKEN)'),
  );
  const env = { ...ws.env, REGISTRY_TOKEN: TOKEN };
  const dry = await runScript('submit.ts', ['token.sub', '--dry-run'], { env, timeoutMs: 30_000 });
  assert.match(dry.stdout, /arguments {2}0 --token UNDEFINED$/m);
  assert.match(
    dry.stdout,
    /token\.sub:\d+: warning: \$ENV\(REGISTRY_TOKEN\) reads as unset \(its default where it has one, else the word UNDEFINED\): REGISTRY_TOKEN is a secret/,
  );
  const json = await runScript('submit.ts', ['token.sub', '--dry-run', '--json'], { env, timeoutMs: 30_000 });
  assert.equal(JSON.parse(json.stdout).procs[0].arguments, ['0', '--token', 'UNDEFINED']);
  // An error that quotes a token's value (an unsupported universe, from the included .env's
  // macro), before anything is submitted.
  writeFileSync(
    join(ws.root, 'bad.sub'),
    `include : .env\n${sub.replace(/^universe\s*=.*$/m, 'universe = $(REGISTRY_TOKEN)')}`,
  );
  const bad = await runScript('submit.ts', ['bad.sub'], { env, timeoutMs: 30_000 });
  assert.is(bad.code, 2, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /universe '\*\*\*' is not supported/);
  // The .env token: a submit file that includes .env quotes its lines in the errors.
  writeFileSync(join(ws.root, 'env.sub'), `include : .env\n${sub}`);
  const included = await runScript('submit.ts', ['env.sub', '--dry-run'], { env, timeoutMs: 30_000 });
  for (const r of [dry, json, bad, included]) {
    const all = r.stdout + r.stderr;
    assert.not.ok(all.includes(TOKEN), `the token shows:\n${all}`);
    assert.not.ok(all.includes(DOTENV_TOKEN), `the .env token shows:\n${all}`);
  }
  assert.equal(ws.calls(), []);
});

test.run();
