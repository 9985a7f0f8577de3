// What git knows about the workspace: the commit (with a -dirty mark) and the origin remote's URL.
// Every call is read-only and tolerates a folder that is not a git checkout. One `git status`
// answers both the commit and the dirty mark (porcelain v2 with --branch); the remote is read
// from the repository's config file, which spares a process on build-image's no-op path.
// The git directory's files are read bounded (bounded-read.ts): a FIFO in a checkout's .git
// never makes a dry run wait, nor a huge file hold its memory; what cannot be read so is asked
// of git itself (gitInfo) or left out (the remote).
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { BoundedReadError, readBoundedText } from './bounded-read.ts';
import type { Shell } from './shell.ts';

/** HEAD, a ref, `.git` as a file, commondir: a line each. */
const SMALL_FILE_BYTES = 64 << 10;
/** packed-refs: a repository with a few hundred thousand refs (~100 bytes a line). */
const PACKED_REFS_BYTES = 32 << 20;
/** The config file: far more than any remote section needs. */
const CONFIG_BYTES = 4 << 20;

/** A git file's text, or null when it is missing or cannot be read within `limit`. */
function readGitFile(path: string, limit = SMALL_FILE_BYTES): string | null {
  try {
    return readBoundedText(path, limit);
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    return null;
  }
}

/** `.git` in `dir`: a folder (''), a file naming the git directory (its text), or missing (null); 'unusable' otherwise. */
function readDotGit(dotGit: string): string | null | 'unusable' {
  try {
    return readBoundedText(dotGit, SMALL_FILE_BYTES);
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    if (error.isDirectory) return '';
    return error.problem === 'missing' ? null : 'unusable';
  }
}

export interface GitInfo {
  commit: string | null;
  dirty: boolean;
  /** `<commit>` or `<commit>-dirty`; null outside git. */
  revision: string | null;
  remoteUrl: string | null;
}

export async function gitInfo(shell: Shell, cwd: string): Promise<GitInfo> {
  const [status, remoteUrl] = await Promise.all([
    shell.run(['git', 'status', '--porcelain=v2', '--branch', '--untracked-files=no'], {
      readOnly: true,
      nothrow: true,
      cwd,
      direct: true,
    }),
    originUrl(cwd).catch(() => null),
  ]);
  const lines = status.exitCode === 0 ? status.stdout.split('\n').filter(Boolean) : [];
  const oid = lines.find((line) => line.startsWith('# branch.oid '))?.slice('# branch.oid '.length) ?? '';
  const commit = /^[0-9a-f]{40,64}$/.test(oid) ? oid : null;
  const dirty = commit !== null && lines.some((line) => !line.startsWith('#'));
  return { commit, dirty, revision: commit ? `${commit}${dirty ? '-dirty' : ''}` : null, remoteUrl };
}

/** The checkout's own git directory (a worktree's holds its HEAD) and the one all worktrees share, or null. */
async function gitDirs(start: string): Promise<{ own: string; common: string } | null> {
  let dir = resolve(start);
  for (;;) {
    const dotGit = join(dir, '.git');
    const pointer = readDotGit(dotGit);
    // (A FIFO or a huge file named .git: no checkout to read here, and not an outer one either.)
    if (pointer === 'unusable') return null;
    if (pointer !== null) {
      // A worktree or submodule: `.git` is a file naming the real git directory.
      const named = /^gitdir: (.+)$/m.exec(pointer)?.[1]?.trim();
      const gitDir = named ? (isAbsolute(named) ? named : resolve(dir, named)) : dotGit;
      const common = readGitFile(join(gitDir, 'commondir'))?.trim();
      return { own: gitDir, common: common ? resolve(gitDir, common) : gitDir };
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The git directory shared by all worktrees of the checkout that holds `start`, or null. */
async function commonGitDir(start: string): Promise<string | null> {
  return (await gitDirs(start))?.common ?? null;
}

/**
 * The commit HEAD names, read from the git directory's files (HEAD, the loose ref, packed-refs)
 * without running git; null when it cannot be read so (no checkout, an unborn branch, a
 * reftable repository).
 */
export async function headCommitFromFiles(cwd: string): Promise<string | null> {
  const dirs = await gitDirs(cwd);
  if (!dirs) return null;
  const head = readGitFile(join(dirs.own, 'HEAD'))?.trim() ?? '';
  const isCommit = (text: string | undefined) => (text && /^[0-9a-f]{40,64}$/.test(text) ? text : null);
  const ref = /^ref: (refs\/\S+)$/.exec(head)?.[1];
  if (!ref) return isCommit(head);
  for (const dir of [dirs.own, dirs.common]) {
    const loose = isCommit(readGitFile(join(dir, ref))?.trim());
    if (loose) return loose;
  }
  const packed = readGitFile(join(dirs.common, 'packed-refs'), PACKED_REFS_BYTES) ?? '';
  for (const line of packed.split('\n')) {
    const [commit, name] = line.trim().split(' ');
    if (name === ref) return isCommit(commit);
  }
  return null;
}

/**
 * For a dry run: the commit from the git directory's files and the origin remote, running no
 * process (a `git status` costs a third of a dry run). Whether the tree has changes is not
 * asked: `dirty` is false and the caller says so. Falls back to gitInfo where the files do not say.
 */
export async function gitInfoWithoutStatus(shell: Shell, cwd: string): Promise<GitInfo> {
  const [commit, remoteUrl] = await Promise.all([headCommitFromFiles(cwd), originUrl(cwd).catch(() => null)]);
  if (!commit) return gitInfo(shell, cwd);
  return { commit, dirty: false, revision: commit, remoteUrl };
}

/** `url` of `[remote "origin"]` in the repository's config file (the last one set wins, as in git). */
export async function originUrl(cwd: string): Promise<string | null> {
  const gitDir = await commonGitDir(cwd);
  if (!gitDir) return null;
  const config = readGitFile(join(gitDir, 'config'), CONFIG_BYTES);
  if (config === null) return null;
  let inOrigin = false;
  let url: string | null = null;
  for (const raw of config.split('\n')) {
    const line = raw.trim();
    const section = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]/.exec(line);
    if (section) {
      inOrigin = section[1]!.toLowerCase() === 'remote' && section[2] === 'origin';
      continue;
    }
    const entry = /^url\s*=\s*(.*)$/i.exec(line);
    if (inOrigin && entry) url = entry[1]!.replace(/^"(.*)"$/, '$1').trim();
  }
  return url;
}

/** `owner` and `name` of a GitHub remote (https, ssh or scp-like form); null for anything else. */
export function githubRepoFromRemote(url: string | null): { owner: string; name: string } | null {
  if (!url) return null;
  const match = /github\.com[/:]([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url.trim());
  return match ? { owner: match[1]!, name: match[2]! } : null;
}
