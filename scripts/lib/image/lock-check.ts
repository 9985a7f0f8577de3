// Before a long build: is pixi.lock still in step with pixi.toml? validate's `lock/*` rules
// answer that in a second; `pixi install --locked` in the build would refuse a stale lock too,
// but only minutes later and deep in the engine's log. Other findings are validate's to report.
// Loaded on demand: the no-op path (tag already pushed) never pays for the validator.
import { UserError } from '../errors.ts';

/** validate's warnings for a lock that lacks an environment or platform of pixi.toml. */
const INCOMPLETE = new Set(['lock/environment-missing', 'lock/platform-missing']);

/**
 * Throw for a stale lock. Returns a warning (and its hint) when the lock is only incomplete:
 * `pixi run` completes it before the task starts, but run any other way the build's
 * `pixi install --locked`, which checks every environment and platform, refuses it.
 */
export async function checkLock(root: string): Promise<{ warning: string; hint: string } | null> {
  const { validateWorkspace } = await import('../validate/index.ts');
  const report = await validateWorkspace({ root });
  const stale = report.errors.find((finding) => finding.rule.startsWith('lock/'));
  if (stale) {
    throw new UserError(`pixi.lock is out of date: ${stale.message}`, {
      file: stale.file,
      ...(stale.line > 0 ? { line: stale.line, column: stale.column } : {}),
      hint: 'run `pixi lock` (then commit pixi.lock) and build again',
    });
  }
  const gaps = report.warnings.filter((finding) => INCOMPLETE.has(finding.rule));
  if (gaps.length === 0) return null;
  const first = gaps[0]!.message.replace(/; pixi will lock it on first run$/, '');
  return {
    warning: `pixi.lock is incomplete: ${first}${gaps.length > 1 ? ` (and ${gaps.length - 1} more environment or platform${gaps.length > 2 ? 's' : ''})` : ''}`,
    hint: 'the build\'s `pixi install --locked` refuses an incomplete lock: run `pixi lock` and commit pixi.lock',
  };
}
