// What `pixi condor init` needs to know about an existing workspace, read from its manifest
// (pixi.toml, or pyproject.toml with [tool.pixi]) with the one reader every script uses: the
// environment the image ships, the CUDA it declares for linux-64, the task the job runs (with its
// command and declared outputs), and whether [tool.pixi-condor] is there already.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { IMAGE_PLATFORM, lenientConfig } from '../validate/template-checks.ts';
import { ManifestModel, type EnvironmentView, type TaskView } from '../validate/manifest-model.ts';
import { isTable } from '../validate/text.ts';
import { type Manifest, type ManifestKind, readManifest, type TemplateConfig } from '../workspace.ts';

export interface InitTask {
  name: string;
  /** The task's command as written (a list joined by spaces), or null for an alias (depends-on only). */
  cmd: string | null;
  /** Its declared `outputs` that name one path (no glob). */
  outputs: string[];
}

export interface WorkspaceFacts {
  root: string;
  /** pixi.toml or pyproject.toml. */
  manifestFile: string;
  kind: ManifestKind;
  manifestText: string;
  environment: string;
  /** The CUDA the environment declares for linux-64 (major.minor as written), or null. */
  cuda: string | null;
  task: InitTask;
  /** [tool.pixi-condor] exists already: init leaves it alone. */
  hasToolTable: boolean;
  /** [tool.pixi-condor] with its defaults (the existing table's values when there is one). */
  config: TemplateConfig;
  /** The workspace's name ([workspace] or [project] name), for the image repository. */
  name: string | null;
  hasLock: boolean;
}

export interface FactsOptions {
  task?: string | undefined;
  environment?: string | undefined;
}

export async function readWorkspaceFacts(root: string, options: FactsOptions): Promise<WorkspaceFacts> {
  const manifest = await readManifest(root);
  const model = new ManifestModel(manifest.data);
  const hasToolTable = isTable(manifest.data.tool) && isTable(manifest.data.tool['pixi-condor']);
  const config = lenientConfig(manifest.data);
  const task = chooseTask(model, manifest, options.task);
  const env = chooseEnvironment(
    model,
    manifest,
    task,
    options.environment ?? (hasToolTable ? config.environment : undefined),
  );
  const platform = model.environmentPlatforms(env).find((p) => p.subdir === IMAGE_PLATFORM);
  const cuda = model.declaredCuda(env, platform)?.value ?? null;
  const workspace = model.workspace.name;
  return {
    root,
    manifestFile: manifest.file,
    kind: manifest.kind,
    manifestText: manifest.text,
    environment: env.name,
    cuda,
    task: describeTask(task),
    hasToolTable,
    config,
    name: typeof workspace === 'string' && workspace !== '' ? workspace : null,
    hasLock: existsSync(join(root, 'pixi.lock')),
  };
}

/** The task named by --task, or the workspace's only visible task; a clear error otherwise. */
function chooseTask(model: ManifestModel, manifest: Manifest, name: string | undefined): TaskView {
  const visible = model.tasks().filter((t) => !t.name.startsWith('_'));
  const names = [...new Set(visible.map((t) => t.name))];
  const listed =
    names.length > 0
      ? `its tasks: ${names.join(', ')}`
      : `it has no tasks: add one, e.g. [tasks] train = "python train.py"`;
  if (name === undefined) {
    if (names.length === 1) return visible[0]!;
    throw new UserError(
      names.length === 0 ? `${manifest.file} defines no task for the job to run` : 'which task should the job run?',
      { hint: `pass --task NAME (${listed})`, exitCode: 2 },
    );
  }
  const found = model.tasks().find((t) => t.name === name);
  if (!found) {
    throw new UserError(`${manifest.file} has no task '${name}'`, { hint: listed, exitCode: 2 });
  }
  return found;
}

/** The environment asked for, else `default` when it has the task, else the first one that has it. */
function chooseEnvironment(
  model: ManifestModel,
  manifest: Manifest,
  task: TaskView,
  asked: string | undefined,
): EnvironmentView {
  const names = model.environments().map((e) => e.name);
  const hasTask = (env: EnvironmentView) => model.environmentFeatures(env).some((f) => f.name === task.owner);
  if (asked !== undefined) {
    const env = model.environment(asked);
    if (!env) {
      throw new UserError(`${manifest.file} has no environment '${asked}'`, {
        hint: `its environments: ${names.join(', ')}`,
        exitCode: 2,
      });
    }
    if (!hasTask(env)) {
      throw new UserError(`task '${task.name}' is not in environment '${asked}'`, {
        hint: `pass --environment with one that has it (${model
          .environments()
          .filter(hasTask)
          .map((e) => e.name)
          .join(', ')})`,
        exitCode: 2,
      });
    }
    return env;
  }
  const preferred = model.environment('default');
  if (preferred && hasTask(preferred)) return preferred;
  const any = model.environments().find(hasTask);
  if (!any) throw new UserError(`no environment of ${manifest.file} has task '${task.name}'`, { exitCode: 2 });
  return any;
}

function describeTask(task: TaskView): InitTask {
  const definition = task.definition;
  const cmdOf = (value: unknown): string | null =>
    typeof value === 'string'
      ? value
      : Array.isArray(value) && value.every((part) => typeof part === 'string')
        ? value.join(' ')
        : null;
  if (!isTable(definition)) return { name: task.name, cmd: cmdOf(definition), outputs: [] };
  const outputs = Array.isArray(definition.outputs)
    ? definition.outputs.filter((o): o is string => typeof o === 'string' && !/[*?[\]{}]/.test(o))
    : [];
  return { name: task.name, cmd: cmdOf(definition.cmd), outputs };
}
