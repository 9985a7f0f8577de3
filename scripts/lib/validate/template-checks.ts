// The template's own invariants across files: the image environment exists and solves for
// linux-64; one CUDA version in [system-requirements] (or the rich platform), the cuda-version
// pin, the Dockerfile's CUDA_VERSION and the submit file's driver requirement; the submit file
// asks for a GPU, a minimum capability, and transfers files that exist (or a task makes).
import { existsSync, statSync } from 'node:fs';
import { BoundedReadError, readBoundedText } from '../bounded-read.ts';
import { isAbsolute, join, normalize, posix, resolve } from 'node:path';
import { localInputs, planSubmit, type SubmitPlan } from '../submit-language/submit-plan.ts';
import { UserError } from '../errors.ts';
import { submitEnvironment, workspaceSecrets } from '../secret-mask.ts';
import { CONFIG_DEFAULTS, displayPath, MAX_TEXT_BYTES, templateConfig, type TemplateConfig } from '../workspace.ts';
import { dockerfileArgs, type DockerArg } from './dockerfile-args.ts';
import type { DockerIgnore } from '../image/dockerignore.ts';
import type { CopySource } from '../image/dockerfile.ts';
import { globRegex } from '../image/glob.ts';
import type { EnvironmentView, ManifestModel, PlatformEntry } from './manifest-model.ts';
import {
  checkGetenvSecrets,
  checkJobLength,
  imageRepository,
  locateEntry,
  readSubmitFile,
  readSubmitFileText,
  type SubmitCommands,
  type SubmitSource,
} from './submit-file.ts';
import { cudaMajorMinor, formatCuda, pinVersionText, sameCuda } from './cuda-version.ts';
import { asStringList, isTable } from './text.ts';
import { checkApptainerSubmit } from './apptainer-checks.ts';
import type { IssueList } from './types.ts';

export interface TemplateContext {
  root: string;
  model: ManifestModel;
  manifestFile: string;
  issues: IssueList;
}

const CONFIG_POINTER = '/tool/pixi-condor';
/** The conda platform the image is built for (the Dockerfile's linux/amd64). */
export const IMAGE_PLATFORM = 'linux-64';

/** [tool.pixi-condor] with defaults; values of the wrong type (the schema reports them) fall back to defaults. */
export function lenientConfig(data: Record<string, unknown>): TemplateConfig {
  try {
    return templateConfig(data);
  } catch {
    return { ...CONFIG_DEFAULTS, buildArgs: {} };
  }
}

/**
 * The files the manifest names that pixi opens when it loads it: a `readme` or `license-file`
 * that is not a file makes pixi refuse the manifest (pixi_manifest toml/workspace.rs,
 * check_file_existence), here, and in the image build unless the Dockerfile copies it there too.
 */
async function checkWorkspaceFiles(
  context: TemplateContext,
  dockerfile: string | null,
  dockerfileName: string,
): Promise<void> {
  const { model, manifestFile, issues, root } = context;
  if (!model.workspaceKey) return;
  let image: Promise<ImageContext> | undefined;
  for (const key of ['readme', 'license-file']) {
    const value = model.workspace[key];
    if (typeof value !== 'string') continue;
    const pointer = `/${model.workspaceKey}/${key}`;
    if (!isFile(resolve(root, value))) {
      issues.error({
        file: manifestFile,
        pointer,
        rule: 'manifest/missing-file',
        message: `${key} '${value}' does not exist: pixi refuses the manifest`,
        hint: `add ${value}, or remove ${key}`,
      });
      continue;
    }
    if (dockerfile === null) continue; // its absence is reported on its own
    image ??= imageContext(root, dockerfile, dockerfileName);
    if (!copiedBesideManifest(await image, posix.basename(manifestFile), value))
      issues.warning({
        file: manifestFile,
        pointer,
        rule: 'template/file-not-in-image',
        message: `${key} '${value}' is not copied into the image beside pixi.toml: pixi in the image build refuses the manifest without it (\`pixi run build-image\` fails)`,
        hint: `COPY ${value} beside pixi.toml in the Dockerfile and let it through .dockerignore, or remove ${key}`,
      });
  }
}

/**
 * Where a COPY/ADD puts the context file `file` (relative to the context), or null when it does
 * not copy it: a source that is the file (into a folder destination, or renamed to it), a folder
 * above it (`.` too: its contents go into the destination) or a glob matching it.
 */
function landingPlace(copy: CopySource, source: string, file: string): string | null {
  const src = posix.normalize(source).replace(/^\/+/, '').replace(/\/+$/, '');
  if (src === file) return copy.intoFolder ? posix.join(copy.destination, posix.basename(file)) : copy.destination;
  if (src === '.' || src === '') return posix.join(copy.destination, file);
  if (file.startsWith(`${src}/`)) return posix.join(copy.destination, file.slice(src.length + 1));
  if (/[*?[]/.test(src) && globRegex(src, { doubleStar: false }).test(file))
    return posix.join(copy.destination, posix.basename(file));
  return null;
}

/** What the image build takes from the context: the Dockerfile's copies (null: it cannot be read) and .dockerignore. */
interface ImageContext {
  copies: CopySource[] | null;
  ignore: DockerIgnore | null;
}

/**
 * Read once per run, for every file that must reach the image; build-image's readers are loaded
 * only then (a manifest without readme or license-file, the template's, never asks).
 */
async function imageContext(root: string, dockerfile: string, dockerfileName: string): Promise<ImageContext> {
  const [{ readDockerfile }, { loadDockerignore }] = await Promise.all([
    import('../image/dockerfile.ts'),
    import('../image/dockerignore.ts'),
  ]);
  let copies: CopySource[] | null = null;
  try {
    copies = readDockerfile(dockerfile, dockerfileName).copies;
  } catch {
    // a Dockerfile build-image cannot read is its own finding
  }
  // Another ignore file than .dockerignore: build-image refuses it, saying why.
  const ignore = await loadDockerignore(root, dockerfileName).catch(() => null);
  return { copies, ignore };
}

/**
 * Does some stage of the Dockerfile copy `path` (relative to the manifest, at the context's root)
 * from the build context to where pixi will look for it: beside the manifest as that stage copies
 * it? A file .dockerignore keeps out of the context is copied by nothing.
 */
function copiedBesideManifest(image: ImageContext, manifest: string, path: string): boolean {
  const file = posix.normalize(path.replaceAll('\\', '/'));
  if (file.startsWith('../') || posix.isAbsolute(file)) return false; // outside the build context
  const { copies, ignore } = image;
  if (copies === null) return true;
  if (ignore?.ignores(file)) return false;
  const placesOf = (wanted: string) =>
    copies.flatMap((copy) =>
      copy.sources.flatMap((source) => {
        const place = landingPlace(copy, source, wanted);
        return place === null ? [] : [{ stage: copy.stage, place }];
      }),
    );
  const filePlaces = placesOf(file);
  return placesOf(manifest).some(({ stage, place }) =>
    filePlaces.some((f) => f.stage === stage && f.place === posix.join(posix.dirname(place), file)),
  );
}

/** A regular file there (a stat that fails, ENOTDIR or EACCES too, is none). */
function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export async function checkTemplate(context: TemplateContext): Promise<void> {
  const { model, manifestFile, issues } = context;
  const config = lenientConfig(model.data);
  const env = model.environment(config.environment);
  const envPointer = isTable(model.data.tool) ? `${CONFIG_POINTER}/environment` : '';
  let platform: PlatformEntry | undefined;
  if (!env) {
    issues.error({
      file: manifestFile,
      pointer: envPointer,
      rule: 'template/environment-missing',
      message: `the image environment '${config.environment}' is not defined in [environments]`,
      hint: `set [tool.pixi-condor] environment to one of: ${model
        .environments()
        .map((e) => e.name)
        .join(', ')}`,
    });
  } else {
    platform = model.environmentPlatforms(env).find((p) => p.subdir === IMAGE_PLATFORM);
    if (!platform) {
      issues.error({
        file: manifestFile,
        pointer: model.workspaceKey ? `/${model.workspaceKey}/platforms` : '',
        rule: 'template/image-platform',
        message: `the image environment '${env.name}' is not solved for ${IMAGE_PLATFORM}, the platform the image is built for`,
        hint: `add "${IMAGE_PLATFORM}" to [workspace] platforms (and to the platforms of every feature of '${env.name}' that lists its own)`,
      });
    }
  }

  const dockerfileRead = readDockerfile(resolve(context.root, config.dockerfile));
  const dockerfile = 'text' in dockerfileRead ? dockerfileRead.text : null;
  const dockerfileName = displayPath(context.root, resolve(context.root, config.dockerfile));
  if ('problem' in dockerfileRead) {
    issues.error({
      file: manifestFile,
      pointer: `${CONFIG_POINTER}/dockerfile`,
      rule: 'template/dockerfile-missing',
      message: `the Dockerfile '${config.dockerfile}' ${dockerfileRead.problem}`,
      hint: 'restore it from the template, or point [tool.pixi-condor] dockerfile at yours',
    });
  }
  await checkWorkspaceFiles(context, dockerfile, config.dockerfile);
  // Bounded like the submit reader: a FIFO, device or huge file is refused, never read (sublang).
  const submitRead = readSubmitFileText(resolve(context.root, config.submitFile));
  const submitText = 'text' in submitRead ? submitRead.text : null;
  const submitName = displayPath(context.root, resolve(context.root, config.submitFile));
  if ('problem' in submitRead) {
    issues.error({
      file: manifestFile,
      pointer: `${CONFIG_POINTER}/submit-file`,
      rule: 'template/submit-file-missing',
      message: `the submit file '${config.submitFile}' ${submitRead.problem}`,
      hint: 'point [tool.pixi-condor] submit-file at a submit file',
    });
  } else if (submitText === null) {
    issues.error({
      file: manifestFile,
      pointer: `${CONFIG_POINTER}/submit-file`,
      rule: 'template/submit-file-missing',
      message: `the submit file '${config.submitFile}' does not exist`,
      hint: 'restore it from the template, or point [tool.pixi-condor] submit-file at yours',
    });
  }
  const submit = submitText === null ? null : readSubmitCommands(submitText, submitName, issues);

  if (env) {
    checkCuda({
      ...context,
      env,
      platform,
      config,
      dockerArgs: dockerfile === null ? null : dockerfileArgs(dockerfile),
      dockerfileName,
      submit: submit?.commands ?? null,
      submitName,
    });
  }
  if (submit) await checkSubmitFile(context, config, submit, submitName);
}

/** The submit file's commands, or null (with the parser's error as a finding) when it cannot be read. */
function readSubmitCommands(text: string, file: string, issues: IssueList): SubmitSource | null {
  try {
    return readSubmitFile(text, file);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    issues.error({
      file,
      line: error.line ?? 1,
      column: 1,
      pointer: '',
      rule: 'submit/syntax',
      message: error.message,
      hint: error.hint ?? 'fix the submit file at that line',
    });
    return null;
  }
}

/** The Dockerfile's text, or what is wrong with it ("does not exist", "is a directory, not a file", …). */
function readDockerfile(path: string): { text: string } | { problem: string } {
  try {
    return { text: readBoundedText(path, MAX_TEXT_BYTES) };
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    return { problem: error.message };
  }
}

// ---------------------------------------------------------------------------------------------
// CUDA agreement.

interface CudaContext extends TemplateContext {
  env: EnvironmentView;
  platform: PlatformEntry | undefined;
  config: TemplateConfig;
  dockerArgs: Map<string, DockerArg> | null;
  dockerfileName: string;
  submit: SubmitCommands | null;
  submitName: string;
}

function checkCuda(c: CudaContext): void {
  const { model, env, manifestFile, issues } = c;
  const declared = model.declaredCuda(env, c.platform);
  const pinDependency = c.platform ? model.condaDependency(env, c.platform, 'cuda-version') : undefined;
  const pinText = pinDependency ? pinVersionText(pinDependency.spec) : null;
  const pin = pinText === null ? null : cudaMajorMinor(pinText);

  if (!declared) {
    if (pinDependency) {
      issues.error({
        file: manifestFile,
        pointer: pinDependency.pointer,
        rule: 'cuda/undeclared',
        message: `environment '${env.name}' pins cuda-version but declares no CUDA for the solver`,
        hint: `add [system-requirements] cuda = "${pin ? formatCuda(pin) : '12.9'}" (or cuda = "..." on the linux-64 platform entry)`,
      });
    } else {
      issues.warning({
        file: manifestFile,
        pointer: '',
        rule: 'cuda/undeclared',
        message: `the image environment '${env.name}' declares no CUDA: pixi will solve CPU-only builds`,
        hint: 'add [system-requirements] cuda = "12.9" and a cuda-version pin for a GPU image',
      });
    }
    return;
  }
  const cuda = cudaMajorMinor(declared.value);
  if (!cuda) {
    issues.error({
      file: manifestFile,
      pointer: declared.pointer,
      rule: 'cuda/invalid-version',
      message: `CUDA version '${declared.value}' is not a version`,
      hint: 'write it as major.minor, e.g. "12.9"',
    });
    return;
  }
  // A pin that disagrees is reported by the manifest checks (cuda/pin-mismatch) for every environment.
  if (!pinDependency && c.platform) {
    issues.warning({
      file: manifestFile,
      pointer: declared.pointer,
      rule: 'cuda/pin-missing',
      message: `environment '${env.name}' declares CUDA ${formatCuda(cuda)} but does not pin cuda-version`,
      hint: `add cuda-version = "${formatCuda(cuda)}.*" to [target.linux-64.dependencies] so the CUDA libraries match`,
    });
  }

  // The Dockerfile's CUDA_VERSION (or its [tool.pixi-condor] build-args override) sets CONDA_OVERRIDE_CUDA.
  const override = c.config.buildArgs.CUDA_VERSION;
  const dockerArg = c.dockerArgs?.get('CUDA_VERSION');
  if (override !== undefined) {
    const value = cudaMajorMinor(override);
    if (!value || !sameCuda(cuda, value) || value.minor !== cuda.minor) {
      issues.error({
        file: manifestFile,
        pointer: `${CONFIG_POINTER}/build-args/CUDA_VERSION`,
        rule: 'cuda/dockerfile-mismatch',
        message: `build-args CUDA_VERSION '${override}' does not match the declared CUDA ${formatCuda(cuda)}`,
        hint: `set it to "${formatCuda(cuda)}" (it becomes CONDA_OVERRIDE_CUDA in the image build)`,
      });
    }
  } else if (c.dockerArgs) {
    if (!dockerArg || dockerArg.value === null) {
      issues.warning({
        file: c.dockerfileName,
        pointer: '',
        line: 1,
        column: 1,
        rule: 'cuda/dockerfile-arg-missing',
        message: 'the Dockerfile declares no ARG CUDA_VERSION with a default (globally or in a stage)',
        hint: `add ARG CUDA_VERSION="${formatCuda(cuda)}" and ENV CONDA_OVERRIDE_CUDA=\${CUDA_VERSION} in the build stage`,
      });
    } else {
      const value = cudaMajorMinor(dockerArg.value);
      if (!value || value.major !== cuda.major || value.minor !== cuda.minor) {
        issues.error({
          file: c.dockerfileName,
          pointer: '',
          line: dockerArg.line,
          column: dockerArg.column,
          rule: 'cuda/dockerfile-mismatch',
          message: `ARG CUDA_VERSION="${dockerArg.value}" does not match the CUDA ${formatCuda(cuda)} pixi.toml declares`,
          hint: `set ARG CUDA_VERSION="${formatCuda(cuda)}" (it becomes CONDA_OVERRIDE_CUDA, the CUDA the solver may assume)`,
        });
      }
    }
  }

  if (c.submit) checkDriverRequirement(c, cuda);
  if (c.submit && c.platform?.cudaArch) checkCapability(c, c.platform.cudaArch);
}

/** "8.9" -> [8, 9]; null when not major.minor. */
function capabilityOf(text: string): [number, number] | null {
  const match = /^\s*(?:>=|=|==)?\s*(\d+)(?:\.(\d+))?\s*$/.exec(text.replace(/^"|"$/g, ''));
  return match ? [Number(match[1]), Number(match[2] ?? 0)] : null;
}

/**
 * The image environment's platform declares __cuda_arch (pixi >= 0.71, CEP-0046): the GPU compute
 * capability its packages are built for. A job on an older GPU cannot run them, so the submit
 * file's gpus_minimum_capability must be at least that.
 */
function checkCapability(c: CudaContext, arch: { value: string; pointer: string }): void {
  const declared = capabilityOf(arch.value);
  const entry = c.submit!.get('gpus_minimum_capability');
  if (!declared) return;
  const shown = `${declared[0]}.${declared[1]}`;
  if (!entry) {
    c.issues.error({
      file: c.manifestFile,
      pointer: arch.pointer,
      rule: 'cuda/capability-mismatch',
      message: `environment '${c.env.name}' is built for GPUs of capability ${shown} (__cuda_arch), but ${c.submitName} sets no gpus_minimum_capability`,
      hint: `add gpus_minimum_capability = ${shown} to ${c.submitName}`,
    });
    return;
  }
  const minimum = capabilityOf(entry.value);
  if (!minimum) return; // a macro or expression: the planner's value is not a plain number
  if (minimum[0] < declared[0] || (minimum[0] === declared[0] && minimum[1] < declared[1])) {
    c.issues.error({
      file: c.submitName,
      pointer: '',
      line: entry.line,
      column: entry.column,
      rule: 'cuda/capability-mismatch',
      message: `gpus_minimum_capability = ${entry.value.trim()} admits GPUs older than capability ${shown}, the __cuda_arch environment '${c.env.name}' is built for`,
      hint: `set gpus_minimum_capability = ${shown} (or lower __cuda_arch in the platform entry)`,
    });
  }
}

const DRIVER_TERM = /(?:TARGET\.|MY\.)?(GPUs_DriverVersion|CUDADriverVersion)\s*(>=|>|==)\s*(\d+(?:\.\d+)?)/i;

function checkDriverRequirement(c: CudaContext, cuda: { major: number; minor: number | null }): void {
  const requirements = c.submit!.get('requirements');
  const match = requirements ? DRIVER_TERM.exec(requirements.value) : null;
  if (!requirements || !match) {
    c.issues.error({
      file: c.submitName,
      pointer: '',
      line: requirements?.line ?? 1,
      column: requirements?.column ?? 1,
      rule: 'cuda/driver-requirement',
      message: `the submit file does not require a GPU driver for CUDA ${cuda.major} (no GPUs_DriverVersion in requirements)`,
      hint: `add requirements = (GPUs_DriverVersion >= ${cuda.major}.0) so the job only lands where the driver runs CUDA ${formatCuda(cuda)}`,
    });
    return;
  }
  const bound = cudaMajorMinor(match[3]!)!;
  const column = requirements.column + match.index + match[0].length - match[3]!.length;
  const term = `${match[1]} ${match[2]} ${match[3]}`;
  if (bound.major === cuda.major) return;
  const [message, hint] =
    bound.major < cuda.major
      ? [
          `${term} admits drivers older than CUDA ${cuda.major}, which cannot run this CUDA ${formatCuda(cuda)} environment`,
          `require ${match[1]} >= ${cuda.major}.0`,
        ]
      : [
          `${term} does not admit CUDA ${cuda.major} drivers, which this CUDA ${formatCuda(cuda)} environment is built for`,
          `require ${match[1]} >= ${cuda.major}.0 (or move the environment to CUDA ${bound.major})`,
        ];
  c.issues.error({
    file: c.submitName,
    pointer: '',
    line: requirements.line,
    column,
    rule: 'cuda/driver-requirement',
    message,
    hint,
  });
}

// ---------------------------------------------------------------------------------------------
// Submit file.

async function checkSubmitFile(
  context: TemplateContext,
  config: TemplateConfig,
  source: SubmitSource,
  submitName: string,
): Promise<void> {
  const { issues } = context;
  const submit = source.commands;
  const universe = submit.get('universe')?.value.toLowerCase();
  const image = submit.get('container_image') ?? submit.get('docker_image');
  const containerJob = universe === 'container' || universe === 'docker' || image !== undefined;
  const gpus = submit.get('request_gpus');
  const at = (entry: { line: number; column: number } | undefined) => ({
    line: entry?.line ?? 1,
    column: entry?.column ?? 1,
  });

  if (containerJob && (!gpus || /^0+$/.test(gpus.value.trim()))) {
    issues.error({
      file: submitName,
      pointer: '',
      ...at(gpus ?? submit.get('universe')),
      rule: 'submit/request-gpus',
      message: gpus
        ? 'request_gpus is 0 for a container GPU job'
        : 'the container job does not request a GPU (no request_gpus)',
      hint: 'add request_gpus = 1',
    });
  }
  if (!submit.has('gpus_minimum_capability') && !/\bCapability\b/.test(submit.get('require_gpus')?.value ?? '')) {
    issues.error({
      file: submitName,
      pointer: '',
      ...at(gpus),
      rule: 'submit/gpus-minimum-capability',
      message: 'gpus_minimum_capability is not set',
      hint: 'add gpus_minimum_capability = 7.0: cuDNN >= 9.11 can crash on older GPUs, and this PyTorch build starts at sm_70',
    });
  }

  checkLocalInputs(context, source, submitName, universe);
  const jobLength = checkJobLength(source);
  if (jobLength) issues.warning({ file: submitName, pointer: '', ...jobLength });
  const getenv = checkGetenvSecrets(source, workspaceSecrets(context.root), process.env);
  if (getenv) issues.warning({ file: submitName, pointer: '', ...getenv });
  for (const { severity, ...finding } of checkApptainerSubmit(source))
    issues[severity === 'error' ? 'error' : 'warning']({ file: submitName, pointer: '', ...finding });

  if (image) {
    const found = imageRepository(image.value);
    const expected = config.repository;
    const pattern = new RegExp(
      `^${expected
        .split('{owner}')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]+')}$`,
      'i',
    );
    if (found !== null && /^docker:\/\//i.test(image.value.trim()) && !pattern.test(found)) {
      issues.error({
        file: submitName,
        pointer: '',
        line: image.line,
        column: image.column,
        rule: 'submit/image-repository',
        message: `container_image repository '${found}' is not the image repository '${expected}' of [tool.pixi-condor]`,
        hint: `use docker://${expected.replace('{owner}', '<owner>')}:<tag> (or change [tool.pixi-condor] repository)`,
      });
    }
  }
}

// The planner (the one condor_submit model submit uses) says which local files condor_submit
// reads: the executable against its cwd (the workspace root), transfer_input_files against the
// proc's initialdir (or the root), with macros and every queue form expanded.
const INPUT_KEYS = ['transfer_input_files', 'transferinput'];

function checkLocalInputs(
  context: TemplateContext,
  submit: SubmitSource,
  submitName: string,
  universe: string | undefined,
): void {
  const { root, model, issues } = context;
  let plan: SubmitPlan;
  try {
    // In condor_submit's environment (no secret variables: $ENV() of one reads as unset there).
    plan = planSubmit(submit.statements, {
      submitFile: submitName,
      cwd: root,
      ...submitEnvironment(root),
      cluster: null,
    });
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    issues.error({
      file: error.file ?? submitName,
      pointer: '',
      line: error.line ?? 1,
      column: 1,
      rule: 'submit/plan',
      message: error.message,
      hint: error.hint ?? 'fix the submit file so `pixi run submit` can plan its jobs',
    });
    return;
  }
  // What condor_submit would warn about, and the file's own `warning :` statements (sublang).
  for (const warning of plan.warnings) {
    issues.warning({
      file: warning.file,
      pointer: '',
      line: warning.line ?? 1,
      column: 1,
      rule: warning.rule,
      message: warning.message,
      hint: warning.hint ?? 'condor_submit reads the file this way; see docs/submit.md',
    });
  }
  if (universe !== 'container' && plan.procs.every((proc) => !proc.executable)) {
    issues.error({
      file: submitName,
      pointer: '',
      line: 1,
      column: 1,
      rule: 'submit/missing-executable',
      message: 'the submit file has no executable',
      hint: 'add executable = job/mnist_gpu.sh',
    });
  }
  const tasksMaking = taskOutputs(model);
  for (const input of localInputs(plan)) {
    if (existsSync(input.path)) continue;
    const executable = input.command === 'executable';
    const stdin = input.command === 'input';
    // The executable and the stdin file are one command's value; an input is one entry of a list.
    const single = input.command === 'transfer_input_files' ? null : input.command;
    const where = (single ? locateEntry(submit, [single], null) : locateEntry(submit, INPUT_KEYS, input.entry)) ?? {
      line: 1,
      column: 1,
    };
    const base = executable ? root : plan.procs[input.proc]!.iwd;
    const shown = single ? displayPath(root, input.path) : input.entry;
    const what = executable ? 'the executable' : stdin ? "the job's stdin file (input)" : 'the input file';
    const maker = tasksMaking.get(normalize(displayPath(root, input.path)));
    if (maker) {
      issues.warning({
        file: submitName,
        pointer: '',
        ...where,
        rule: 'submit/input-not-made',
        message: `${what} '${shown}' does not exist yet; task '${maker}' makes it`,
        hint: `run \`pixi run ${maker}\` before submitting`,
      });
    } else {
      const written = single ? (submit.commands.get(single)?.value ?? '') : input.entry;
      const relativeTo = isAbsolute(written)
        ? ''
        : ` (relative to ${base === root ? 'the workspace root, where condor_submit runs' : `initialdir ${displayPath(root, base)}`})`;
      issues.error({
        file: submitName,
        pointer: '',
        ...where,
        rule: executable ? 'submit/missing-executable' : 'submit/missing-input',
        message: `${what} '${shown}' does not exist${relativeTo}`,
        hint: 'fix the path, or add a pixi task with this file in its outputs that makes it',
      });
    }
  }
}

/** Files that a task lists in its `outputs` (normalized, relative to the workspace) -> task name. */
function taskOutputs(model: ManifestModel): Map<string, string> {
  const outputs = new Map<string, string>();
  for (const task of model.tasks()) {
    if (!isTable(task.definition)) continue;
    for (const output of asStringList(task.definition.outputs)) {
      if (!/[*?[{]/.test(output)) outputs.set(normalize(join('.', output)), task.name);
    }
  }
  return outputs;
}
