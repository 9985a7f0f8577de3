// What git knows about the workspace: the commit (with a -dirty mark) and the owner of the
// GitHub remote. Every call is read-only and tolerates a folder that is not a git checkout.
import type { Shell } from './shell.ts';

export interface GitInfo {
  commit: string | null;
  dirty: boolean;
  /** `<commit>` or `<commit>-dirty`; null outside git. */
  revision: string | null;
  remoteUrl: string | null;
}

export async function gitInfo(shell: Shell, cwd: string): Promise<GitInfo> {
  // Three independent questions: ask them at once (outside git each fails harmlessly).
  const ask = (argv: string[]) => shell.run(argv, { readOnly: true, nothrow: true, cwd });
  const [head, status, remote] = await Promise.all([
    ask(['git', 'rev-parse', 'HEAD']),
    ask(['git', 'status', '--porcelain', '--untracked-files=no']),
    ask(['git', 'remote', 'get-url', 'origin']),
  ]);
  const commit = head.exitCode === 0 ? head.stdout.trim() : null;
  const dirty = commit !== null && status.exitCode === 0 && status.stdout.trim() !== '';
  return {
    commit,
    dirty,
    revision: commit ? `${commit}${dirty ? '-dirty' : ''}` : null,
    remoteUrl: remote.exitCode === 0 ? remote.stdout.trim() : null,
  };
}

/** `owner` and `name` of a GitHub remote (https, ssh or scp-like form); null for anything else. */
export function githubRepoFromRemote(url: string | null): { owner: string; name: string } | null {
  if (!url) return null;
  const match = /github\.com[/:]([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url.trim());
  return match ? { owner: match[1]!, name: match[2]! } : null;
}
