// `submit --local` end to end with vanilla-universe jobs (no Docker needed): inputs in and
// outputs back, exit codes, holds with HTCondor's codes, queue N, checkpoint restarts, remaps,
// no overwriting, the job record, status and cancel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, runScript } from '../helpers/process.ts';
import { startScript } from '../condor/workspace.ts';
import { localWorkspace, vanillaSubmit, type LocalWorkspace, stopLocalRunners } from './local-workspace.ts';

let lw: LocalWorkspace;
test.before.each(async () => {
  lw = await localWorkspace();
});
test.after.each(() => {
  stopLocalRunners(lw.root);
  lw.ws.cleanup();
});

test('inputs in (file, dir, dir/), the output back, the real event log, a local job record, exit 0', async () => {
  mkdirSync(join(lw.root, 'data', 'sub'), { recursive: true });
  writeFileSync(join(lw.root, 'data', 'a.txt'), 'A');
  writeFileSync(join(lw.root, 'data', 'sub', 'b.txt'), 'B');
  lw.file('in.txt', 'IN');
  lw.file(
    'job.sh',
    '#!/bin/sh\nset -e\ncat in.txt a.txt sub/b.txt data/a.txt > result.txt\necho "scratch=$_CONDOR_SCRATCH_DIR pwd=$PWD ad=$(grep -c ClusterId "$_CONDOR_JOB_AD") hello=$HELLO"\n',
    true,
  );
  lw.file(
    'j.sub',
    vanillaSubmit(
      'transfer_input_files = in.txt, data/, data\ntransfer_output_files = result.txt\nenvironment = "HELLO=\'big world\'"',
    ),
  );
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(lw.read('result.txt'), 'INABA');
  const out = lw.read('job_1_0.out');
  assert.match(out, /scratch=(\S+) pwd=\1 ad=1 hello=big world/);
  assert.equal(lw.codes('job_1_0.log'), [0, 40, 40, 1, 40, 40, 5]);
  assert.match(r.stdout, /1\.0 completed: exit 0/);
  const record = JSON.parse(lw.read('.pixi-condor/jobs/1.json'));
  assert.is(record.cluster, 1);
  assert.ok(record.local && typeof record.local.pid === 'number');
  // status reads the same log back.
  const s = await runScript('status.ts', ['1', '--once', '--json'], { env: lw.env, timeoutMs: 30_000 });
  assert.is(s.code, 0, s.stdout + s.stderr);
  assert.equal(JSON.parse(s.stdout).jobs[0].state, 'completed');
});

test("exit 3 gives exit 3; the next run's cluster id is new", async () => {
  lw.file('job.sh', '#!/bin/sh\necho failing >&2\nexit 3\n', true);
  lw.file('j.sub', vanillaSubmit('transfer_output_files = ""'));
  const first = await lw.submit(['j.sub', '--local']);
  assert.is(first.code, 3, first.stdout + first.stderr);
  assert.match(first.stdout, /1\.0 completed: exit 3/);
  const second = await lw.submit(['j.sub', '--local']);
  assert.is(second.code, 3);
  assert.match(second.stdout, /2\.0 completed: exit 3/);
  assert.ok(existsSync(join(lw.root, 'job_2_0.log')));
});

test('a declared output the job did not make holds it with code 12 subcode 2 and the transfer reason; exit 2', async () => {
  lw.file('job.sh', '#!/bin/sh\necho no model\n', true);
  lw.file('j.sub', vanillaSubmit('transfer_output_files = model.pt'));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /Transfer output files failure at execution point slot1_1@\S+ while sending files to access point \S+\. Details: reading from file \S+\/model\.pt: \(errno 2\) No such file or directory \(code 12, subcode 2\)/,
  );
  assert.equal(lw.codes('job_1_0.log').slice(-1), [12]);
  // A local hold names the local command, never condor_release (no queue holds it).
  assert.match(r.stdout + r.stderr, /pixi run resubmit --held 1 --local/);
  assert.not.match(r.stdout + r.stderr, /condor_release/);
  const s = await runScript('status.ts', ['1', '--once'], { env: lw.env, timeoutMs: 30_000 });
  assert.not.match(s.stdout + s.stderr, /condor_release/);
  const rel = await runScript('release.ts', ['1'], { env: lw.env, timeoutMs: 30_000 });
  assert.match(rel.stderr, /pixi run resubmit 1 --held --local/);
});

test('queue 3 with $(Process): three procs, three distinct outputs', async () => {
  lw.file('job.sh', '#!/bin/sh\necho "proc $1" > "out_$1.txt"\n', true);
  lw.file('j.sub', vanillaSubmit('arguments = $(Process)\ntransfer_output_files = out_$(Process).txt', 'queue 3'));
  const r = await lw.submit(['j.sub', '--local', '--jobs', '2', '--json']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  // --json: stdout holds only the document.
  const doc = JSON.parse(r.stdout);
  assert.equal(
    doc.jobs.map((j: { id: string; state: string }) => [j.id, j.state]),
    [
      ['1.0', 'completed'],
      ['1.1', 'completed'],
      ['1.2', 'completed'],
    ],
  );
  for (const p of [0, 1, 2]) {
    assert.is(lw.read(`out_${p}.txt`), `proc ${p}\n`);
    assert.equal(lw.codes(`job_1_${p}.log`).at(-1), 5);
  }
});

test('a checkpointing job restarted twice completes, its checkpoint file carried across (040 + 001 per restart)', async () => {
  lw.file(
    'job.sh',
    '#!/bin/sh\nn=$(cat ckpt.txt 2>/dev/null || echo 0)\nn=$((n+1))\necho $n > ckpt.txt\necho "run $n"\nsleep 1\nif [ $n -lt 3 ]; then exit 85; fi\necho "done after $n" > final.txt\n',
    true,
  );
  lw.file(
    'j.sub',
    vanillaSubmit('checkpoint_exit_code = 85\ntransfer_checkpoint_files = ckpt.txt\ntransfer_output_files = final.txt'),
  );
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(lw.read('final.txt'), 'done after 3\n');
  assert.is(lw.read('job_1_0.out'), 'run 1\nrun 2\nrun 3\n');
  assert.equal(lw.codes('job_1_0.log'), [0, 40, 40, 1, 40, 40, 1, 40, 40, 1, 40, 40, 5]);
  // Wall time is every run's, summed (each slept 1 s), not the last run's alone.
  const wall = /1\.0\s+exit 0\s+wall (\d+)s/.exec(r.stdout);
  assert.ok(wall && Number(wall[1]) >= 3, r.stdout);
});

test('without transfer_checkpoint_files a checkpoint sends transfer_output_files: an output not written yet holds it, as on a pool (36/-1)', async () => {
  lw.file('job.sh', '#!/bin/sh\necho 1 > ckpt.txt\nexit 85\n', true);
  lw.file('j.sub', vanillaSubmit('checkpoint_exit_code = 85\ntransfer_output_files = model.pt'));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /\(code 36, subcode -1\)/);
  assert.match(r.stdout, /Starter failed to upload checkpoint/);
});

test('transfer_output_remaps, and an existing file is kept with the new one written beside it', async () => {
  lw.file('job.sh', '#!/bin/sh\necho new > model.pt\necho m > metrics.json\n', true);
  lw.file('model.pt', 'old\n');
  mkdirSync(join(lw.root, 'results'));
  lw.file(
    'j.sub',
    vanillaSubmit(
      'transfer_output_files = model.pt, metrics.json\ntransfer_output_remaps = "metrics.json = results/$(Cluster)/metrics.json"',
    ),
  );
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(lw.read('model.pt'), 'old\n');
  assert.is(lw.read('model.1.0.pt'), 'new\n');
  assert.match(r.stderr, /model\.pt already existed and was kept; the new one is \S*model\.1\.0\.pt/);
  // The summary's outputs name the new file (the one this run wrote), not the kept old one.
  assert.match(r.stdout, /outputs\n(?:.*\n)*?\s+model\.1\.0\.pt\s+4 B/);
  assert.is(lw.read('results/1/metrics.json'), 'm\n');
});

test("transfer_output_remaps reach a folder's files by the names HTCondor sends them: folder/name for a folder, name for dir/ (file_transfer.cpp)", async () => {
  lw.file('job.sh', '#!/bin/sh\nmkdir -p outdir\necho m > outdir/model.pt\necho l > outdir/log.txt\n', true);
  lw.file(
    'j.sub',
    vanillaSubmit('transfer_output_files = outdir\ntransfer_output_remaps = "outdir/model.pt = model_$(Process).pt"'),
  );
  const folder = await lw.submit(['j.sub', '--local']);
  assert.is(folder.code, 0, folder.stdout + folder.stderr);
  assert.is(lw.read('model_0.pt'), 'm\n');
  assert.is(lw.read('outdir/log.txt'), 'l\n');
  assert.not.ok(existsSync(join(lw.root, 'outdir', 'model.pt')), 'the remapped file is not in the folder too');
  lw.file(
    'j.sub',
    vanillaSubmit('transfer_output_files = outdir/\ntransfer_output_remaps = "log.txt = res/log_$(Cluster).txt"'),
  );
  const contents = await lw.submit(['j.sub', '--local']);
  assert.is(contents.code, 0, contents.stdout + contents.stderr);
  assert.is(lw.read('res/log_2.txt'), 'l\n');
  // A target ending in / names a folder: a folder goes there; a file is held, as the shadow's
  // open of it fails (12/21, EISDIR).
  lw.file('j.sub', vanillaSubmit('transfer_output_files = outdir\ntransfer_output_remaps = "outdir = moved/"'));
  const moved = await lw.submit(['j.sub', '--local']);
  assert.is(moved.code, 0, moved.stdout + moved.stderr);
  assert.is(lw.read('moved/log.txt'), 'l\n');
  lw.file('j.sub', vanillaSubmit('transfer_output_files = outdir\ntransfer_output_remaps = "outdir/log.txt = logs/"'));
  const file = await lw.submit(['j.sub', '--local']);
  assert.is(file.code, 2, file.stdout + file.stderr);
  assert.match(file.stdout, /\(code 12, subcode 21\)/);
});

test("an output folder that is there already takes the folder's files (file_transfer.cpp), each existing file kept", async () => {
  lw.file(
    'job.sh',
    '#!/bin/sh\nmkdir -p results\necho "r$1" > "results/r_$1.txt"\necho new > results/shared.txt\n',
    true,
  );
  mkdirSync(join(lw.root, 'results'));
  lw.file('results/shared.txt', 'old\n');
  lw.file('j.sub', vanillaSubmit('arguments = $(Process)\ntransfer_output_files = results', 'queue 2'));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  // Both procs' files in the one folder; the file that was there kept, each new one beside it.
  assert.is(lw.read('results/r_0.txt'), 'r0\n');
  assert.is(lw.read('results/r_1.txt'), 'r1\n');
  assert.is(lw.read('results/shared.txt'), 'old\n');
  assert.is(lw.read('results/shared.1.0.txt'), 'new\n');
  assert.is(lw.read('results/shared.1.1.txt'), 'new\n');
  assert.not.ok(existsSync(join(lw.root, 'results.1.0')), 'no second folder beside it');
  // A file where the folder has a subfolder: held as an output that cannot be written (12/20), not a crash.
  lw.file('job.sh', '#!/bin/sh\nmkdir -p results/sub\necho x > results/sub/x.txt\n', true);
  lw.file('results/sub', 'a file\n');
  lw.file('j.sub', vanillaSubmit('transfer_output_files = results'));
  const clash = await lw.submit(['j.sub', '--local']);
  assert.is(clash.code, 2, clash.stdout + clash.stderr);
  assert.match(clash.stdout, /\(code 12, subcode 20\)/);
  assert.is(lw.read('results/sub'), 'a file\n');
});

test('max_retries: a failing job is requeued (004) and run again until it succeeds', async () => {
  lw.file('job.sh', '#!/bin/sh\nif [ -f "$HOME_MARK" ]; then exit 0; fi\ntouch "$HOME_MARK"\nexit 1\n', true);
  lw.file(
    'j.sub',
    vanillaSubmit(`max_retries = 2\nenvironment = "HOME_MARK=${join(lw.root, 'mark')}"\ntransfer_output_files = ""`),
  );
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.equal(lw.codes('job_1_0.log'), [0, 40, 40, 1, 40, 40, 4, 40, 40, 1, 40, 40, 5]);
  // The 004 is a requeue, not an eviction: said so, and counted as no checkpoint.
  assert.match(r.stdout, /1\.0 exit 1, requeued to run again/);
  assert.not.match(r.stdout, /evicted|checkpoint/);
});

test('request_gpus without a GPU: stops before starting; --allow-cpu runs it with PIXI_CONDOR_ALLOW_CPU=1', async () => {
  const smi = await runCommand('nvidia-smi', ['-L'], { timeoutMs: 20_000 });
  if (smi.code === 0 && /GPU \d/.test(smi.stdout)) {
    console.log('  (skipped: this machine has a GPU, so the no-GPU path cannot be seen)');
    return;
  }
  lw.file('job.sh', '#!/bin/sh\necho "allow=$PIXI_CONDOR_ALLOW_CPU cuda=${CUDA_VISIBLE_DEVICES:-none}"\n', true);
  lw.file('j.sub', vanillaSubmit('request_gpus = 1\ntransfer_output_files = ""'));
  const refused = await lw.submit(['j.sub', '--local']);
  assert.is(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(
    refused.stderr,
    /asks for 1 GPU\(s\) \(request_gpus\) and no GPU is visible here.*nothing was started\nhint: .*--allow-cpu/,
  );
  assert.not.ok(existsSync(join(lw.root, '.pixi-condor', 'jobs')));
  const allowed = await lw.submit(['j.sub', '--local', '--allow-cpu']);
  assert.is(allowed.code, 0, allowed.stdout + allowed.stderr);
  assert.is(lw.read('job_1_0.out'), 'allow=1 cuda=none\n');
});

test('should_transfer_files = NO: the job runs in initialdir, nothing is transferred, no 040 events', async () => {
  lw.file('job.sh', '#!/bin/sh\necho "$PWD $_CONDOR_JOB_IWD" > here.txt\n', true);
  lw.file('j.sub', vanillaSubmit('should_transfer_files = NO').replace('should_transfer_files = YES\n', ''));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(lw.read('here.txt'), `${lw.root} ${lw.root}\n`);
  assert.equal(lw.codes('job_1_0.log'), [0, 1, 5]);
});

test('--dry-run prints the host command and changes nothing', async () => {
  lw.file('job.sh', '#!/bin/sh\ntrue\n', true);
  lw.file('j.sub', vanillaSubmit('arguments = "a \'b c\'"'));
  const r = await lw.submit(['j.sub', '--local', '--dry-run']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /proc 0: SANDBOX\/job\.sh a 'b c'/);
  assert.match(r.stdout, /dry run: nothing was run/);
  assert.not.ok(existsSync(join(lw.root, '.pixi-condor', 'jobs')));
});

test('usage errors: --jobs 0, --allow-cpu without --local, --once with --local (exit 2)', async () => {
  lw.file('job.sh', '#!/bin/sh\ntrue\n', true);
  lw.file('j.sub', vanillaSubmit(''));
  for (const args of [['--local', '--jobs', '0'], ['--allow-cpu'], ['--local', '--once']]) {
    const r = await lw.submit(['j.sub', ...args]);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.not.match(r.stderr, /at .*\.ts:\d+/);
  }
});

test('universe = scheduler: submit --local says plainly it cannot run it (exit 2, nothing recorded)', async () => {
  lw.file('job.sh', '#!/bin/sh\ntrue\n', true);
  lw.file('j.sub', vanillaSubmit('').replace('universe = vanilla', 'universe = scheduler'));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /universe = scheduler .*submit --local cannot run it/);
  assert.not.match(r.stderr, /at .*\.ts:\d+/);
});

test("input = FILE is the job's stdin, transferred with the inputs (file_transfer.cpp, os_proc.cpp); a missing one is refused", async () => {
  lw.file('params.txt', 'lr=0.1\nseed=7\n');
  lw.file('job.sh', '#!/bin/sh\ncat > got.txt\nls > listing.txt\n', true);
  lw.file('j.sub', vanillaSubmit('input = params.txt\ntransfer_output_files = got.txt, listing.txt'));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(lw.read('got.txt'), 'lr=0.1\nseed=7\n');
  assert.match(lw.read('listing.txt'), /^params\.txt$/m, 'in the sandbox, as a pool transfers it');
  // On a shared filesystem (should_transfer_files = NO) a link is read where it points, as the starter opens it.
  symlinkSync(join(lw.root, 'params.txt'), join(lw.root, 'linked.txt'));
  lw.file('job.sh', '#!/bin/sh\ncat > got2.txt\n', true);
  lw.file(
    'j.sub',
    vanillaSubmit('input = linked.txt').replace('should_transfer_files = YES', 'should_transfer_files = NO'),
  );
  const shared = await lw.submit(['j.sub', '--local']);
  assert.is(shared.code, 0, shared.stdout + shared.stderr);
  assert.is(lw.read('got2.txt'), 'lr=0.1\nseed=7\n');
  // condor_submit refuses a stdin file that is not there: so does the preflight.
  lw.file('j.sub', vanillaSubmit('input = nope.txt\ntransfer_output_files = got.txt'));
  const missing = await lw.submit(['j.sub', '--local']);
  assert.is(missing.code, 1, missing.stdout + missing.stderr);
  assert.match(missing.stderr, /preflight failed: input files present \(missing: nope\.txt\)/);
});

test('preserve_relative_paths = true: refused before the run (a local run places files by their base names)', async () => {
  lw.file('job.sh', '#!/bin/sh\ntrue\n', true);
  lw.file('j.sub', vanillaSubmit('preserve_relative_paths = true\ntransfer_output_files = ""'));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /preserve_relative_paths = true is not reproduced by a local run/);
  assert.not.ok(existsSync(join(lw.root, '.pixi-condor', 'jobs', '1.json')), 'nothing recorded');
});

test('without condor_submit, plain submit says so and names --local', async () => {
  lw.file('job.sh', '#!/bin/sh\ntrue\n', true);
  lw.file('j.sub', vanillaSubmit(''));
  const r = await lw.submit(['j.sub', '--dry-run']);
  assert.match(r.stdout, /condor_submit on PATH — not found\n\s+hint: .*pixi run submit --local/);
});

test('cancel signals the runner: the proc is removed (009), the process stopped, submit exits 2 (removed)', async () => {
  lw.file('job.sh', '#!/bin/sh\necho started\nsleep 60\n', true);
  lw.file('j.sub', vanillaSubmit('transfer_output_files = ""'));
  const running = startScript('submit.ts', ['j.sub', '--local', '--interval', '40'], lw.env, 60_000);
  await running.waitFor(/1\.0 running/, 30_000);
  const c = await runScript('cancel.ts', ['1'], { env: lw.env, timeoutMs: 30_000 });
  assert.is(c.code, 0, c.stdout + c.stderr);
  const r = await running.done;
  // Removed, as a pool job removed by condor_rm: 2 (130 is for a watcher stopped by Ctrl-C).
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /1\.0 removed/);
  assert.equal(lw.codes('job_1_0.log').at(-1), 9);
  assert.match(readFileSync(join(lw.root, 'job_1_0.log'), 'utf8'), /Job was aborted\.\n\tvia .* \(by user /);
});

test.run();
