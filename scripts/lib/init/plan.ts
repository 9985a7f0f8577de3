// What `pixi condor init` would do in a workspace: for each file it knows, add it (when the
// workspace lacks it) or keep the workspace's own; for the manifest, append [tool.pixi-condor]
// unless the table is there. Nothing is ever overwritten, so a second run plans nothing.
import { existsSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, normalize } from 'node:path';
import { UsageError } from '../errors.ts';
import { within } from '../path-within.ts';
import { githubRepoFromRemote, originUrl } from '../git.ts';
import {
  renderDockerfile,
  renderDockerignore,
  renderSubmitFile,
  renderToolTable,
  renderWrapper,
  WRAPPER,
} from './render.ts';
import type { WorkspaceFacts } from './workspace-facts.ts';

export type InitAction = 'add' | 'append' | 'keep';

export interface InitFile {
  /** Relative to the workspace root. */
  path: string;
  action: InitAction;
  /** What the file is for, one line. */
  purpose: string;
  /** The whole file to add, or the text to append; null when kept. */
  text: string | null;
  executable: boolean;
}

export interface InitPlan {
  task: string;
  environment: string;
  cuda: string | null;
  manifestFile: string;
  repository: string;
  submitFile: string;
  inputs: string[];
  outputs: string[];
  files: InitFile[];
  /** Things the user has to do that init cannot (a missing lock, a folder that is not a file). */
  notes: string[];
}

export interface PlanOptions {
  inputs?: string[] | undefined;
  outputs?: string[] | undefined;
  submitFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** A path a submit file can list: relative, inside the workspace, no comma or space (condor_submit splits on them). */
function checkTransferPath(path: string, flag: string): string {
  const clean = normalize(path).replace(/\/$/, '');
  if (isAbsolute(clean) || clean === '..' || clean.startsWith('../') || /[,\s]/.test(clean) || clean === '.') {
    throw new UsageError(
      `--${flag} '${path}' is not a path inside the workspace`,
      'give a relative path without commas or spaces (condor_submit splits the list on them)',
    );
  }
  return clean;
}

/** The files the task's command names that exist in the workspace: what the job needs sent along. */
function inputsFromCommand(root: string, cmd: string | null, manifestFile: string): string[] {
  if (!cmd) return [];
  const found: string[] = [];
  for (const word of cmd.split(/[\s;|&<>()]+/)) {
    const token = word.replace(/^['"]|['"]$/g, '').replace(/^--?[A-Za-z0-9-]+=/, '');
    if (!token || token.startsWith('-') || token.includes('$') || token.includes('{')) continue;
    if (isAbsolute(token) || /[,\s]/.test(token)) continue;
    const path = normalize(token).replace(/\/$/, '');
    // Out of the workspace (`..`, `../x`, `a/../../x`); `..data` is a name in it.
    if (!within(root, join(root, path))) continue;
    if (path === '.' || path === manifestFile || path === 'pixi.lock' || found.includes(path)) continue;
    if (existsSync(join(root, path))) found.push(path);
  }
  return found;
}

/** ghcr.io/<owner>/<repo> from the GitHub remote; else `{owner}` (build-image fills it) and the workspace's name. */
async function imageRepository(facts: WorkspaceFacts, env: NodeJS.ProcessEnv): Promise<string> {
  const github = githubRepoFromRemote(await originUrl(facts.root).catch(() => null));
  if (github) return `ghcr.io/${github.owner}/${github.name}`.toLowerCase();
  const name = (facts.name ?? basename(facts.root)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  const owner = env.GITHUB_REPOSITORY_OWNER?.toLowerCase();
  return `ghcr.io/${owner && /^[a-z0-9-]+$/.test(owner) ? owner : '{owner}'}/${name || 'pixi-condor'}`;
}

function fileEntry(
  root: string,
  path: string,
  purpose: string,
  render: () => string,
  executable = false,
): { file: InitFile; note?: string } {
  const absolute = join(root, path);
  if (existsSync(absolute)) {
    const note = statSync(absolute).isFile() ? undefined : `${path} exists and is not a file: init left it alone`;
    return { file: { path, action: 'keep', purpose, text: null, executable }, ...(note ? { note } : {}) };
  }
  return { file: { path, action: 'add', purpose, text: render(), executable } };
}

export async function planInit(facts: WorkspaceFacts, options: PlanOptions = {}): Promise<InitPlan> {
  const { root, task } = facts;
  const inputs = options.inputs?.length
    ? options.inputs.map((p) => checkTransferPath(p, 'input'))
    : inputsFromCommand(root, task.cmd, facts.manifestFile);
  const outputs = options.outputs?.length ? options.outputs.map((p) => checkTransferPath(p, 'output')) : task.outputs;
  const submitFile =
    options.submitFile !== undefined
      ? checkTransferPath(options.submitFile, 'submit-file')
      : facts.hasToolTable
        ? facts.config.submitFile
        : `${task.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.sub`;
  const repository = facts.hasToolTable
    ? facts.config.repository
    : await imageRepository(facts, options.env ?? process.env);
  const cuda = facts.cuda ? `CUDA ${facts.cuda}` : 'no CUDA declared';
  const entries = [
    fileEntry(
      root,
      facts.config.dockerfile,
      `the two-stage image of environment '${facts.environment}' (${cuda})`,
      () => renderDockerfile(facts),
    ),
    fileEntry(root, '.dockerignore', `only ${facts.manifestFile} and pixi.lock go into the build context`, () =>
      renderDockerignore(facts),
    ),
    fileEntry(root, submitFile, `runs \`pixi run ${task.name}\` in the image on one GPU`, () =>
      renderSubmitFile({ ...facts, config: { ...facts.config, repository } }, { inputs, outputs }),
    ),
    fileEntry(
      root,
      WRAPPER,
      "the job's wrapper: the sandbox becomes the workspace, the task runs",
      () => renderWrapper(facts),
      true,
    ),
  ];
  const files = entries.map((e) => e.file);
  const notes = entries.flatMap((e) => (e.note ? [e.note] : []));
  files.push(
    facts.hasToolTable
      ? {
          path: facts.manifestFile,
          action: 'keep',
          purpose: '[tool.pixi-condor] is there already',
          text: null,
          executable: false,
        }
      : {
          path: facts.manifestFile,
          action: 'append',
          purpose: `[tool.pixi-condor]: repository ${repository}, submit-file ${submitFile}`,
          text: renderToolTable(facts, repository, submitFile),
          executable: false,
        },
  );
  if (!facts.hasLock) notes.push('pixi.lock is missing: run `pixi lock` (the image installs exactly the lock)');
  if (repository.includes('{owner}'))
    notes.push('no GitHub remote: build-image fills {owner} from $GITHUB_REPOSITORY_OWNER, or edit repository');
  return {
    task: task.name,
    environment: facts.environment,
    cuda: facts.cuda,
    manifestFile: facts.manifestFile,
    repository,
    submitFile,
    inputs,
    outputs,
    files,
    notes,
  };
}
