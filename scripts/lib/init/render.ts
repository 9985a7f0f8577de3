// The files `pixi condor init` adds, modelled on the template's own: the two-stage Dockerfile
// (the package's Dockerfile itself, its defaults set to the workspace's environment and CUDA), a
// submit file that runs one of the workspace's pixi tasks in the image (after
// mnist_gpu_docker.sub), the job wrapper (after job/mnist_gpu.sh), .dockerignore, and the
// [tool.pixi-condor] table appended to the manifest.
import { join } from 'node:path';
import { readBoundedText } from '../bounded-read.ts';
import { REPO_ROOT } from '../repo-root.ts';
import { cudaMajorMinor } from '../validate/cuda-version.ts';
import type { WorkspaceFacts } from './workspace-facts.ts';

/** Where the job's wrapper goes (the template keeps its own in job/ too). */
export const WRAPPER = 'job/run-pixi-task.sh';

/** The CUDA the Dockerfile tells the solver about when the workspace declares none (the template's). */
const FALLBACK_CUDA = '12.9';

/** Replace `from` (which must occur) with `to`: the package's Dockerfile is the model, and a test holds them together. */
function replaceOnce(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`pixi-condor's Dockerfile no longer contains ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

/** The template's Dockerfile for this workspace: its environment, its CUDA, its manifest file. */
export function renderDockerfile(facts: WorkspaceFacts, root = REPO_ROOT): string {
  let text = readBoundedText(join(root, 'Dockerfile'), 1024 * 1024);
  text = replaceOnce(text, 'ARG CUDA_VERSION="12.9"', `ARG CUDA_VERSION="${facts.cuda ?? FALLBACK_CUDA}"`);
  text = replaceOnce(text, 'ARG ENVIRONMENT="default"', `ARG ENVIRONMENT="${facts.environment}"`);
  if (facts.manifestFile !== 'pixi.toml') {
    text = replaceOnce(text, 'COPY pixi.toml pixi.lock ./', `COPY ${facts.manifestFile} pixi.lock ./`);
    text = replaceOnce(
      text,
      'COPY --from=build /app/pixi.toml /app/pixi.toml',
      `COPY --from=build /app/${facts.manifestFile} /app/${facts.manifestFile}`,
    );
  }
  const header = [
    `# Written by \`pixi condor init\` from pixi-condor's template Dockerfile: the locked pixi`,
    `# environment '${facts.environment}' of ${facts.manifestFile}, activated by an entrypoint.`,
    `# \`pixi condor build-image\` builds, tags and pushes it; \`pixi condor validate\` checks it.`,
    '#',
  ];
  return `${header.join('\n')}\n${text.replace(/^# The training image: .*\n/, '')}`;
}

/** Only the manifest and the lock go into the build context (as the template's .dockerignore). */
export function renderDockerignore(facts: WorkspaceFacts): string {
  return [
    `# The image needs only ${facts.manifestFile} and pixi.lock (see the Dockerfile); keep everything else,`,
    '# secrets above all, out of the build context.',
    '*',
    `!${facts.manifestFile}`,
    '!pixi.lock',
    '',
  ].join('\n');
}

export interface SubmitChoices {
  inputs: string[];
  outputs: string[];
}

/** The submit file: one proc running the task in the container on one GPU, CHTC or OSPool. */
export function renderSubmitFile(facts: WorkspaceFacts, choices: SubmitChoices): string {
  const { task, environment } = facts;
  const cuda = facts.cuda === null ? null : cudaMajorMinor(facts.cuda);
  const stem = task.name.replace(/[^A-Za-z0-9_.-]/g, '_');
  const inputs = choices.inputs.length
    ? `transfer_input_files = ${choices.inputs.join(', ')}`
    : '# transfer_input_files = train.py, data.tar.gz';
  const outputs = choices.outputs.length
    ? `transfer_output_files = ${choices.outputs.join(', ')}`
    : '# transfer_output_files = model.pt, metrics.json';
  const lines = [
    `# Run the pixi task '${task.name}'${task.cmd ? ` (${task.cmd.replace(/\s+/g, ' ').slice(0, 60)})` : ''} on an HTCondor GPU, in the`,
    `# image of the '${environment}' environment. Written by \`pixi condor init\`; edit it freely (init never`,
    '# overwrites it). `pixi condor submit` submits it with the image pinned by digest and follows the',
    '# job; `pixi condor submit --local` runs it on this machine first (--allow-cpu without a GPU).',
    '',
    'universe = container',
    '# Execute points cache images; "missing" pulls only when the image is not there yet.',
    'docker_pull_policy = missing',
    '# `pixi condor submit` appends `container_image = docker://<repository>@sha256:<digest>` from',
    '# .pixi-condor/image.json (written by `pixi condor build-image`). To submit by hand, name it:',
    `# container_image = docker://${facts.config.repository}:${environment}-noble-cuda${facts.cuda ?? FALLBACK_CUDA}`,
    '',
    '# One event log, stdout and stderr per job; the log is what `pixi condor status` reads.',
    `log = ${stem}_$(Cluster)_$(Process).log.txt`,
    `error = ${stem}_$(Cluster)_$(Process).err.txt`,
    `output = ${stem}_$(Cluster)_$(Process).out.txt`,
    'stream_error = true',
    'stream_output = true',
    '',
    "# The wrapper makes the job's sandbox the workspace (the image's manifest, lock and environment)",
    `# and runs \`pixi run --as-is --environment ${environment} ${task.name}\` there; arguments after the task's`,
    '# name go to the task.',
    `executable = ${WRAPPER}`,
    `arguments = ${environment} ${task.name}`,
    '',
    "# The image holds only the environment: the task's code and data travel with the job.",
    inputs,
    'should_transfer_files = YES',
    "# Without transfer_output_files HTCondor brings back every new file of the sandbox's top level.",
    outputs,
    'when_to_transfer_output = ON_EXIT',
    '',
    ...(cuda
      ? [
          `# The driver must support the CUDA major the environment is built for (${facts.cuda} -> ${cuda.major}).`,
          `requirements = (GPUs_DriverVersion >= ${cuda.major}.0)`,
          '',
        ]
      : []),
    'request_cpus = 1',
    'request_gpus = 1',
    'request_memory = 2GB',
    'request_disk = 2GB',
    '# cuDNN >= 9.11 can crash on GPUs older than compute capability 7.0 (conda-forge/cudnn-feedstock#124).',
    'gpus_minimum_capability = 7.0',
    '',
    '# The pool. CHTC (the default): the GPU Lab, "short" jobs (ended after 12 hours). The OSPool:',
    '# uncomment `ospool = true` (or submit with `condor_submit ospool=true ...`).',
    '# ospool = true',
    'if defined ospool',
    '  +JobDurationCategory = "Medium"',
    'else',
    '  +WantGPULab = true',
    '  +GPUJobLength = "short"',
    'endif',
    '',
    'queue 1',
    '',
  ];
  return lines.join('\n');
}

/** The job's executable: the sandbox becomes the workspace, and the task runs there. */
export function renderWrapper(facts: WorkspaceFacts): string {
  return `#!/usr/bin/env bash
# The job's executable (written by \`pixi condor init\`): run one of the workspace's pixi tasks in
# the image's locked environment, in the job's sandbox, where its inputs arrive and from where its
# outputs go back. Arguments: ENVIRONMENT TASK [ARGS...] (ARGS go to the task).
set -euo pipefail

ENVIRONMENT=\${1:?usage: run-pixi-task.sh ENVIRONMENT TASK [ARGS...]}
TASK=\${2:?usage: run-pixi-task.sh ENVIRONMENT TASK [ARGS...]}
shift 2
echo "# Job running on $(hostname), task $TASK in environment $ENVIRONMENT"
echo "# GPUs assigned: \${CUDA_VISIBLE_DEVICES:-none}"

APP=\${PIXI_CONDOR_APP:-/app}
if [ ! -f "$APP/entrypoint.sh" ] || [ ! -d "$APP/.pixi/envs/$ENVIRONMENT" ]; then
    echo "error: $APP holds no environment '$ENVIRONMENT': this job must run in the image built by 'pixi condor build-image'" >&2
    exit 3
fi
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi || echo "warning: nvidia-smi failed" >&2
fi

# The sandbox becomes the workspace: the image's manifest and lock (unless the job brought its
# own), and its environment, linked where pixi looks for it (a conda environment must stay at the
# prefix it was installed at, so it is linked, never copied).
for file in ${facts.manifestFile} pixi.lock; do
    if [ -f "$APP/$file" ] && [ ! -e "$file" ]; then cp "$APP/$file" "$file"; fi
done
mkdir -p .pixi/envs
if [ ! -e ".pixi/envs/$ENVIRONMENT" ]; then ln -s "$APP/.pixi/envs/$ENVIRONMENT" ".pixi/envs/$ENVIRONMENT"; fi

# --as-is: the environment as the image installed it; never solve, lock or install (an execute
# point may have no network). exec: HTCondor's signals reach the task, and its exit code is the job's.
exec pixi run --as-is --environment "$ENVIRONMENT" "$TASK" "$@"
`;
}

/** [tool.pixi-condor], appended to the manifest (pixi ignores [tool.*] tables). */
export function renderToolTable(facts: WorkspaceFacts, repository: string, submitFile: string): string {
  return [
    '',
    '# pixi-condor (added by `pixi condor init`): where `pixi condor build-image` pushes the image of',
    '# this environment and which submit file `pixi condor submit` submits. pixi ignores [tool.*].',
    '[tool.pixi-condor]',
    `repository = ${JSON.stringify(repository)}`,
    `environment = ${JSON.stringify(facts.environment)}`,
    `dockerfile = ${JSON.stringify(facts.config.dockerfile)}`,
    `submit-file = ${JSON.stringify(submitFile)}`,
    '',
  ].join('\n');
}
