// Before a long build: does validate pass? Above all, is pixi.lock there and still in step with
// pixi.toml? validate's `lock/*` rules answer that in a second; `pixi install --locked` in the
// build would refuse a stale lock too, but only minutes later and deep in the engine's log. Any
// other validate error (a CUDA version that disagrees between the files, …) stops the build too:
// an image submit would refuse is not worth building or pushing. Each error is listed, then one
// UserError. Loaded on demand: the no-op path (tag already pushed) never pays for the validator.
import { UserError } from '../errors.ts';

/** validate's warnings for a lock that lacks an environment or platform of pixi.toml. */
const INCOMPLETE = new Set(['lock/environment-missing', 'lock/platform-missing']);

export interface LockFreshnessOptions {
  /** false under --dry-run: validate's lock cache (.pixi-condor/validate-cache.json) is not written. */
  saveCache: boolean;
  /** Check the lock alone (validate's `lock/*` rules), not all of validate (build-image's dry run). */
  lockOnly?: boolean;
  /** Where the errors other than the lock's are listed, one line each (default: stderr). */
  err?: (line: string) => void;
}

/**
 * Throw for a missing, unreadable or stale lock. Returns a warning (and its hint) when the lock
 * is only incomplete: `pixi run` completes it before the task starts, but run any other way the
 * build's `pixi install --locked`, which checks every environment and platform, refuses it.
 */
export async function checkLockFreshness(
  root: string,
  options: LockFreshnessOptions,
): Promise<{ warning: string; hint: string } | null> {
  const { validateWorkspace } = await import('../validate/index.ts');
  const report = await validateWorkspace({ root, saveCache: options.saveCache, lockOnly: options.lockOnly ?? false });
  const problem = report.errors.find((finding) => finding.rule.startsWith('lock/'));
  if (problem?.rule === 'lock/missing') {
    throw new UserError('there is no pixi.lock: the image is built from it with `pixi install --locked`', {
      file: problem.file,
      hint: 'run `pixi lock` to write it (then commit pixi.lock) and build again',
    });
  }
  if (problem) {
    const unreadable = problem.rule === 'lock/unreadable';
    throw new UserError(`pixi.lock ${unreadable ? 'cannot be read' : 'is out of date'}: ${problem.message}`, {
      file: problem.file,
      ...(problem.line > 0 ? { line: problem.line, column: problem.column } : {}),
      hint: unreadable
        ? 'restore pixi.lock from git, or run `pixi lock` to write it again'
        : 'run `pixi lock` (then commit pixi.lock) and build again',
    });
  }
  if (report.errors.length > 0) {
    const err = options.err ?? ((line: string) => process.stderr.write(line + '\n'));
    for (const f of report.errors)
      err(`${f.file}${f.line > 0 ? `:${f.line}:${f.column}` : ''}: ${f.message} [${f.rule}]`);
    const count = report.errors.length;
    throw new UserError(`validate found ${count} error${count > 1 ? 's' : ''} (listed above); nothing was built`, {
      hint: 'fix them (`pixi run validate` shows each with its fix) and run build-image again',
    });
  }
  const gaps = report.warnings.filter((finding) => INCOMPLETE.has(finding.rule));
  if (gaps.length === 0) return null;
  const first = gaps[0]!.message.replace(/; pixi will lock it on first run$/, '');
  return {
    warning: `pixi.lock is incomplete: ${first}${gaps.length > 1 ? ` (and ${gaps.length - 1} more environment or platform${gaps.length > 2 ? 's' : ''})` : ''}`,
    hint: "the build's `pixi install --locked` refuses an incomplete lock: run `pixi lock` and commit pixi.lock",
  };
}
