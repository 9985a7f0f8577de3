// Before a long build: is pixi.lock still in step with pixi.toml? validate's `lock/*` rules
// answer that in a second; `pixi install --locked` in the build would refuse a stale lock too,
// but only minutes later and deep in the engine's log. Other findings are validate's to report.
import { UserError } from '../errors.ts';

export async function checkLock(root: string, note: (line: string) => void): Promise<void> {
  let validate: typeof import('../validate/index.ts');
  try {
    validate = await import('../validate/index.ts');
  } catch (error) {
    // Only while the validate module is incomplete in this tree; the build's --locked still guards.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    note(`note: lock check skipped (validate module unavailable: ${(error as Error).message.split('\n')[0]})`);
    return;
  }
  const report = await validate.validateWorkspace({ root });
  const stale = report.errors.find((finding) => finding.rule.startsWith('lock/'));
  if (stale) {
    throw new UserError(`pixi.lock is out of date: ${stale.message}`, {
      file: stale.file,
      ...(stale.line > 0 ? { line: stale.line, column: stale.column } : {}),
      hint: 'run `pixi lock` (then commit pixi.lock) and build again',
    });
  }
}
