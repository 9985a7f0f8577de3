// Which container engine builds: --engine, else $PIXI_CONDOR_ENGINE, else docker on PATH, else
// podman. For docker it checks the daemon answers and picks the builder: BuildKit when the CLI
// can drive it (buildx installed, or a pre-23 CLI with DOCKER_BUILDKIT=1), else the classic
// builder, which the template's Dockerfile also supports (no BuildKit-only syntax).
import { basename } from 'node:path';
import { UserError } from '../errors.ts';
import { lastLine, onPath, type Shell } from '../shell.ts';
import type { Explain } from './explain.ts';

export type EngineKind = 'docker' | 'podman';
export type Builder = 'buildkit' | 'classic' | 'buildah';

export interface Engine {
  kind: EngineKind;
  /** The executable to run (a name on PATH or a path). */
  bin: string;
  builder: Builder;
  clientVersion: string;
  serverVersion: string;
  /** Environment for `build` (DOCKER_BUILDKIT set to match the builder). */
  buildEnv: Record<string, string>;
}

const DAEMON_DOWN =
  /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect|connect: no such file or directory|connection refused|dial unix/i;

function engineKind(bin: string): EngineKind {
  return basename(bin).includes('podman') ? 'podman' : 'docker';
}

async function chooseBinary(requested: string | undefined, env: NodeJS.ProcessEnv, explain: Explain): Promise<string> {
  const wanted = requested ?? env.PIXI_CONDOR_ENGINE;
  if (wanted) {
    const found = await onPath(wanted, env);
    if (!found) {
      throw new UserError(`container engine '${wanted}' is not on PATH`, {
        hint: 'install it, or pass --engine docker|podman|PATH',
      });
    }
    explain.note('engine', wanted, requested ? '--engine' : '$PIXI_CONDOR_ENGINE');
    return wanted;
  }
  for (const name of ['docker', 'podman']) {
    if (await onPath(name, env)) {
      explain.note('engine', name, 'first of docker, podman on PATH');
      return name;
    }
  }
  throw new UserError('no container engine on PATH (looked for docker and podman)', {
    hint: 'install Docker (https://docs.docker.com/engine/install/) or Podman, or pass --engine PATH',
  });
}

export async function detectEngine(
  shell: Shell,
  requested: string | undefined,
  env: NodeJS.ProcessEnv,
  explain: Explain,
): Promise<Engine> {
  const bin = await chooseBinary(requested, env, explain);
  const kind = engineKind(bin);
  const version = await shell.run([bin, 'version', '--format', '{{json .}}'], {
    readOnly: true,
    nothrow: true,
    timeoutMs: 20_000,
  });
  if (version.exitCode !== 0) {
    const reason = lastLine(version.stderr) || `exit ${version.exitCode}`;
    if (kind === 'docker' && DAEMON_DOWN.test(version.stderr)) {
      throw new UserError(
        `the Docker daemon is not running (${env.DOCKER_HOST ? `DOCKER_HOST=${env.DOCKER_HOST}` : 'default socket'})`,
        {
          hint: 'start Docker (Docker Desktop, or `sudo systemctl start docker`) and run this again',
        },
      );
    }
    throw new UserError(`\`${bin} version\` failed: ${reason}`, {
      hint: `check that ${kind} works: run \`${bin} info\``,
    });
  }
  let data: { Client?: { Version?: string }; Server?: { Version?: string } | null; Version?: string } = {};
  try {
    data = JSON.parse(version.stdout);
  } catch {
    // An engine that prints something else still works; versions stay unknown.
  }
  const clientVersion = data.Client?.Version ?? data.Version ?? 'unknown';
  const serverVersion = data.Server?.Version ?? clientVersion;
  if (kind === 'podman') {
    explain.note('builder', 'buildah', `podman ${clientVersion}`);
    return { kind, bin, builder: 'buildah', clientVersion, serverVersion, buildEnv: {} };
  }
  let builder: Builder;
  let why: string;
  if (env.DOCKER_BUILDKIT === '0') {
    builder = 'classic';
    why = 'DOCKER_BUILDKIT=0';
  } else if (Number(clientVersion.split('.')[0]) < 23) {
    builder = 'buildkit';
    why = `docker CLI ${clientVersion} drives the daemon's BuildKit with DOCKER_BUILDKIT=1`;
  } else {
    const buildx = await shell.run([bin, 'buildx', 'version'], { readOnly: true, nothrow: true, timeoutMs: 20_000 });
    builder = buildx.exitCode === 0 ? 'buildkit' : 'classic';
    why = buildx.exitCode === 0 ? 'buildx plugin found' : `docker CLI ${clientVersion} has no buildx plugin`;
  }
  explain.note('builder', builder, why);
  return {
    kind,
    bin,
    builder,
    clientVersion,
    serverVersion,
    buildEnv: { DOCKER_BUILDKIT: builder === 'buildkit' ? '1' : '0' },
  };
}

/**
 * The engine a dry run plans with, from local facts only (--engine, $PIXI_CONDOR_ENGINE, PATH,
 * DOCKER_BUILDKIT): the engine is not run, so its builder is assumed (BuildKit, the default of a
 * current docker CLI with buildx) and `note` says so. A dry run's commands then cost no probe.
 */
export async function engineWithoutAsking(
  requested: string | undefined,
  env: NodeJS.ProcessEnv,
  note: (line: string) => void,
): Promise<Engine> {
  let bin = requested ?? env.PIXI_CONDOR_ENGINE;
  if (!bin) {
    bin = (await onPath('docker', env)) ? 'docker' : (await onPath('podman', env)) ? 'podman' : undefined;
    if (!bin) {
      note(
        'note: no container engine on PATH (looked for docker and podman); showing the commands a docker engine would get',
      );
      bin = 'docker';
    }
  }
  const kind = engineKind(bin);
  if (kind === 'podman')
    return { kind, bin, builder: 'buildah', clientVersion: 'unknown', serverVersion: 'unknown', buildEnv: {} };
  const builder: Builder = env.DOCKER_BUILDKIT === '0' ? 'classic' : 'buildkit';
  note(
    `dry run: ${bin} was not asked for its version; showing ${builder === 'buildkit' ? 'BuildKit' : 'classic builder'} commands ` +
      '(a real run picks the builder the engine has)',
  );
  return {
    kind,
    bin,
    builder,
    clientVersion: 'unknown',
    serverVersion: 'unknown',
    buildEnv: { DOCKER_BUILDKIT: builder === 'buildkit' ? '1' : '0' },
  };
}
