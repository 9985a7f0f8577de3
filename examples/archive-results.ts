// An example of a task of your own (README, "A task of your own"): copy it to
// scripts/archive-results.ts, add the task to pixi.toml, and `pixi run archive-results 4242`
// packs results/4242/ into results-4242.tar.gz. Tools run through the project's gateway, with
// zx's `$`: each `${value}` reaches the tool as one argument, whatever it holds; --dry-run
// prints the command instead of running it. test/lib/example-task.test.ts runs this file.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { booleanOption, parseOrHelp, type CommandSpec } from './lib/cli.ts';
import { UsageError, UserError } from './lib/errors.ts';
import { runMain } from './lib/main.ts';
import { Shell } from './lib/shell.ts';
import { findWorkspaceRoot } from './lib/workspace.ts';

const spec: CommandSpec = {
  usage: 'pixi run archive-results CLUSTER [--dry-run]',
  summary: "Pack a job's results/<CLUSTER>/ folder into results-<CLUSTER>.tar.gz.",
  options: { 'dry-run': { type: 'boolean', description: 'print the tar command; write nothing' } },
  positionals: { names: 'CLUSTER', max: 1 },
  exitCodes: [
    ['0', 'the archive was written (or, with --dry-run, would be)'],
    ['1', 'no results folder for that job, or tar failed'],
    ['2', 'usage error'],
  ],
  docs: 'README.md (A task of your own)',
};

void runMain(async (args) => {
  const parsed = parseOrHelp(spec, args);
  if (!parsed) return 0;
  const cluster = parsed.positionals[0];
  if (!cluster) throw new UsageError('which job? give its cluster id, e.g. `pixi run archive-results 4242`');
  const root = findWorkspaceRoot();
  const folder = join('results', cluster);
  if (!existsSync(join(root, folder)))
    throw new UserError(`no ${folder}/ in ${root}`, { hint: '`pixi run results` lists the jobs and their outputs' });
  const archive = `results-${cluster}.tar.gz`;
  const shell = new Shell({ dryRun: booleanOption(parsed, 'dry-run') });
  // Read-only, so it runs under --dry-run too: the size the archive will hold.
  const du = await shell.$({ readOnly: true, cwd: root })`du -sh ${folder}`;
  process.stdout.write(`${folder}: ${du.stdout.split('\t')[0]}\n`);
  // Changes something: under --dry-run, printed instead ("would run: tar -czf …").
  const tar = await shell.$({ cwd: root })`tar -czf ${archive} ${folder}`;
  process.stdout.write(tar.skipped ? 'dry run: nothing was written\n' : `wrote ${archive}\n`);
  return 0;
});
