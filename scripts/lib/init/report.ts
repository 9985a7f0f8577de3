// What `pixi condor init` says: each file added, appended to or kept, notes, and the next
// command; under --dry-run the files themselves; under --json one object for machines.
import type { InitPlan } from './plan.ts';

const VERBS = { add: 'added', append: 'appended', keep: 'kept' } as const;
const DRY_VERBS = { add: 'would add', append: 'would append', keep: 'kept' } as const;

/** The step after init: check, then build and try the job here (spelled as init was invoked). */
function nextCommand(env: NodeJS.ProcessEnv = process.env): string {
  const run = env.PIXI_CONDOR_COMMAND === 'pixi condor' ? 'pixi condor' : 'pixi run';
  return `${run} validate, then ${run} build-image and ${run} submit --local --allow-cpu`;
}

export function reportInitHuman(plan: InitPlan, options: { dryRun: boolean }): string {
  const verbs = options.dryRun ? DRY_VERBS : VERBS;
  const width = Math.max(...plan.files.map((f) => f.path.length));
  const verbWidth = Math.max(...plan.files.map((f) => verbs[f.action].length));
  const lines = [
    `pixi condor init: task '${plan.task}' in environment '${plan.environment}' (${plan.cuda ? `CUDA ${plan.cuda}` : 'no CUDA declared'}), ${plan.manifestFile}`,
  ];
  for (const file of plan.files) {
    const why = file.action === 'keep' && file.path !== plan.manifestFile ? 'exists: never overwritten' : file.purpose;
    lines.push(`  ${verbs[file.action].padEnd(verbWidth)}  ${file.path.padEnd(width)}  ${why}`);
  }
  lines.push(
    `  inputs:  ${plan.inputs.length ? plan.inputs.join(', ') : `none found in the task's command (add --input PATH, or edit transfer_input_files)`}`,
    `  outputs: ${plan.outputs.length ? plan.outputs.join(', ') : 'none declared (add --output PATH, or edit transfer_output_files)'}`,
  );
  for (const note of plan.notes) lines.push(`note: ${note}`);
  if (options.dryRun) {
    for (const file of plan.files) {
      if (file.text === null) continue;
      lines.push(
        '',
        `--- ${file.path} (${file.action === 'append' ? 'appended' : 'new'}) ---`,
        file.text.replace(/\n$/, ''),
      );
    }
    lines.push('', 'dry run: nothing was written');
  } else if (plan.files.every((f) => f.action === 'keep')) {
    lines.push('nothing to add: the workspace has every file');
  }
  lines.push(`next: ${nextCommand()}`);
  return lines.join('\n') + '\n';
}

export function reportInitJson(plan: InitPlan, options: { dryRun: boolean }): string {
  return `${JSON.stringify({
    dryRun: options.dryRun,
    task: plan.task,
    environment: plan.environment,
    cuda: plan.cuda,
    manifest: plan.manifestFile,
    repository: plan.repository,
    submitFile: plan.submitFile,
    inputs: plan.inputs,
    outputs: plan.outputs,
    files: plan.files.map((f) => ({
      path: f.path,
      action: f.action,
      purpose: f.purpose,
      ...(options.dryRun && f.text !== null ? { text: f.text } : {}),
    })),
    notes: plan.notes,
    next: nextCommand(),
  })}\n`;
}
