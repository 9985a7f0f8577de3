// A file submit reads that cannot be read (unreadable pixi.lock, a folder where a file should
// be) is the user's to fix, not a bug: one line naming the file and what to do, never a stack.
import { UserError } from '../errors.ts';
import { displayPath } from '../workspace.ts';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a folder in its path is a file',
  ENOENT: 'it does not exist',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
};

/** The file and the reason, for an error from node's fs (with `code` and `path`); else null. */
export function fileProblem(error: unknown, root: string): { file: string; reason: string; hint: string } | null {
  const e = error as NodeJS.ErrnoException | null;
  if (!e || typeof e.code !== 'string' || typeof e.path !== 'string' || !/^E[A-Z]+$/.test(e.code)) return null;
  const file = displayPath(root, e.path);
  const reason = REASONS[e.code] ?? e.code;
  const hint =
    e.code === 'EACCES' || e.code === 'EPERM'
      ? `make it readable (\`chmod u+r ${file}\`)`
      : e.code === 'EISDIR'
        ? `${file} must be a file: restore it (\`git checkout -- ${file}\`)`
        : `restore ${file} (\`git checkout -- ${file}\`)`;
  return { file, reason, hint };
}

/** fileProblem as a UserError (exit 2: unreadable input), or the error unchanged. */
export function asFileError(error: unknown, root: string): unknown {
  const problem = fileProblem(error, root);
  if (!problem) return error;
  return new UserError(`cannot read ${problem.file}: ${problem.reason}`, { hint: problem.hint, exitCode: 2 });
}
