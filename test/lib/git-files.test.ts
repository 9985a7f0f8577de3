// headCommitFromFiles (build-image's dry run reads the commit without running git): it must name
// what `git rev-parse HEAD` names for a loose ref, a packed ref, a detached HEAD and a worktree;
// a FIFO or an oversized file in the git directory is not waited on, nor read whole.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headCommitFromFiles, originUrl } from '../../scripts/lib/git.ts';
import { runCommand, typeScriptNodeArgs } from '../helpers/process.ts';

const dir = mkdtempSync(join(tmpdir(), 'pc-git-files-'));
const repo = join(dir, 'repo');
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd })
    .toString()
    .trim();
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('no checkout: null', async () => {
  assert.is(await headCommitFromFiles(dir), null);
});

test('a branch with a loose ref, then packed (git pack-refs), from a subfolder too', async () => {
  execFileSync('git', ['init', '-q', repo]);
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'one');
  assert.is(await headCommitFromFiles(repo), git(repo, 'rev-parse', 'HEAD'));
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'two');
  git(repo, 'pack-refs', '--all', '--prune');
  const head = git(repo, 'rev-parse', 'HEAD');
  assert.is(await headCommitFromFiles(repo), head);
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'three'); // a loose ref again, newer than the packed one
  execFileSync('mkdir', ['-p', join(repo, 'sub')]);
  assert.is(await headCommitFromFiles(join(repo, 'sub')), git(repo, 'rev-parse', 'HEAD'));
});

test('a detached HEAD and a worktree on another branch', async () => {
  const first = git(repo, 'rev-list', '--max-parents=0', 'HEAD');
  const tree = join(dir, 'tree');
  git(repo, 'worktree', 'add', '-q', '-b', 'other', tree, first);
  assert.is(await headCommitFromFiles(tree), first);
  git(tree, 'commit', '-q', '--allow-empty', '-m', 'on other');
  assert.is(await headCommitFromFiles(tree), git(tree, 'rev-parse', 'HEAD'));
  git(repo, 'checkout', '-q', '--detach', first);
  assert.is(await headCommitFromFiles(repo), first);
});

test('an unborn branch: null (gitInfo then asks git)', async () => {
  const empty = join(dir, 'empty');
  execFileSync('git', ['init', '-q', empty]);
  assert.is(await headCommitFromFiles(empty), null);
});

test('a FIFO as HEAD, packed-refs or config: no wait (null, as for any file git itself must read)', async () => {
  const odd = join(dir, 'odd');
  execFileSync('git', ['init', '-q', odd]);
  git(odd, 'commit', '-q', '--allow-empty', '-m', 'one');
  git(odd, 'pack-refs', '--all', '--prune');
  git(odd, 'remote', 'add', 'origin', 'https://github.com/o/n.git');
  assert.is(await originUrl(odd), 'https://github.com/o/n.git');
  for (const name of ['packed-refs', 'config', 'HEAD']) {
    rmSync(join(odd, '.git', name));
    execFileSync('mkfifo', [join(odd, '.git', name)]);
  }
  // In a child process: a read that blocks on a FIFO would hang this one, not fail it.
  const probe = join(dir, 'probe.ts');
  writeFileSync(
    probe,
    `import { headCommitFromFiles, originUrl } from ${JSON.stringify(join(import.meta.dirname, '../../scripts/lib/git.ts'))};\n` +
      `console.log(JSON.stringify([await headCommitFromFiles(process.argv[2]), await originUrl(process.argv[2])]));\n`,
  );
  const result = await runCommand(process.execPath, [...typeScriptNodeArgs, probe, odd], { timeoutMs: 20_000 });
  assert.not.ok(result.timedOut, 'a read waited on a FIFO in .git');
  assert.equal(JSON.parse(result.stdout), [null, null]);
});

test('a packed-refs larger than any real one is not read whole: null', async () => {
  const big = join(dir, 'big');
  execFileSync('git', ['init', '-q', big]);
  git(big, 'commit', '-q', '--allow-empty', '-m', 'one');
  git(big, 'pack-refs', '--all', '--prune');
  assert.ok(await headCommitFromFiles(big));
  truncateSync(join(big, '.git', 'packed-refs'), 64 << 20); // sparse: no disk spent
  assert.is(await headCommitFromFiles(big), null);
});

test.run();
