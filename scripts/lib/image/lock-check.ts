// Before a long build: is pixi.lock still in step with pixi.toml? validate's `lock/*` rules
// answer that in a second; `pixi install --locked` in the build would refuse a stale lock too,
// but only minutes later and deep in the engine's log. Other findings are validate's to report.
// Loaded on demand: the no-op path (tag already pushed) never pays for the validator.
import { UserError } from '../errors.ts';

export async function checkLock(root: string): Promise<void> {
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
}
