// pixi run build-image: build the training image, tag it by content, push it, record its digest.
import { booleanOption, parseOrHelp, stringOption, type CommandSpec } from './lib/cli.ts';
import { UsageError } from './lib/errors.ts';
import { publishImage } from './lib/image/publish.ts';
import { runMain } from './lib/main.ts';
import { Shell } from './lib/shell.ts';
import { findWorkspaceRoot } from './lib/workspace.ts';

const spec: CommandSpec = {
  usage: 'pixi run build-image [options]',
  summary:
    'Build the image from the Dockerfile, tag it by the hash of its inputs, push it and write its digest to\n' +
    '.pixi-condor/image.json for submit. When the registry already has the content tag, nothing is built or pushed.',
  options: {
    'dry-run': {
      type: 'boolean',
      short: 'n',
      description: 'print the tag and every command that would run; change nothing',
    },
    'no-push': { type: 'boolean', description: 'build only: no login, no push, no record' },
    force: {
      type: 'boolean',
      short: 'f',
      description: 'build (without cache) and push even if the content tag exists',
    },
    explain: { type: 'boolean', description: 'say where each value (repository, owner, credentials, tags) came from' },
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
    'build-arg': {
      type: 'string',
      multiple: true,
      value: 'NAME=VALUE',
      description: 'override a Dockerfile ARG (part of the content hash)',
    },
  },
  epilog:
    'Credentials: REGISTRY_USER and REGISTRY_TOKEN from .env or the environment (GITHUB_ACTOR and\n' +
    'GITHUB_TOKEN for ghcr.io). The token goes to `docker login --password-stdin` only.\n\n' +
    'Exit codes: 0 done, 1 a step failed (message and hint on stderr), 2 bad usage or input.',
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

await runMain(async (args) => {
  const parsed = parseOrHelp(spec, args);
  if (!parsed) return 0;
  const engine = stringOption(parsed, 'engine');
  const network = stringOption(parsed, 'network');
  return publishImage({
    root: findWorkspaceRoot(),
    shell: new Shell({ dryRun: booleanOption(parsed, 'dry-run') }),
    env: process.env,
    ...(engine ? { engine } : {}),
    ...(network ? { network } : {}),
    force: booleanOption(parsed, 'force'),
    push: !booleanOption(parsed, 'no-push'),
    explain: booleanOption(parsed, 'explain'),
    buildArgs: parseBuildArgs(parsed.values['build-arg'] as string[] | undefined),
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
  });
});
