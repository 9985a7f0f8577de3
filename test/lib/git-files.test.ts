// headCommitFromFiles (build-image's dry run reads the commit without running git): it must name
// what `git rev-parse HEAD` names for a loose ref, a packed ref, a detached HEAD and a worktree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headCommitFromFiles } from '../../scripts/lib/git.ts';

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

test.run();
