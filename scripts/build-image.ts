// pixi run build-image: build the training image, tag it by content, push it, record its digest.
// The work loads only after the command line parsed (--help and usage errors stay instant).
import { booleanOption, parseOrHelp, stringOption, type CommandSpec } from './lib/cli.ts';
import { UsageError } from './lib/errors.ts';
import { runMain } from './lib/main.ts';

const spec: CommandSpec = {
  usage: 'pixi run build-image [options]',
  summary:
    'Build the image from the Dockerfile, tag it by the hash of its inputs, push it and write its digest to\n' +
    '.pixi-condor/image.json for submit. When the registry already has the content tag, nothing is built or pushed.',
  options: {
    'dry-run': {
      type: 'boolean',
      description: 'print the tag and every command a build would run; ask no registry or engine, change nothing',
    },
    'no-push': { type: 'boolean', description: 'build only: no login, no push, no record' },
    force: {
      type: 'boolean',
      description: 'rebuild (without cache) and push the same content under its tag; never moves a content tag',
    },
    explain: {
      type: 'boolean',
      description:
        'say where each value (repository, owner, credentials, tags, engine) comes from, then stop: nothing is built or pushed',
    },
    engine: {
      type: 'string',
      value: 'ENGINE',
      description: 'docker, podman or a path (default: $PIXI_CONDOR_ENGINE, docker, podman)',
    },
    network: {
      type: 'string',
      value: 'MODE',
      description: 'network for RUN steps, e.g. host (docker build --network)',
    },
    sif: {
      type: 'boolean',
      description: 'also make a SIF of the image for Apptainer, push it as oras://…:<content tag>-sif and record it',
    },
    stage: {
      type: 'string',
      value: 'DIR',
      description: 'with --sif: copy the SIF to this staging folder (CHTC: $STAGING) instead of the registry',
    },
    'build-arg': {
      type: 'string',
      multiple: true,
      value: 'NAME=VALUE',
      description: 'override a Dockerfile ARG (part of the content hash)',
    },
  },
  epilog:
    'Credentials: REGISTRY_USER and REGISTRY_TOKEN from .env or the environment (GITHUB_ACTOR and\n' +
    'GITHUB_TOKEN for ghcr.io). The token goes to `docker login --password-stdin` only.',
  exitCodes: [
    ['0', 'done (built and pushed, or already in the registry)'],
    ['1', 'a step failed (message and hint on stderr), or validate found errors'],
    ['2', 'usage error or unreadable input'],
    ['130', 'interrupted (Ctrl-C; 128 + the signal for SIGTERM, SIGHUP)'],
  ],
  docs: 'docs/build-image.md',
};

function parseBuildArgs(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--build-arg expects NAME=VALUE, got '${item}'`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

void runMain(async (args) => {
  const parsed = parseOrHelp(spec, args);
  if (!parsed) return 0;
  const buildArgs = parseBuildArgs(parsed.values['build-arg'] as string[] | undefined);
  const [{ publishImage }, { Shell }, { findWorkspaceRoot }] = await Promise.all([
    import('./lib/image/publish.ts'),
    import('./lib/shell.ts'),
    import('./lib/workspace.ts'),
  ]);
  const engine = stringOption(parsed, 'engine');
  const network = stringOption(parsed, 'network');
  const stage = stringOption(parsed, 'stage');
  return publishImage({
    root: findWorkspaceRoot(),
    shell: new Shell({ dryRun: booleanOption(parsed, 'dry-run') }),
    env: process.env,
    ...(engine ? { engine } : {}),
    ...(network ? { network } : {}),
    force: booleanOption(parsed, 'force'),
    push: !booleanOption(parsed, 'no-push'),
    explain: booleanOption(parsed, 'explain'),
    sif: booleanOption(parsed, 'sif') || stage !== undefined,
    ...(stage !== undefined ? { stage } : {}),
    buildArgs,
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
  });
});
