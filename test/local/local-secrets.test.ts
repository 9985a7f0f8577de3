// Secrets never reach a job (issue 18, item 4): `getenv = true` or `getenv = *TOKEN*` copies
// neither the registry/GitHub tokens nor a `.env` key into a local job (vanilla environment,
// `docker run -e`), nor into the environment condor_submit runs in (it copies getenv's variables
// into the job ad: submit_utils.cpp:1820-1840); `validate` and `submit` warn at the getenv line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScript } from '../helpers/process.ts';
import { buildTestBaseImage, dockerSkipReason } from '../image/services.ts';
import { makeWorkspace } from '../condor/workspace.ts';
import { eventLogPath } from '../condor/fixtures.ts';
import { pointImageAt } from '../submit/helpers.ts';
import { localWorkspace, type LocalWorkspace, submitIn, vanillaSubmit } from './local-workspace.ts';

const skip = await dockerSkipReason();
if (skip) console.log(`skipping the container half of the secrets tests: ${skip}`);
else await buildTestBaseImage();

const REGISTRY_TOKEN = `ghp_registry${process.pid}secret`;
const GITHUB_TOKEN = `ghs_github${process.pid}secret`;
const DOTENV_VALUE = `wandb${process.pid}secretvalue`;

let lw: LocalWorkspace;
test.before.each(async () => {
  lw = await localWorkspace();
  rmSync(join(lw.root, '.pixi-condor', 'image.json'), { force: true });
  Object.assign(lw.env, {
    REGISTRY_TOKEN,
    GITHUB_TOKEN,
    // A copy of a token under another name, and a .env key the shell exported too.
    COPIED_VALUE: `prefix-${REGISTRY_TOKEN}`,
    WANDB_API_KEY: DOTENV_VALUE,
    // A .env value under another name.
    RENAMED_KEY: DOTENV_VALUE,
    HARMLESS_SETTING: 'kept',
  });
  lw.file('.env', `REGISTRY_TOKEN=${REGISTRY_TOKEN}\nWANDB_API_KEY=${DOTENV_VALUE}\n`);
});
test.after.each(() => lw.ws.cleanup());

for (const universe of ['vanilla', 'container'] as const) {
  const secretTest = universe === 'container' && skip ? test.skip : test;
  const timeout = universe === 'container' ? 120_000 : 60_000;
  for (const getenv of ['true', '*TOKEN*, WANDB*, COPIED*, RENAMED*, HARMLESS*']) {
    secretTest(`${universe}: getenv = ${getenv} gives the job no secret, and submit warns at the line`, async () => {
      lw.file('job.sh', '#!/bin/sh\nenv > env.txt\n', true);
      lw.file('j.sub', submitIn(universe, `getenv = ${getenv}\ntransfer_output_files = env.txt`));
      const r = await lw.submit(['j.sub', '--local'], timeout);
      assert.is(r.code, 0, r.stdout + r.stderr);
      const seen = lw.read('env.txt');
      for (const secret of [REGISTRY_TOKEN, GITHUB_TOKEN, DOTENV_VALUE])
        assert.not.ok(seen.includes(secret), `the job saw a secret (${universe}, getenv = ${getenv})`);
      assert.not.match(seen, /^(REGISTRY_TOKEN|GITHUB_TOKEN|WANDB_API_KEY|COPIED_VALUE|RENAMED_KEY)=/m);
      // What getenv asked for and is no secret still arrives.
      assert.match(seen, /^HARMLESS_SETTING=kept$/m);
      // Line 7 in both files: the first line after the fixed head.
      const line = 7;
      assert.match(r.stdout, new RegExp(`j\\.sub:${line}: warning: getenv = [^\\n]* would copy [^\\n]*REGISTRY_TOKEN`));
      assert.not.ok(r.stdout.includes(REGISTRY_TOKEN) || r.stderr.includes(REGISTRY_TOKEN));
    });
  }
}

/** Every file under `dir`, as one text (what pixi-condor left on disk for a job). */
function filesUnder(dir: string): string {
  let all = '';
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) all += readFileSync(join(entry.parentPath, entry.name), 'latin1');
  }
  return all;
}

test("$ENV() of a secret expands to nothing, as in condor_submit's environment: not in the job's arguments, environment, spec or record", async () => {
  lw.file('job.sh', '#!/bin/sh\necho "args: $*" > seen.txt\nenv >> seen.txt\n', true);
  lw.file(
    'j.sub',
    vanillaSubmit(
      'arguments = "a$ENV(WANDB_API_KEY)b c$ENV(COPIED_VALUE)d e$ENV(RENAMED_KEY)f $ENV(HARMLESS_SETTING)"\n' +
        'environment = "SEEN_KEY=x$ENV(WANDB_API_KEY)y SEEN_SETTING=$ENV(HARMLESS_SETTING)"\n' +
        'transfer_output_files = seen.txt',
    ),
  );
  const r = await lw.submit(['j.sub', '--local'], 60_000);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const seen = lw.read('seen.txt');
  // condor_submit runs without the secret variables (condor-submit.ts): $ENV() of one reads as
  // unset, the word UNDEFINED (config.cpp evaluate_macro_func).
  assert.match(seen, /^args: aUNDEFINEDb cUNDEFINEDd eUNDEFINEDf kept$/m, seen.split('\n')[0]);
  assert.match(seen, /^SEEN_KEY=xUNDEFINEDy$/m);
  assert.match(seen, /^SEEN_SETTING=kept$/m);
  const kept = filesUnder(join(lw.root, '.pixi-condor'));
  for (const secret of [REGISTRY_TOKEN, DOTENV_VALUE]) {
    assert.not.ok(seen.includes(secret), 'the job saw a secret through $ENV()');
    assert.not.ok(kept.includes(secret), 'a secret was written under .pixi-condor/ (spec, record)');
    assert.not.ok(r.stdout.includes(secret) || r.stderr.includes(secret), 'a secret was printed');
  }
  // The pool's plan (--dry-run --json: what the record and the preflight see) expands the same.
  const pool = await lw.submit(['j.sub', '--dry-run', '--json']);
  const planned = JSON.parse(pool.stdout.slice(pool.stdout.indexOf('{\n')));
  assert.equal(planned.procs[0].arguments, ['aUNDEFINEDb', 'cUNDEFINEDd', 'eUNDEFINEDf', 'kept'], pool.stdout);
});

test('the docker command a container job runs with carries no -e for a secret (--dry-run shows it)', async () => {
  lw.file('job.sh', '#!/bin/sh\ntrue\n', true);
  lw.file('j.sub', submitIn('container', 'getenv = true\ntransfer_output_files = ""'));
  const r = await lw.submit(['j.sub', '--local', '--dry-run']);
  assert.ok([0, 1].includes(r.code ?? -1), r.stdout + r.stderr);
  assert.match(r.stdout, /docker run /);
  assert.match(r.stdout, /-e HARMLESS_SETTING/);
  for (const name of ['REGISTRY_TOKEN', 'GITHUB_TOKEN', 'WANDB_API_KEY', 'COPIED_VALUE'])
    assert.not.ok(r.stdout.includes(`-e ${name}`), `docker run -e ${name}`);
});

/** `validate --json` on the template's submit file with `added` before its queue line: the finding of `rule`, and that line's number. */
async function validateFinding(added: string, rule: string) {
  const sub = lw.read('mnist_gpu_docker.sub');
  lw.file('mnist_gpu_docker.sub', sub.replace(/^queue/m, `${added}\nqueue`));
  const line = sub.split('\n').findIndex((l) => /^queue/.test(l)) + 1;
  const r = await runScript('validate.ts', ['--json'], { env: lw.env, timeoutMs: 60_000 });
  const finding = JSON.parse(r.stdout).warnings.find((w: { rule: string }) => w.rule === rule);
  assert.ok(finding, r.stdout);
  for (const secret of [REGISTRY_TOKEN, DOTENV_VALUE]) assert.not.ok(r.stdout.includes(secret), 'a secret was printed');
  return { finding, line };
}

test('validate warns (submit/getenv-secret) at the getenv line of the configured submit file', async () => {
  const { finding, line } = await validateFinding('getenv = true', 'submit/getenv-secret');
  assert.is(finding.line, line);
  assert.match(finding.message, /REGISTRY_TOKEN/);
});

test('validate warns (submit/secret-withheld) at a line reading $ENV() of a secret, naming the variable, not its value', async () => {
  const { finding, line } = await validateFinding('arguments = --key $ENV(WANDB_API_KEY)', 'submit/secret-withheld');
  assert.is(finding.line, line);
  assert.match(
    finding.message,
    /\$ENV\(WANDB_API_KEY\) reads as unset \(its default where it has one, else the word UNDEFINED\)/,
  );
});

test('a pool submit runs condor_submit without the secrets in its environment (getenv cannot copy them into the ad)', async () => {
  const ws = await makeWorkspace();
  try {
    await pointImageAt(ws);
    ws.scenario({ mode: 'ok', log: eventLogPath('chtc_hello_gpu_docker_gpu.log'), delayMs: 10 });
    const sub = join(ws.root, 'mnist_gpu_docker.sub');
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(sub, readFileSync(sub, 'utf8').replace(/^queue/m, 'getenv = true\nqueue'));
    const env = {
      ...ws.env,
      REGISTRY_TOKEN,
      GITHUB_TOKEN,
      COPIED_VALUE: `x${REGISTRY_TOKEN}`,
      HARMLESS_SETTING: 'kept',
    };
    const r = await runScript('submit.ts', ['--interval', '40'], { env, timeoutMs: 60_000 });
    assert.is(r.code, 0, r.stdout + r.stderr);
    const call = ws.calls().find((c) => c.tool === 'condor_submit');
    assert.ok(call?.envNames, 'the stand-in recorded its environment');
    for (const name of ['REGISTRY_TOKEN', 'GITHUB_TOKEN', 'COPIED_VALUE'])
      assert.not.ok(call!.envNames!.includes(name), `condor_submit was given ${name}`);
    assert.ok(call!.envNames!.includes('HARMLESS_SETTING'));
    assert.match(r.stdout, /mnist_gpu_docker\.sub:\d+: warning: getenv = true would copy/);
  } finally {
    ws.cleanup();
  }
});

test('a token the job prints itself is masked, and its escape sequences never reach the terminal raw (summary, status --tail, results)', async () => {
  // The job was given no token; it prints one it found itself, and tries to recolour and clear the terminal.
  lw.file(
    'job.sh',
    `#!/bin/sh\nprintf 'token ${REGISTRY_TOKEN}\\033[31m red \\033]0;title\\007 \\233 csi\\n' >&2\ncat > metrics.json <<'EOF'\n{"acc\\u001b[2J": "\\u001b[31m0.9", "loss": 0.1}\nEOF\nexit 1\n`,
    true,
  );
  lw.file('j.sub', vanillaSubmit('transfer_output_files = metrics.json'));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 1, r.stdout + r.stderr);
  // The raw bytes are in the error file (the job's own file is not ours to change)...
  assert.ok(lw.read('job_1_0.err').includes('\u001b[31m'));
  // ...but not on the terminal.
  const printed = (text: string): void => {
    assert.not.ok(text.includes(REGISTRY_TOKEN), 'the token was printed');
    assert.not.ok(/[\u001b\u0007\u009b]/.test(text), 'a raw control character was printed');
  };
  printed(r.stdout + r.stderr);
  assert.match(r.stdout, /token \*\*\*\\x1b\[31m red \\x1b\]0;title\\x07/);
  const tail = await runScript('status.ts', ['1', '--tail', '5'], { env: lw.env, timeoutMs: 30_000 });
  assert.is(tail.code, 0, tail.stdout + tail.stderr);
  printed(tail.stdout + tail.stderr);
  assert.match(tail.stdout, /token \*\*\*\\x1b\[31m/);
  const results = await runScript('results.ts', ['1'], { env: lw.env, timeoutMs: 30_000 });
  printed(results.stdout + results.stderr);
  assert.match(results.stdout, /acc\\x1b\[2J/);
});

test("the tokens a job prints, the environment's and .env's, are masked in every view of its text: progress (status --json too), the error tail, results --json", async () => {
  // The job was given none; it prints them in a progress line (one as Python's json.dumps writes
  // a non-ASCII text, \u escaped), its error file and metrics.json, and runs on until the test
  // has looked at its progress. The .env token is not in the environment (the progress line
  // was masked with the environment's alone).
  const dotenvToken = `ghp_dotenvönly${process.pid}`;
  lw.file('.env', `GITHUB_TOKEN=${dotenvToken}\n`);
  const stop = join(lw.root, '..', `stop-${process.pid}`);
  const escaped = JSON.stringify(dotenvToken).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const progress = `{"epoch": 1, "epochs": 2, "note": "key ${escaped.slice(1, -1)} tok ${REGISTRY_TOKEN}"}`;
  lw.file(
    'job.sh',
    `#!/bin/sh\necho 'PIXI_CONDOR_PROGRESS ${progress}'\necho 'found ${REGISTRY_TOKEN}' >&2\n` +
      `echo '{"acc": 0.5, "note": "${REGISTRY_TOKEN}"}' > metrics.json\n` +
      `n=0; while [ ! -e '${stop}' ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done\nexit 1\n`,
    true,
  );
  lw.file('j.sub', vanillaSubmit('transfer_output_files = metrics.json'));
  try {
    const started = await lw.submit(['j.sub', '--local', '--no-wait']);
    assert.is(started.code, 0, started.stdout + started.stderr);
    // Its progress, while it runs (each look is one bounded process; at most 100 looks).
    let json = started;
    for (let look = 0; look < 100 && !json.stdout.includes('"note"'); look++)
      json = await runScript('status.ts', ['1', '--once', '--json'], { env: lw.env, timeoutMs: 30_000 });
    assert.match(json.stdout, /"note": "key \*\*\* tok \*\*\*"/, json.stdout);
    writeFileSync(stop, '');
    const ended = await runScript('status.ts', ['1', '--interval', '40'], { env: lw.env, timeoutMs: 60_000 });
    assert.is(ended.code, 1, ended.stdout + ended.stderr);
    assert.match(ended.stdout, /found \*\*\*/);
    const results = await runScript('results.ts', ['1', '--json'], { env: lw.env, timeoutMs: 30_000 });
    assert.match(results.stdout, /"note": "\*\*\*"/, results.stdout);
    for (const run of [started, json, ended, results])
      for (const secret of [dotenvToken, REGISTRY_TOKEN])
        assert.not.ok((run.stdout + run.stderr).includes(secret), `a secret was printed: ${run.stdout}`);
  } finally {
    rmSync(stop, { force: true });
  }
});

test.run();
