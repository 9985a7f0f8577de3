// gitInfo: the commit and dirty mark from one `git status`, the origin URL from the config file
// (a worktree's too), and nothing at all outside git.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitInfo } from '../../scripts/lib/git.ts';
import { Shell } from '../../scripts/lib/shell.ts';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd })
    .toString()
    .trim();

test('commit, dirty mark and origin URL of a checkout and of its worktree; nulls outside git', async () => {
  const base = mkdtempSync(join(tmpdir(), 'pixi-condor-git-'));
  try {
    const repo = join(base, 'repo');
    execFileSync('mkdir', [repo]);
    git(repo, 'init', '-q');
    writeFileSync(join(repo, 'a.txt'), 'one\n');
    git(repo, 'add', 'a.txt');
    git(repo, 'commit', '-q', '-m', 'one');
    git(repo, 'remote', 'add', 'origin', 'git@github.com:alice/mnist.git');
    git(repo, 'config', 'remote.upstream.url', 'https://github.com/other/x.git');
    const head = git(repo, 'rev-parse', 'HEAD');
    const shell = new Shell();
    assert.equal(await gitInfo(shell, repo), {
      commit: head,
      dirty: false,
      revision: head,
      remoteUrl: 'git@github.com:alice/mnist.git',
    });
    writeFileSync(join(repo, 'a.txt'), 'two\n');
    writeFileSync(join(repo, 'untracked.txt'), 'not counted\n');
    assert.is((await gitInfo(shell, repo)).revision, `${head}-dirty`);

    git(repo, 'worktree', 'add', '-q', join(base, 'wt'));
    const inWorktree = await gitInfo(shell, join(base, 'wt'));
    assert.is(inWorktree.commit, head);
    assert.is(inWorktree.dirty, false);
    assert.is(inWorktree.remoteUrl, 'git@github.com:alice/mnist.git');

    const outside = join(base, 'plain');
    execFileSync('mkdir', [outside]);
    assert.equal(await gitInfo(shell, outside), { commit: null, dirty: false, revision: null, remoteUrl: null });
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();
