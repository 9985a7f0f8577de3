// The sandbox is a wall (issue 18, item 3; issue 25's symlinked input folder), in both
// universes: output transfer reads only what resolves inside the sandbox and never writes
// through a symlink a job made; input transfer reads only what the submit file names. Each
// case is held as HTCondor holds it (scripts/lib/local/sandbox-wall.ts cites file_transfer.cpp):
// - `..` or an absolute name in transfer_output_files, a symlink out of the sandbox: 12/EPERM
//   (LegalPathInSandbox, file_transfer.cpp:8497-8535; starter.cpp:1129-1133);
// - a symlink to a directory named without `/`: 12 (output) or 13 (input), subcode EISDIR,
//   "Transfer of symlinks to directories is not supported." (file_transfer.cpp:5596-5598).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { dockerSkipReason, buildTestBaseImage } from '../image/services.ts';
import { localWorkspace, type LocalWorkspace, submitIn, vanillaSubmit } from './local-workspace.ts';

const skip = await dockerSkipReason();
if (skip) console.log(`skipping the container half of the sandbox-wall tests: ${skip}`);
else await buildTestBaseImage();

let lw: LocalWorkspace;
/** Outside the workspace and outside every sandbox: what a job must not reach. */
let host: string;
/** The victim: a file in a host folder a job knows the path of. */
let victim: string;
test.before.each(async () => {
  lw = await localWorkspace();
  rmSync(join(lw.root, '.pixi-condor', 'image.json'), { force: true });
  host = mkdtempSync(join(tmpdir(), 'pixi-condor-wall-host-'));
  mkdirSync(join(host, 'scratch'));
  mkdirSync(join(host, 'dir'));
  victim = join(host, 'dir', 'result.txt');
  writeFileSync(victim, 'HOST FILE\n');
  // Sandboxes go under host/scratch, so `../dir/result.txt` from a sandbox names the victim.
  lw.env.TMPDIR = join(host, 'scratch');
});
test.after.each(() => {
  lw.ws.cleanup();
  rmSync(host, { recursive: true, force: true });
});

const held = (code: number, subcode: number) => new RegExp(`\\(code ${code}, subcode ${subcode}\\)`);
const isLink = (path: string): boolean => lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;

/** A job run in initialdir (should_transfer_files = NO) that leaves the link `name` → `target` there. */
async function jobLeavesLink(target: string, name: string): Promise<void> {
  lw.file('maker.sh', `#!/bin/sh\nln -s ${target} ${name}\n`, true);
  lw.file(
    'maker.sub',
    vanillaSubmit('should_transfer_files = NO').replace('executable = job.sh', 'executable = maker.sh'),
  );
  const made = await lw.submit(['maker.sub', '--local']);
  assert.is(made.code, 0, made.stdout + made.stderr);
}

function victimIntact(): void {
  assert.ok(existsSync(victim), 'the host file is still in its folder');
  assert.is(readFileSync(victim, 'utf8'), 'HOST FILE\n');
}

for (const universe of ['vanilla', 'container'] as const) {
  const wallTest = universe === 'container' && skip ? test.skip : test;
  const timeout = universe === 'container' ? 120_000 : 60_000;
  const name = (what: string): string => `${universe}: ${what}`;

  wallTest(name('`..` in transfer_output_files never reaches a host file: held 12/EPERM'), async () => {
    lw.file('job.sh', '#!/bin/sh\ntrue\n', true);
    lw.file('j.sub', submitIn(universe, 'transfer_output_files = ../dir/result.txt'));
    const r = await lw.submit(['j.sub', '--local'], timeout);
    assert.is(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /a name with `\.\.`: a local run transfers only files inside the sandbox/);
    assert.match(r.stdout, held(12, 1));
    victimIntact();
    assert.not.ok(existsSync(join(lw.root, 'result.txt')));
  });

  wallTest(name('an absolute name in transfer_output_files is refused: held 12/EPERM'), async () => {
    lw.file('job.sh', '#!/bin/sh\ntrue\n', true);
    lw.file('j.sub', submitIn(universe, `transfer_output_files = ${victim}`));
    const r = await lw.submit(['j.sub', '--local'], timeout);
    assert.is(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /an absolute name/);
    assert.match(r.stdout, held(12, 1));
    victimIntact();
    assert.not.ok(existsSync(join(lw.root, 'result.txt')));
  });

  wallTest(
    name('`ln -s /host/dir outdir` with transfer_output_files = outdir/result.txt: held, host file stays'),
    async () => {
      lw.file('job.sh', `#!/bin/sh\nln -s ${join(host, 'dir')} outdir\n`, true);
      lw.file('j.sub', submitIn(universe, 'transfer_output_files = outdir/result.txt'));
      const r = await lw.submit(['j.sub', '--local'], timeout);
      assert.is(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stdout, /outside the sandbox/);
      assert.match(r.stdout, held(12, 1));
      victimIntact();
      assert.not.ok(existsSync(join(lw.root, 'result.txt')));
    },
  );

  wallTest(
    name('a symlink to a folder named as an output is held as HTCondor holds it; no link comes back'),
    async () => {
      lw.file('job.sh', `#!/bin/sh\nln -s ${join(host, 'dir')} outdir\n`, true);
      lw.file('j.sub', submitIn(universe, 'transfer_output_files = outdir'));
      const r = await lw.submit(['j.sub', '--local'], timeout);
      assert.is(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stdout, /Transfer of symlinks to directories is not supported\./);
      assert.match(r.stdout, held(12, 21));
      assert.not.ok(isLink(join(lw.root, 'outdir')));
      assert.not.ok(existsSync(join(lw.root, 'outdir')));
      victimIntact();
    },
  );

  wallTest(
    name('without transfer_output_files, a link to a host file is not followed and never comes back'),
    async () => {
      lw.file('job.sh', `#!/bin/sh\nln -s ${victim} leak.txt\necho ok > made.txt\n`, true);
      lw.file('j.sub', submitIn(universe, ''));
      const r = await lw.submit(['j.sub', '--local'], timeout);
      assert.is(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stdout, held(12, 1));
      assert.not.ok(isLink(join(lw.root, 'leak.txt')));
      assert.not.ok(existsSync(join(lw.root, 'leak.txt')));
      // The other outputs still come back, as HTCondor goes on after the first failure.
      assert.is(lw.read('made.txt'), 'ok\n');
      victimIntact();
    },
  );

  wallTest(name('a link inside the sandbox brings back its target’s bytes, as a file, never the link'), async () => {
    lw.file(
      'job.sh',
      '#!/bin/sh\necho hi > real.txt\nln -s real.txt link.txt\nmkdir d\nln -s ../real.txt d/l.txt\n',
      true,
    );
    lw.file('j.sub', submitIn(universe, 'transfer_output_files = link.txt, d'));
    const r = await lw.submit(['j.sub', '--local'], timeout);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.not.ok(isLink(join(lw.root, 'link.txt')));
    assert.is(lw.read('link.txt'), 'hi\n');
    assert.not.ok(isLink(join(lw.root, 'd', 'l.txt')));
    assert.is(lw.read('d/l.txt'), 'hi\n');
  });

  wallTest(
    name('a symlinked input folder: `linkdir/` brings its contents (issue 25), `linkdir` is held 13/EISDIR'),
    async () => {
      mkdirSync(join(lw.root, 'real'));
      lw.file('real/a.txt', 'A\n');
      symlinkSync('real', join(lw.root, 'linkdir'));
      lw.file('job.sh', '#!/bin/sh\ncat a.txt > got.txt\n', true);
      lw.file('j.sub', submitIn(universe, 'transfer_input_files = linkdir/\ntransfer_output_files = got.txt'));
      const r = await lw.submit(['j.sub', '--local'], timeout);
      assert.is(r.code, 0, r.stdout + r.stderr);
      assert.is(lw.read('got.txt'), 'A\n');
      lw.file('j2.sub', submitIn(universe, 'transfer_input_files = linkdir\ntransfer_output_files = ""'));
      const second = await lw.submit(['j2.sub', '--local'], timeout);
      assert.is(second.code, 2, second.stdout + second.stderr);
      assert.match(second.stdout, /Transfer of symlinks to directories is not supported\./);
      assert.match(second.stdout, held(13, 21));
    },
  );

  wallTest(name('inside a named input folder, a link leading out of it is not read: held 13/EPERM'), async () => {
    mkdirSync(join(lw.root, 'data'));
    lw.file('data/a.txt', 'A\n');
    symlinkSync('a.txt', join(lw.root, 'data', 'inside.txt'));
    symlinkSync(victim, join(lw.root, 'data', 'outside.txt'));
    lw.file('job.sh', '#!/bin/sh\ncat data/outside.txt > got.txt\n', true);
    lw.file('j.sub', submitIn(universe, 'transfer_input_files = data\ntransfer_output_files = got.txt'));
    const r = await lw.submit(['j.sub', '--local'], timeout);
    assert.is(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /outside the folder named/);
    assert.match(r.stdout, held(13, 1));
    assert.not.ok(existsSync(join(lw.root, 'got.txt')));
  });
}

test('a link deep inside a named output folder that leads out of the sandbox holds the proc; the folder does not come back half', async () => {
  lw.file('job.sh', `#!/bin/sh\nmkdir -p out/deep\necho ok > out/ok.txt\nln -s ${victim} out/deep/leak.txt\n`, true);
  lw.file('j.sub', vanillaSubmit('transfer_output_files = out'));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /a symlink to \S+result\.txt, outside the sandbox/);
  assert.match(r.stdout, held(12, 1));
  assert.not.ok(existsSync(join(lw.root, 'out')), 'an entry refused is not written at all');
  victimIntact();
});

test('a link to nothing is no file: skipped inside a named folder and among new files, as HTCondor skips it; named itself, a missing output (12/2)', async () => {
  lw.file(
    'job.sh',
    '#!/bin/sh\nmkdir -p out\necho ok > out/result.txt\nln -s /nonexistent/x out/latest\nln -s /nonexistent/y latest\necho t > top.txt\n',
    true,
  );
  lw.file('j.sub', vanillaSubmit('transfer_output_files = out'));
  const named = await lw.submit(['j.sub', '--local']);
  assert.is(named.code, 0, named.stdout + named.stderr);
  assert.is(lw.read('out/result.txt'), 'ok\n');
  assert.not.ok(existsSync(join(lw.root, 'out', 'latest')));
  // Every new file (the list unset): the dangling top-level link is left out.
  lw.file(
    'j.sub',
    vanillaSubmit('').replace(
      'should_transfer_files = YES',
      'should_transfer_files = YES\nwhen_to_transfer_output = ON_EXIT',
    ),
  );
  const scanned = await lw.submit(['j.sub', '--local']);
  assert.is(scanned.code, 0, scanned.stdout + scanned.stderr);
  assert.is(lw.read('top.txt'), 't\n');
  // On the way in too: a folder of inputs with a link to nothing in it.
  mkdirSync(join(lw.root, 'data'));
  lw.file('data/a.txt', 'A');
  symlinkSync('/nonexistent/z', join(lw.root, 'data', 'gone'));
  lw.file('job.sh', '#!/bin/sh\ncat data/a.txt > got.txt\n', true);
  lw.file('j.sub', vanillaSubmit('transfer_input_files = data\ntransfer_output_files = got.txt'));
  const inputs = await lw.submit(['j.sub', '--local']);
  assert.is(inputs.code, 0, inputs.stdout + inputs.stderr);
  assert.is(lw.read('got.txt'), 'A');
  // Named itself: it is a missing output, as on a pool.
  lw.file('job.sh', '#!/bin/sh\nln -s /nonexistent/y latest\n', true);
  lw.file('j.sub', vanillaSubmit('transfer_output_files = latest'));
  const missingOne = await lw.submit(['j.sub', '--local']);
  assert.is(missingOne.code, 2, missingOne.stdout + missingOne.stderr);
  assert.match(missingOne.stdout, held(12, 2));
});

test("a job-made link at the output file's name is not written through: held as an output that cannot be opened (7)", async () => {
  await jobLeavesLink(victim, 'next.out');
  lw.file('job.sh', '#!/bin/sh\necho overwritten\n', true);
  lw.file('j.sub', vanillaSubmit('transfer_output_files = ""').replace(/^output = .*$/m, 'output = next.out'));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /\(code 7, subcode 40\)/);
  victimIntact();
});

test("transfer_output_files = . brings the sandbox's contents into initialdir, as ./ does; sub/. is sub: nothing beside initialdir", async () => {
  lw.file('job.sh', '#!/bin/sh\nmkdir -p sub && echo a > a.txt && echo b > sub/b.txt\n', true);
  lw.file('j.sub', vanillaSubmit('transfer_output_files = ., sub/.'));
  const before = readdirSync(dirname(lw.root)).sort();
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(readFileSync(join(lw.root, 'a.txt'), 'utf8'), 'a\n');
  assert.is(readFileSync(join(lw.root, 'sub', 'b.txt'), 'utf8'), 'b\n');
  assert.equal(readdirSync(dirname(lw.root)).sort(), before, 'nothing written beside initialdir');
});

test("a job-made link at the output file's folder is not written through either: held 7 (EPERM)", async () => {
  await jobLeavesLink(join(host, 'dir'), 'logs');
  lw.file('job.sh', '#!/bin/sh\necho overwritten\n', true);
  lw.file('j.sub', vanillaSubmit('transfer_output_files = ""').replace(/^output = .*$/m, 'output = logs/result.txt'));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /\(code 7, subcode 1\)/);
  assert.match(r.stdout, /is a symlink leading out of/);
  victimIntact();
});

test("a job-made link at the event log's folder is not appended through either: nothing lands in the folder it names", async () => {
  await jobLeavesLink(join(host, 'dir'), 'logs');
  lw.file('job.sh', '#!/bin/sh\ntrue\n', true);
  lw.file('j.sub', vanillaSubmit('').replace(/^log = .*$/m, 'log = logs/job.log'));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is.not(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /is a symlink leading out of/);
  assert.not.ok(existsSync(join(host, 'dir', 'job.log')), 'no event log written through the link');
  victimIntact();
});

test("a job-made link at the event log's name is not appended through: the host file stays as it was", async () => {
  await jobLeavesLink(victim, 'shared.log');
  lw.file('job.sh', '#!/bin/sh\ntrue\n', true);
  lw.file('j.sub', vanillaSubmit('').replace(/^log = .*$/m, 'log = shared.log'));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is.not(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /the event log .*shared\.log is a symbolic link/);
  victimIntact();
});

test('initialdir named by a link to it: a remap by its real path through a job-made link is still held (12/EPERM)', async () => {
  await jobLeavesLink(join(host, 'dir'), 'results');
  const alias = join(host, 'alias');
  symlinkSync(lw.root, alias);
  lw.file('job.sh', '#!/bin/sh\necho overwritten > result.txt\n', true);
  lw.file(
    'j.sub',
    vanillaSubmit(
      `initialdir = ${alias}\ntransfer_output_files = result.txt\ntransfer_output_remaps = "result.txt = ${join(lw.root, 'results', 'result.txt')}"`,
    ).replace('executable = job.sh', `executable = ${join(lw.root, 'job.sh')}`),
  );
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, held(12, 1));
  assert.match(r.stdout, /is a symlink leading out of/);
  victimIntact();
});

test('a remap through a symlink a job made in initialdir writes nothing through it; an absolute remap still works', async () => {
  // should_transfer_files = NO runs the job in initialdir, where it can leave a link.
  await jobLeavesLink(join(host, 'dir'), 'outlink');
  assert.ok(isLink(join(lw.root, 'outlink')));
  mkdirSync(join(host, 'allowed'));
  lw.file('job.sh', '#!/bin/sh\necho r > r.txt\necho s > s.txt\n', true);
  lw.file(
    'j.sub',
    vanillaSubmit(
      `transfer_output_files = r.txt, s.txt\ntransfer_output_remaps = "r.txt = outlink/sub/r.txt; s.txt = ${join(host, 'allowed', 's.txt')}"`,
    ),
  );
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /Transfer output files failure at access point \S+ while receiving files from execution point/,
  );
  assert.match(r.stdout, /outlink is a symlink leading out of/);
  assert.match(r.stdout, held(12, 1));
  assert.not.ok(existsSync(join(host, 'dir', 'sub')), 'no folder was made through the link');
  assert.is(readFileSync(join(host, 'allowed', 's.txt'), 'utf8'), 's\n');
  victimIntact();
});

test('transfer_checkpoint_files naming a link out of the sandbox holds the proc at the checkpoint, as the starter does (36/-1)', async () => {
  lw.file('job.sh', `#!/bin/sh\nln -sf ${victim} ckpt.txt\nexit 85\n`, true);
  lw.file('j.sub', vanillaSubmit('checkpoint_exit_code = 85\ntransfer_checkpoint_files = ckpt.txt'));
  const r = await lw.submit(['j.sub', '--local']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, held(36, -1));
  assert.match(r.stdout, /Starter failed to upload checkpoint\. Details: /);
  assert.match(r.stdout, /checkpoint upload/);
  victimIntact();
});

test.run();
