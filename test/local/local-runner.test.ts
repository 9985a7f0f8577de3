// Who owns a local job (issue 18): the detached runner, never the watcher. Ctrl-C and kill -9 of
// `submit --local` leave the job running and `status` re-attaches; kill -9 of the runner is
// found by the next status/cancel/resubmit, which ends what the job left running, logs the lost
// run as HTCondor does (022, 024; then 009 since no schedd is left to requeue it) and keeps the
// last checkpoint, from which `resubmit --failed --local` resumes. A job's background children
// end with it. Every wait is on an event (a line, a file), bounded by the helper's time limit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScript } from '../helpers/process.ts';
import { startScript } from '../condor/workspace.ts';
import {
  alive,
  localWorkspace,
  type LocalWorkspace,
  startTimeOf,
  stopLocalRunners,
  vanillaSubmit,
} from './local-workspace.ts';

let lw: LocalWorkspace;
let pids: number[] = [];
test.before.each(async () => {
  lw = await localWorkspace();
  pids = [];
});
test.after.each(() => {
  // Whatever a failed test left running: the runner and the job's processes.
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  stopLocalRunners(lw.root);
  lw.ws.cleanup();
});

function record(cluster = 1): { local: { pid: number; startTime: number | null } } {
  return JSON.parse(lw.read(`.pixi-condor/jobs/${cluster}.json`));
}

/** Bounded wait for a file the job writes (its own "I am here" event). */
async function waitForFile(path: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A job that says it started, then waits for the test's GO file (or 60 s). */
function waitingJob(): { go: string; here: string } {
  const go = join(lw.root, 'GO');
  const here = join(lw.root, 'HERE');
  lw.file(
    'job.sh',
    `#!/bin/sh\necho $$ > '${here}.pid'\ntouch '${here}'\ni=0\nwhile [ ! -e '${go}' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\necho finished\n`,
    true,
  );
  lw.file('j.sub', vanillaSubmit('transfer_output_files = ""'));
  return { go, here };
}

/**
 * A waiting job whose runner was killed with no watcher left (a watcher would find the dead
 * runner itself): its job process, still running, for the test to see ended.
 */
async function jobOfKilledRunner(): Promise<number> {
  const { here } = waitingJob();
  const running = startScript('submit.ts', ['j.sub', '--local', '--interval', '40'], lw.env, 60_000);
  await waitForFile(here);
  const job = Number(lw.read('HERE.pid'));
  pids.push(record().local.pid, job);
  running.child.kill('SIGKILL');
  await running.done;
  process.kill(record().local.pid, 'SIGKILL');
  return job;
}

for (const signal of ['SIGINT', 'SIGKILL'] as const) {
  test(`${signal} to submit --local stops the watching only: the job goes on, status re-attaches to its end`, async () => {
    const { go, here } = waitingJob();
    const running = startScript('submit.ts', ['j.sub', '--local', '--interval', '40'], lw.env, 60_000, {
      detached: true,
    });
    await running.waitFor(/1\.0 running/, 30_000);
    await waitForFile(here);
    pids.push(record().local.pid, Number(lw.read('HERE.pid')));
    // The terminal's Ctrl-C goes to the whole process group of the command; kill -9 to the watcher.
    if (signal === 'SIGINT') process.kill(-running.child.pid!, 'SIGINT');
    else running.child.kill('SIGKILL');
    const r = await running.done;
    if (signal === 'SIGINT') {
      assert.is(r.code, 130, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        /stopped watching; the local runner goes on with the job[\s\S]*re-attach: pixi run status 1/,
      );
    }
    assert.ok(alive(record().local.pid), 'the runner is still running');
    assert.ok(alive(Number(lw.read('HERE.pid'))), 'the job is still running');
    assert.not.match(lw.read('job_1_0.log'), /^009 /m);
    writeFileSync(go, '');
    const s = await runScript('status.ts', ['1', '--interval', '40'], { env: lw.env, timeoutMs: 60_000 });
    assert.is(s.code, 0, s.stdout + s.stderr);
    assert.match(s.stdout, /1\.0 completed: exit 0/);
    assert.equal(lw.codes('job_1_0.log'), [0, 40, 40, 1, 40, 40, 5]);
    assert.is(lw.read('job_1_0.out'), 'finished\n');
  });
}

test('submit --local --no-wait hands the job over and returns; status follows it to its end', async () => {
  const { go } = waitingJob();
  const r = await lw.submit(['j.sub', '--local', '--no-wait']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /follow it with `pixi run status 1`/);
  pids.push(record().local.pid);
  writeFileSync(go, '');
  const s = await runScript('status.ts', ['1', '--interval', '40'], { env: lw.env, timeoutMs: 60_000 });
  assert.is(s.code, 0, s.stdout + s.stderr);
  assert.equal(lw.codes('job_1_0.log'), [0, 40, 40, 1, 40, 40, 5]);
});

test('SIGKILL of the runner: status finds it (022, 024, 009), ends the job, keeps the checkpoint; resubmit --failed resumes from it', async () => {
  const go = join(lw.root, 'GO');
  const here = join(lw.root, 'HERE');
  // Run 1 checkpoints (exit 85, ckpt.txt = 1); run 2 starts a background child and waits.
  // Resumed from the checkpoint, a run sees ckpt.txt = 1 and (with GO) finishes at once.
  lw.file(
    'job.sh',
    [
      '#!/bin/sh',
      'n=$(cat ckpt.txt 2>/dev/null || echo 0); n=$((n+1)); echo $n > ckpt.txt',
      'if [ $n -eq 1 ]; then exit 85; fi',
      `if [ -e '${go}' ]; then echo "resumed at $n" > final.txt; exit 0; fi`,
      `sleep 300 & echo $! > '${here}.bg'`,
      `echo $$ > '${here}.pid'; touch '${here}'`,
      'sleep 300',
      '',
    ].join('\n'),
    true,
  );
  lw.file(
    'j.sub',
    vanillaSubmit('checkpoint_exit_code = 85\ntransfer_checkpoint_files = ckpt.txt\ntransfer_output_files = final.txt'),
  );
  const running = startScript('submit.ts', ['j.sub', '--local', '--interval', '40'], lw.env, 60_000);
  await waitForFile(here);
  const job = Number(lw.read('HERE.pid'));
  const bg = Number(lw.read('HERE.bg'));
  const runner = record().local.pid;
  pids.push(runner, job, bg);
  process.kill(runner, 'SIGKILL');
  const watched = await running.done;
  assert.is(watched.code, 2, watched.stdout + watched.stderr);
  const s = await runScript('status.ts', ['1', '--once'], { env: lw.env, timeoutMs: 30_000 });
  assert.is(s.code, 2, s.stdout + s.stderr);
  assert.not.ok(alive(job), 'the job process was ended');
  assert.not.ok(alive(bg), 'its background child was ended');
  assert.equal(lw.codes('job_1_0.log').slice(-3), [22, 24, 9]);
  assert.match(lw.read('job_1_0.log'), /Job reconnection failed\n {4}Job not found at execution machine\n/);
  assert.is(lw.read('.pixi-condor/local/spool/1.0/ckpt.txt'), '1\n');
  // cancel now: nothing left (the recovery already wrote the end).
  const c = await runScript('cancel.ts', ['1'], { env: lw.env, timeoutMs: 30_000 });
  assert.is(c.code, 0, c.stdout + c.stderr);
  writeFileSync(go, '');
  // Handed to a runner (--no-wait --json: the keys a pool resubmission prints), then followed.
  const again = await runScript('resubmit.ts', ['1', '--failed', '--local', '--no-wait', '--json'], {
    env: lw.env,
    timeoutMs: 60_000,
  });
  assert.is(again.code, 0, again.stdout + again.stderr);
  assert.equal(JSON.parse(again.stdout), {
    cluster: 2,
    local: true,
    watching: false,
    resubmitOf: { cluster: 1, procs: [0] },
  });
  const followed = await runScript('status.ts', ['2', '--interval', '40'], { env: lw.env, timeoutMs: 60_000 });
  assert.is(followed.code, 0, followed.stdout + followed.stderr);
  // Resumed: ckpt.txt came back as 1, so the first start of the resubmission already finished.
  assert.is(lw.read('final.txt'), 'resumed at 2\n');
  assert.equal(lw.codes('job_2_0.log'), [0, 40, 40, 1, 40, 40, 5]);
  assert.not.ok(existsSync(join(lw.root, '.pixi-condor/local/spool/1.0')), 'the spool goes when the row completes');
});

test('cancel of a job whose runner was killed: ends what it left and logs the lost run', async () => {
  const job = await jobOfKilledRunner();
  const c = await runScript('cancel.ts', ['1'], { env: lw.env, timeoutMs: 30_000 });
  assert.is(c.code, 0, c.stdout + c.stderr);
  assert.match(c.stdout, /local runner \(pid \d+\) had died: ended what it left running/);
  assert.not.ok(alive(job));
  assert.equal(lw.codes('job_1_0.log').slice(-3), [22, 24, 9]);
});

test('results of a job whose runner was killed: finds the lost runner first, so the row is not running forever', async () => {
  const job = await jobOfKilledRunner();
  const r = await runScript('results.ts', ['1', '--dry-run'], { env: lw.env, timeoutMs: 30_000 });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /job 1's local runner \(pid \d+\) had died: ended what it left running/);
  assert.match(r.stdout, /^0\s+removed\b/m, r.stdout);
  assert.not.match(r.stdout, /running/);
  assert.not.ok(alive(job));
  assert.equal(lw.codes('job_1_0.log').slice(-3), [22, 24, 9]);
});

test('resubmit --dry-run of a job whose runner was killed changes nothing: it says a real resubmit records the lost run first', async () => {
  const job = await jobOfKilledRunner();
  const before = lw.codes('job_1_0.log');
  const r = await runScript('resubmit.ts', ['1', '--procs', '0', '--dry-run'], { env: lw.env, timeoutMs: 30_000 });
  assert.match(
    r.stdout,
    /note: job 1's local runner has died; a real resubmit records its lost run first/,
    r.stdout + r.stderr,
  );
  assert.ok(alive(job), 'the job was left as it was');
  assert.equal(lw.codes('job_1_0.log'), before, 'no event was written');
  // The real one recovers it (and then refuses nothing: the proc reads as removed).
  const c = await runScript('cancel.ts', ['1'], { env: lw.env, timeoutMs: 30_000 });
  assert.is(c.code, 0, c.stdout + c.stderr);
});

test('after a reboot the recorded pid names nothing of that run: status finds the runner lost by the boot id', async () => {
  const job = await jobOfKilledRunner();
  // As after a reboot: the recorded pid (and start time) now name a live process of this boot,
  // this test's own, which is not the runner.
  const path = join(lw.root, '.pixi-condor', 'jobs', '1.json');
  const edited = JSON.parse(readFileSync(path, 'utf8'));
  edited.local.pid = process.pid;
  edited.local.startTime = startTimeOf(process.pid);
  edited.local.bootId = 'an-earlier-boot';
  writeFileSync(path, JSON.stringify(edited));
  const s = await runScript('status.ts', ['1', '--once'], { env: lw.env, timeoutMs: 30_000 });
  // The record names the dead runner again (the clean-up signals the pid it names).
  writeFileSync(path, JSON.stringify({ ...edited, local: { ...edited.local, pid: pids[0] } }));
  assert.is(s.code, 2, s.stdout + s.stderr);
  assert.equal(lw.codes('job_1_0.log').slice(-3), [22, 24, 9]);
  assert.not.ok(alive(job));
});

test('a vanilla job that exits 0 leaves nothing running: `cmd &`, `setsid cmd &`, a child ignoring TERM', async () => {
  const dir = lw.root;
  lw.file(
    'job.sh',
    [
      '#!/bin/sh',
      `sleep 300 & echo $! > '${dir}/bg1'`,
      `setsid sleep 300 & echo $! > '${dir}/bg2'`,
      `sh -c 'trap "" TERM; sleep 300' & echo $! > '${dir}/bg3'`,
      'echo done',
      '',
    ].join('\n'),
    true,
  );
  lw.file('j.sub', vanillaSubmit('transfer_output_files = ""'));
  const r = await lw.submit(['j.sub', '--local']);
  const children = ['bg1', 'bg2', 'bg3'].map((f) => Number(lw.read(f)));
  pids.push(...children);
  assert.is(r.code, 0, r.stdout + r.stderr);
  for (const [i, pid] of children.entries())
    assert.not.ok(alive(pid), `bg${i + 1} (pid ${pid}) was ended with the job`);
});

test('where a cgroup can be made, a child that cleared its marker ends with the job too', async () => {
  const dir = lw.root;
  lw.file(
    'job.sh',
    `#!/bin/sh\ncat /proc/self/cgroup > '${dir}/cg.txt'\nenv -u PIXI_CONDOR_FAMILY sleep 300 & echo $! > '${dir}/bg'\necho done\n`,
    true,
  );
  lw.file('j.sub', vanillaSubmit('transfer_output_files = ""'));
  const r = await lw.submit(['j.sub', '--local']);
  const bg = Number(lw.read('bg'));
  pids.push(bg);
  assert.is(r.code, 0, r.stdout + r.stderr);
  if (!/pixi-condor-/.test(lw.read('cg.txt'))) {
    console.log('  (cgroup part skipped: no writable cgroup v2 hierarchy here; the marker scan is the tracking)');
    return;
  }
  assert.not.ok(alive(bg), 'the child without the marker was ended through the cgroup');
});

test('a sweep row that exits non-zero with success_exit_code set: 005 with its return value; resubmit --failed --edited-values runs it with the corrected row', async () => {
  // seed 2 is a bad value: it always fails; the corrected table says 5.
  lw.file(
    'train.sh',
    `#!/bin/sh\nif [ "$1" = 2 ]; then echo diverged >&2; exit 3; fi\necho "{\\"seed\\": $1}" > metrics.json\n`,
    true,
  );
  lw.file('rows.csv', '1\n2\n3\n');
  lw.file(
    's.sub',
    [
      'universe = vanilla',
      'executable = train.sh',
      'arguments = $(seed)',
      'log = s_$(Cluster)_$(Process).log',
      'output = s_$(Cluster)_$(Process).out',
      'error = s_$(Cluster)_$(Process).err',
      'transfer_output_files = metrics.json',
      'transfer_output_remaps = "metrics.json = results/$(Cluster)/$(Process)/metrics.json"',
      'success_exit_code = 0',
      'max_retries = 0',
      'queue seed from rows.csv',
      '',
    ].join('\n'),
  );
  const r = await runScript('submit.ts', ['s.sub', '--local', '--interval', '40'], { env: lw.env, timeoutMs: 60_000 });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /1\.1 completed: exit 3/);
  assert.not.match(r.stdout, /held/);
  assert.equal(lw.codes('s_1_1.log').at(-1), 5);
  // The same values again fail again; a line added to the table cannot be matched and is refused.
  lw.file('rows.csv', '1\n5\n3\n4\n');
  const refused = await runScript('resubmit.ts', ['1', '--failed', '--local', '--edited-values'], {
    env: lw.env,
    timeoutMs: 60_000,
  });
  assert.is(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /now queues 4 procs, job 1 had 3: rows are matched by line/);
  lw.file('rows.csv', '1\n5\n3\n');
  const again = await runScript('resubmit.ts', ['1', '--failed', '--local', '--edited-values', '--interval', '40'], {
    env: lw.env,
    timeoutMs: 60_000,
  });
  assert.is(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /resubmitting 1 proc of job 1: 1 \(failed; seed=2\)/);
  assert.match(again.stdout, /proc 1: seed 2 → 5/);
  assert.is(lw.read('results/2/0/metrics.json'), '{"seed": 5}\n');
});

test('a proc that exits non-zero before writing its declared output: held with code 12 as on a pool, and the note says the exit', async () => {
  lw.file('job.sh', '#!/bin/sh\necho diverged >&2\nexit 3\n', true);
  lw.file('j.sub', vanillaSubmit('transfer_output_files = model.pt'));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.equal(lw.codes('job_1_0.log').slice(-1), [12]);
  assert.match(
    r.stderr,
    /1\.0 exited with return value 3 and did not write \S*model\.pt: HTCondor holds such a job \(code 12\)/,
  );
  assert.match(r.stderr, /success_exit_code = 0/);
  const again = await runScript('resubmit.ts', ['1', '--failed', '--local'], { env: lw.env, timeoutMs: 30_000 });
  assert.match(again.stdout, /nothing to resubmit: .*1 is held: `pixi run resubmit 1 --held --local`/);
});

test('the Docker engine lost mid-run: held as engine loss (not an image pull), the container left for later removal', async () => {
  // A stand-in for the docker CLI with its engine gone: `docker run` starts, then loses the
  // connection (the message the real CLI prints), and every later call cannot connect. DOCKER_HOST
  // names a dead socket, so the runner asks the CLI, not the default socket.
  const bin = join(lw.root, 'standin-bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'docker'),
    [
      '#!/bin/sh',
      'case "$1" in',
      '  run) echo "job output"; echo \'error during connect: Post "http://%2Fvar%2Frun%2Fdocker.sock/v1.47/containers/x/wait": unexpected EOF\' >&2; exit 125;;',
      '  network) echo bridge; exit 0;;',
      '  *) echo "Cannot connect to the Docker daemon at unix:///nonexistent/docker.sock. Is the docker daemon running?" >&2; exit 1;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'docker'), 0o755);
  lw.file('job.sh', '#!/bin/sh\ntrue\n', true);
  lw.file(
    'c.sub',
    vanillaSubmit('transfer_output_files = ""')
      .replace('universe = vanilla', 'universe = container')
      .replace(
        'executable = job.sh',
        'executable = job.sh\ncontainer_image = docker://busybox:pixi-condor-local-runner-standin',
      ),
  );
  const env = { ...lw.env, PATH: `${bin}:${lw.env.PATH}`, DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
  const r = await runScript('submit.ts', ['c.sub', '--local', '--interval', '40'], { env, timeoutMs: 60_000 });
  assert.is(r.code, 2, r.stdout + r.stderr);
  const log = lw.read('job_1_0.log');
  assert.match(log, /Cannot inspect exited container: the Docker engine went away while the job ran/);
  assert.match(log, /Code 1021 Subcode 0/);
  assert.not.match(log, /Cannot pull image/);
  assert.match(r.stderr, /held \(Docker engine lost\)[^\n]*\nhint: the Docker engine stopped answering/);
  assert.not.match(r.stdout + r.stderr, /make the package public|condor_release/);
  assert.match(r.stderr, /pixi run resubmit --held 1 --local/);
  // Not removable now: recorded, and the next local run removes it once the engine is back.
  assert.match(lw.read('.pixi-condor/local/leftover-containers.txt'), /^pixi-condor-[0-9a-f]+-1\.0-1$/m);
});

test.run();
