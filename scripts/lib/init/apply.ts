// Carry out an init plan: each added file whole or not at all and never over an existing one;
// the manifest appended to only while it is still the text the plan was made from, and only when
// the result still parses (an inline `tool = {...}` table cannot take a [tool.pixi-condor] header).
import { join } from 'node:path';
import { writeFileAtomic, writeNewFileAtomic } from '../atomic-file.ts';
import { readBoundedText } from '../bounded-read.ts';
import { UserError } from '../errors.ts';
import { MAX_MANIFEST_BYTES, parseTomlSource } from '../workspace.ts';
import type { InitFile, InitPlan } from './plan.ts';

/** The manifest with the table appended (a newline first when the file does not end in one). */
function appendedText(original: string, addition: string): string {
  return original === '' || original.endsWith('\n') ? original + addition : `${original}\n${addition}`;
}

/**
 * A manifest whose `tool` is an inline table (`tool = { ... }`): TOML forbids adding a table to
 * it later, and pixi would refuse the file (smol-toml lets it pass, so it is checked here).
 */
function inlineToolTable(text: string): boolean {
  const data = parseTomlSource(text);
  if ('problem' in data || data.data.tool === undefined) return false;
  return !/^\s*\[\s*tool\s*[.\]]/m.test(text) && !/^\s*tool\s*\./m.test(text);
}

export async function applyPlan(root: string, plan: InitPlan, manifestText: string): Promise<InitFile[]> {
  const done: InitFile[] = [];
  const append = plan.files.find((f) => f.action === 'append');
  // The manifest first: it is the one edit that can be refused, and then nothing else is written.
  if (append?.text) {
    const path = join(root, append.path);
    const now = readBoundedText(path, MAX_MANIFEST_BYTES);
    if (now !== manifestText) {
      throw new UserError(`${append.path} changed while init ran`, {
        hint: 'run `pixi condor init` again',
        exitCode: 1,
      });
    }
    if (inlineToolTable(now)) {
      throw new UserError('`tool` is an inline table there: [tool.pixi-condor] cannot be added after it', {
        file: append.path,
        hint: 'write tool as a [tool.NAME] table, or add [tool.pixi-condor] inside it (`pixi condor init --dry-run` prints it); nothing was written',
        exitCode: 1,
      });
    }
    const next = appendedText(now, append.text);
    const parsed = parseTomlSource(next);
    if ('problem' in parsed) {
      throw new UserError(`appending [tool.pixi-condor] to ${append.path} would not parse: ${parsed.problem.message}`, {
        file: append.path,
        hint: 'add the [tool.pixi-condor] table by hand (`pixi condor init --dry-run` prints it); nothing was written',
        exitCode: 1,
      });
    }
    await writeFileAtomic(path, next);
    done.push(append);
  }
  for (const file of plan.files) {
    if (file.action !== 'add' || file.text === null) continue;
    try {
      writeNewFileAtomic(join(root, file.path), file.text, file.executable ? 0o755 : 0o644);
      done.push(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      file.action = 'keep'; // made by someone else meanwhile: theirs stays
    }
  }
  return done;
}
