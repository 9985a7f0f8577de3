// `submit --local` with real Docker (container universe): the busybox test base image (with
// the stand-in pixi) runs the job. Inputs in and outputs back owned by the user, exit codes,
// a missing output and the memory limit held with HTCondor's codes, Ctrl-C leaving no
// container of ours behind (found by this run's label, never anyone else's).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bound, runCommand, runScript } from '../helpers/process.ts';
import { buildTestBaseImage, dockerSkipReason, TEST_BASE_IMAGE } from '../image/services.ts';
import { startScript } from '../condor/workspace.ts';
import {
  containerSubmit as localContainerSubmit,
  localWorkspace,
  type LocalWorkspace,
  stopLocalRunners,
} from './local-workspace.ts';

const skip = await dockerSkipReason();
if (skip) console.log(`skipping the local Docker tests: ${skip}`);
else await buildTestBaseImage();

let lw: LocalWorkspace;
test.before.each(async () => {
  lw = await localWorkspace();
  // No image record: the submit file's own container_image is what runs.
  rmSync(join(lw.root, '.pixi-condor', 'image.json'), { force: true });
});
test.after.each(() => {
  stopLocalRunners(lw.root);
  lw.ws.cleanup();
});

const containerSubmit = (extra: string): string => localContainerSubmit(`request_cpus = 1\n${extra}`);

async function ourContainers(runId: string): Promise<string[]> {
  const r = await runCommand(
    'docker',
    ['ps', '-a', '--filter', `label=org.pixi-condor.local=${runId}`, '--format', '{{.Names}}'],
    {
      timeoutMs: 20_000,
    },
  );
  assert.is(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

const runIdOf = (cluster: number): string => JSON.parse(lw.read(`.pixi-condor/jobs/${cluster}.json`)).local.runId;

const dockerTest = skip ? test.skip : test;

dockerTest('inputs in, the output back owned by the user, the return value, no container left', async () => {
  lw.file('in.txt', 'IN');
  lw.file(
    'job.sh',
    '#!/bin/sh\ncat in.txt > result.txt\necho "uid=$(id -u) dir=$PWD scratch=$_CONDOR_SCRATCH_DIR"\nexit 3\n',
    true,
  );
  lw.file(
    'j.sub',
    containerSubmit('transfer_input_files = in.txt\ntransfer_output_files = result.txt\nrequest_memory = 64MB'),
  );
  const r = await lw.submit(['j.sub', '--local'], 120_000);
  assert.is(r.code, 3, r.stdout + r.stderr);
  assert.is(lw.read('result.txt'), 'IN');
  assert.is(statSync(join(lw.root, 'result.txt')).uid, process.getuid!());
  assert.match(lw.read('job_1_0.out'), new RegExp(`uid=${process.getuid!()} dir=(\\S+) scratch=\\1`));
  assert.equal(lw.codes('job_1_0.log'), [0, 40, 40, 1, 40, 40, 5]);
  assert.equal(await ourContainers(runIdOf(1)), []);
});

dockerTest('input = FILE reaches the job in its container as its stdin', async () => {
  lw.file('params.txt', 'from stdin\n');
  lw.file('job.sh', '#!/bin/sh\ncat > got.txt\n', true);
  lw.file('j.sub', containerSubmit('input = params.txt\ntransfer_output_files = got.txt'));
  const r = await lw.submit(['j.sub', '--local'], 120_000);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(lw.read('got.txt'), 'from stdin\n');
});

dockerTest(
  'universe = vanilla with a container_image runs in the image, as condor_submit makes it (WantContainer)',
  async () => {
    // On the host /.dockerenv is not there; in a Docker container it is.
    lw.file('job.sh', '#!/bin/sh\nif [ -e /.dockerenv ]; then echo in-container; else echo on-host; fi\n', true);
    lw.file(
      'j.sub',
      containerSubmit('transfer_output_files = ""').replace('universe = container', 'universe = vanilla'),
    );
    const r = await lw.submit(['j.sub', '--local'], 120_000);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.is(lw.read('job_1_0.out'), 'in-container\n');
    assert.equal(await ourContainers(runIdOf(1)), []);
  },
);

dockerTest("a sandbox whose path holds ':' and ',' is mounted whole (--mount, not --volume A:A)", async () => {
  const odd = mkdtempSync(join(tmpdir(), 'pc-odd:dir,1-'));
  try {
    lw.env.TMPDIR = odd;
    lw.file('job.sh', '#!/bin/sh\necho "in $PWD" > result.txt\n', true);
    lw.file('j.sub', containerSubmit('transfer_output_files = result.txt'));
    const r = await lw.submit(['j.sub', '--local'], 120_000);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.ok(lw.read('result.txt').startsWith(`in ${odd}/`), lw.read('result.txt'));
  } finally {
    rmSync(odd, { recursive: true, force: true });
  }
});

dockerTest('a missing output holds the proc with code 12 subcode 2', async () => {
  lw.file('job.sh', '#!/bin/sh\ntrue\n', true);
  lw.file('j.sub', containerSubmit('transfer_output_files = mnist_cnn.pt'));
  const r = await lw.submit(['j.sub', '--local'], 120_000);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /mnist_cnn\.pt: \(errno 2\) No such file or directory \(code 12, subcode 2\)/);
});

dockerTest('a memory hog under a small request_memory is held with the memory code (34/102)', async () => {
  lw.file('job.sh', '#!/bin/sh\nhead -c 200000000 /dev/zero | tail -c 150000000 > /dev/null\necho survived\n', true);
  lw.file('j.sub', containerSubmit('request_memory = 16MB\ntransfer_output_files = ""'));
  const r = await lw.submit(['j.sub', '--local'], 120_000);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /Docker job has gone over memory limit of 16 Mb \(code 34, subcode 102\)/);
  assert.match(r.stderr, /hint: /);
  assert.equal(lw.codes('job_1_0.log').at(-1), 12);
  assert.equal(await ourContainers(runIdOf(1)), []);
});

dockerTest('an image docker cannot find holds the proc with code 35 (InvalidDockerImage)', async () => {
  lw.file('job.sh', '#!/bin/sh\ntrue\n', true);
  lw.file(
    'j.sub',
    containerSubmit('transfer_output_files = ""').replace(
      `docker://${TEST_BASE_IMAGE}`,
      `docker://localhost/pixi-condor-no-such-image-${process.pid}:missing`,
    ),
  );
  const r = await lw.submit(['j.sub', '--local'], 120_000);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /Cannot pull image localhost\/pixi-condor-no-such-image-\d+:missing[^\n]*\(code 35, subcode 0\)/,
  );
  assert.match(lw.read('job_1_0.err'), /docker: /);
});

dockerTest(
  'Ctrl-C stops the watching, the container runs on; cancel removes the job (009) and its container',
  async () => {
    lw.file('job.sh', '#!/bin/sh\necho started\nsleep 120\n', true);
    lw.file('j.sub', containerSubmit('transfer_output_files = ""'));
    const running = startScript('submit.ts', ['j.sub', '--local', '--interval', '40'], lw.env, 120_000, {
      detached: true,
    });
    await running.waitFor(/1\.0 running/, 60_000);
    const runId = runIdOf(1);
    // The container is there while the job runs...
    const deadline = Date.now() + bound(20_000);
    while ((await ourContainers(runId)).length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    assert.is((await ourContainers(runId)).length, 1);
    // ...a terminal's Ctrl-C goes to the whole process group, and stops only the watching...
    process.kill(-running.child.pid!, 'SIGINT');
    const r = await running.done;
    assert.is(r.code, 130, r.stdout + r.stderr);
    assert.is((await ourContainers(runId)).length, 1);
    // ...and cancel removes the job: 009, and no container of this run is left.
    const c = await runScript('cancel.ts', ['1'], { env: lw.env, timeoutMs: 60_000 });
    assert.is(c.code, 0, c.stdout + c.stderr);
    const s = await runScript('status.ts', ['1', '--interval', '40'], { env: lw.env, timeoutMs: 60_000 });
    assert.is(s.code, 2, s.stdout + s.stderr);
    assert.match(s.stdout, /1\.0 removed/);
    assert.equal(lw.codes('job_1_0.log').at(-1), 9);
    assert.equal(
      await ourContainers(runId),
      [],
      lw.read('job_1_0.log') + lw.read('.pixi-condor/local/runs/1/runner.log'),
    );
  },
);

dockerTest('kill -9 of the runner: status removes the container by its label and logs the lost run', async () => {
  lw.file('job.sh', '#!/bin/sh\necho started\nsleep 120\n', true);
  lw.file('j.sub', containerSubmit('transfer_output_files = ""'));
  const running = startScript('submit.ts', ['j.sub', '--local', '--interval', '40'], lw.env, 120_000);
  await running.waitFor(/1\.0 running/, 60_000);
  const runId = runIdOf(1);
  // The container is there while the job runs...
  const deadline = Date.now() + bound(20_000);
  while ((await ourContainers(runId)).length === 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));
  running.child.kill('SIGKILL');
  await running.done;
  const runner = JSON.parse(lw.read('.pixi-condor/jobs/1.json')).local.pid as number;
  process.kill(runner, 'SIGKILL');
  const s = await runScript('status.ts', ['1', '--once'], { env: lw.env, timeoutMs: 60_000 });
  assert.is(s.code, 2, s.stdout + s.stderr);
  assert.equal(lw.codes('job_1_0.log').slice(-3), [22, 24, 9]);
  assert.equal(await ourContainers(runId), []);
});

test.run();
