// pixi condor init [--task NAME] [--input PATH]... [--output PATH]... [--dry-run] [--json]: add to
// an existing pixi workspace what it lacks to run one of its own tasks on HTCondor in a container
// (Dockerfile, submit file, job wrapper, .dockerignore, [tool.pixi-condor]); never overwrite.
import { booleanOption, parseOrHelp, stringOption, type CommandSpec } from './lib/cli.ts';
import { runMain } from './lib/main.ts';

const spec: CommandSpec = {
  usage: 'pixi run init [--task NAME] [--environment NAME] [--input PATH]... [--output PATH]... [--dry-run] [--json]',
  summary:
    'Add what this pixi workspace (pixi.toml, or pyproject.toml with [tool.pixi]) lacks to run one of its own tasks on an ' +
    "HTCondor GPU in a container: the two-stage Dockerfile (the environment's CUDA from the manifest), a submit file " +
    'running the task, the job wrapper, .dockerignore and [tool.pixi-condor] (repository from the git remote). ' +
    'A file that exists is never overwritten, so a second run changes nothing.',
  options: {
    task: {
      type: 'string',
      value: 'NAME',
      description: 'the pixi task the job runs (needed when the workspace has several)',
    },
    environment: {
      type: 'string',
      value: 'NAME',
      description: "the environment the image ships (default: 'default', or the first that has the task)",
    },
    input: {
      type: 'string',
      multiple: true,
      value: 'PATH',
      description: "a file or folder the job needs (repeatable; default: the files the task's command names)",
    },
    output: {
      type: 'string',
      multiple: true,
      value: 'PATH',
      description: "a file the job makes and brings back (repeatable; default: the task's outputs)",
    },
    'submit-file': { type: 'string', value: 'PATH', description: 'name of the submit file to add (default: TASK.sub)' },
    'dry-run': { type: 'boolean', description: 'show the files that would be added, write nothing' },
    json: { type: 'boolean', description: 'print {task, environment, files: [{path, action}], notes, next} as JSON' },
  },
  epilog: 'Then: `pixi condor validate`, `pixi condor build-image`, `pixi condor submit --local --allow-cpu`.',
  exitCodes: [
    ['0', 'the workspace has every file (added now, or already there)'],
    ['1', 'a file could not be written (nothing half-written)'],
    ['2', 'usage error, no workspace, or no such task or environment'],
  ],
  docs: 'docs/extension.md',
};

void runMain(async (args) => {
  const parsed = parseOrHelp(spec, args);
  if (!parsed) return 0;
  const [{ findWorkspaceRoot }, { readWorkspaceFacts }, { planInit }, { applyPlan }, report] = await Promise.all([
    import('./lib/workspace.ts'),
    import('./lib/init/workspace-facts.ts'),
    import('./lib/init/plan.ts'),
    import('./lib/init/apply.ts'),
    import('./lib/init/report.ts'),
  ]);
  const root = findWorkspaceRoot();
  const facts = await readWorkspaceFacts(root, {
    task: stringOption(parsed, 'task'),
    environment: stringOption(parsed, 'environment'),
  });
  const list = (name: string) => (parsed.values[name] as string[] | undefined) ?? [];
  const plan = await planInit(facts, {
    inputs: list('input'),
    outputs: list('output'),
    submitFile: stringOption(parsed, 'submit-file'),
  });
  const dryRun = booleanOption(parsed, 'dry-run');
  if (!dryRun) await applyPlan(root, plan, facts.manifestText);
  process.stdout.write(
    booleanOption(parsed, 'json') ? report.reportInitJson(plan, { dryRun }) : report.reportInitHuman(plan, { dryRun }),
  );
  return 0;
});
