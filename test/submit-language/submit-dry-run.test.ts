// `submit --dry-run` end to end on a workspace whose submit file reads a credential and carries a
// `warning :` (issues 12 and 13): the warning is shown, the token never is, in text or --json;
// `$ENV()` of it reads as unset, as in condor_submit's environment (which has no secrets).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runScript } from '../helpers/process.ts';
import { makeWorkspace } from '../condor/workspace.ts';

const TOKEN = `ghp_${'W4'.repeat(18)}`;

test('submit --dry-run shows warning : lines, reads $ENV(REGISTRY_TOKEN) as unset and masks an included .env', async () => {
  const ws = await makeWorkspace();
  try {
    const sub = join(ws.root, 'mnist_gpu_docker.sub');
    writeFileSync(join(ws.root, 'creds.env'), `REGISTRY_TOKEN=${TOKEN}\n`);
    writeFileSync(
      sub,
      readFileSync(sub, 'utf8').replace(
        /\nqueue 1\s*$/,
        '\ninclude : creds.env\nwarning : a test of the warning statement\narguments = $(Process) --token $ENV(REGISTRY_TOKEN) $(REGISTRY_TOKEN)\nqueue 1\n',
      ),
    );
    const env = { ...ws.env, REGISTRY_TOKEN: TOKEN };
    const text = await runScript('submit.ts', ['--dry-run'], { env, timeoutMs: 30_000 });
    const all = text.stdout + text.stderr;
    assert.match(all, /mnist_gpu_docker\.sub:\d+: warning: a test of the warning statement/);
    assert.match(all, /credential into the job/);
    assert.match(all, /\$ENV\(REGISTRY_TOKEN\) reads as unset/);
    assert.match(all, /--token UNDEFINED '\*{3}'$/m);
    assert.not.ok(all.includes(TOKEN), 'the token was printed');
    const json = await runScript('submit.ts', ['--dry-run', '--json'], { env, timeoutMs: 30_000 });
    assert.not.ok((json.stdout + json.stderr).includes(TOKEN), 'the token was printed with --json');
    assert.equal(JSON.parse(json.stdout).procs[0].arguments, ['0', '--token', 'UNDEFINED', '***']);
  } finally {
    ws.cleanup();
  }
});

test.run();
