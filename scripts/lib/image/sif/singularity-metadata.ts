// The /.singularity.d tree and the SIF's JSON objects that Apptainer's own conversion of a Docker
// image adds (apptainer build x.sif docker://…), made from the image's config: the ENV as
// env/10-docker2singularity.sh, env/99-base.sh putting /.singularity.d/libs on LD_LIBRARY_PATH
// (where --nv binds the host's NVIDIA libraries; Apptainer drops the host's LD_LIBRARY_PATH), a
// runscript that runs the ENTRYPOINT (the pixi shell-hook) with the CMD as docker run does, the
// action scripts, labels.json with the source image's digest, and the root symlinks.
// Everything here is a function of the image alone: the same image gives the same bytes.
import { UserError } from '../../errors.ts';
import type { TarEntry } from './tar-splice.ts';

/** What `docker image inspect` says of an image, the parts the SIF needs. */
export interface ImageConfig {
  /** Image ID (sha256 of the config). */
  id: string;
  /** ISO time the image was created: the SIF's SOURCE_DATE_EPOCH. */
  created: string;
  env: string[];
  entrypoint: string[] | null;
  cmd: string[] | null;
  workingDir: string;
  labels: Record<string, string>;
  architecture: string;
}

export interface SifSource {
  /** What the SIF was made from: `repo@sha256:…` when pushed, else the local tag. */
  reference: string;
  /** The manifest digest when known, else the image ID. */
  digest: string;
}

export function parseImageInspect(json: string, image: string): ImageConfig {
  const all = JSON.parse(json) as {
    Id?: string;
    Created?: string;
    Architecture?: string;
    Config?: {
      Env?: string[] | null;
      Entrypoint?: string[] | null;
      Cmd?: string[] | null;
      WorkingDir?: string;
      Labels?: Record<string, string> | null;
    };
  }[];
  const inspect = all[0];
  if (!inspect?.Id || !inspect.Created) throw new UserError(`\`docker image inspect ${image}\` gave no image`);
  const env = inspect.Config?.Env ?? [];
  if (env.length === 0) {
    throw new UserError(`image ${image} has no ENV (not even PATH): its SIF would run with an empty environment`, {
      hint: 'add `ENV PATH=/usr/local/bin:/usr/bin:/bin` (or the base image that sets it) to the Dockerfile, then build again',
    });
  }
  return {
    id: inspect.Id,
    created: inspect.Created,
    env,
    entrypoint: inspect.Config?.Entrypoint ?? null,
    cmd: inspect.Config?.Cmd ?? null,
    workingDir: inspect.Config?.WorkingDir ?? '',
    labels: inspect.Config?.Labels ?? {},
    architecture: inspect.Architecture ?? 'amd64',
  };
}

/** Seconds since the epoch of the image's creation: every timestamp in the SIF. */
export function sourceDateEpoch(config: ImageConfig): number {
  const ms = Date.parse(config.created);
  if (!Number.isFinite(ms)) throw new UserError(`image created time '${config.created}' is not a date`);
  return Math.max(0, Math.floor(ms / 1000));
}

/** A value inside double quotes in sh. */
function dq(value: string): string {
  return value.replace(/[\\"$`]/g, (c) => `\\${c}`);
}

function sq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** env/10-docker2singularity.sh, as Apptainer writes it: PATH set, the rest defaulted. */
export function dockerEnvScript(env: string[]): string {
  const lines = ['#!/bin/sh'];
  for (const item of env) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const name = item.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue; // sh cannot export it
    const value = dq(item.slice(eq + 1));
    lines.push(name === 'PATH' ? `export PATH="${value}"` : `export ${name}="\${${name}:-"${value}"}"`);
  }
  return lines.join('\n') + '\n';
}

const BASE_ENV =
  '#!/bin/sh\n' +
  '# Apptainer binds the host NVIDIA driver libraries (--nv) into /.singularity.d/libs and drops the\n' +
  "# host's LD_LIBRARY_PATH: put that folder on the path, after the image's own.\n" +
  'if [ -z "$LD_LIBRARY_PATH" ]; then\n' +
  '    LD_LIBRARY_PATH="/.singularity.d/libs"\n' +
  'else\n' +
  '    LD_LIBRARY_PATH="$LD_LIBRARY_PATH:/.singularity.d/libs"\n' +
  'fi\n' +
  'PS1="Apptainer> "\n' +
  'export LD_LIBRARY_PATH PS1\n';

const SOURCE_ENV =
  'for script in /.singularity.d/env/*.sh; do\n' + '    if [ -f "$script" ]; then . "$script"; fi\n' + 'done\n';

/** The runscript: the image's ENTRYPOINT with the arguments, or with its CMD when none are given. */
export function runscript(config: ImageConfig, source: SifSource): string {
  const entry = (config.entrypoint ?? []).map(sq).join(' ');
  const cmd = (config.cmd ?? []).map(sq).join(' ');
  return (
    '#!/bin/sh\n' +
    `# Made by pixi-condor build-image --sif from ${source.reference}: runs the image's ENTRYPOINT\n` +
    '# (the pixi shell-hook, which enters the environment) with the arguments, or with the image\n' +
    '# CMD when there are none, as `docker run` does.\n' +
    (cmd ? `if [ $# -eq 0 ]; then set -- ${cmd}; fi\n` : '') +
    (entry ? `exec ${entry} "$@"\n` : 'if [ $# -eq 0 ]; then set -- /bin/sh; fi\nexec "$@"\n')
  );
}

export function labelsFor(config: ImageConfig, source: SifSource): Record<string, string> {
  const labels: Record<string, string> = {
    ...config.labels,
    'org.label-schema.build-arch': config.architecture,
    'org.label-schema.build-date': config.created,
    'org.label-schema.schema-version': '1.0',
    'org.label-schema.usage.singularity.deffile.bootstrap': 'docker',
    'org.label-schema.usage.singularity.deffile.from': source.reference,
    'io.pixi-condor.source-image': source.reference,
    'io.pixi-condor.source-digest': source.digest,
    'io.pixi-condor.source-image-id': config.id,
  };
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function deffile(source: SifSource): string {
  return `bootstrap: docker\nfrom: ${source.reference}\n`;
}

export interface SingularityMetadata {
  entries: TarEntry[];
  deffile: Buffer;
  inspectJson: Buffer;
  ociConfigJson: Buffer;
}

export function singularityMetadata(config: ImageConfig, source: SifSource): SingularityMetadata {
  const mtime = sourceDateEpoch(config);
  const labels = labelsFor(config, source);
  const run = runscript(config, source);
  const env = dockerEnvScript(config.env);
  const def = deffile(source);
  const dir = (path: string): TarEntry => ({ path, type: 'dir', mode: 0o755, mtime });
  const file = (path: string, text: string, mode = 0o755): TarEntry => ({
    path,
    type: 'file',
    mode,
    data: Buffer.from(text, 'utf8'),
    mtime,
  });
  const link = (path: string, target: string): TarEntry => ({ path, type: 'symlink', mode: 0o777, target, mtime });
  const action = (body: string) => `#!/bin/sh\n${SOURCE_ENV}${body}`;
  const entries: TarEntry[] = [
    dir('.singularity.d'),
    dir('.singularity.d/actions'),
    dir('.singularity.d/env'),
    dir('.singularity.d/libs'),
    file('.singularity.d/actions/exec', action('exec "$@"\n')),
    file('.singularity.d/actions/run', action('exec /.singularity.d/runscript "$@"\n')),
    file('.singularity.d/actions/shell', action('exec /bin/sh "$@"\n')),
    file(
      '.singularity.d/actions/start',
      action('if [ -x /.singularity.d/startscript ]; then exec /.singularity.d/startscript "$@"; fi\n'),
    ),
    file(
      '.singularity.d/actions/test',
      action('if [ -x /.singularity.d/test ]; then exec /.singularity.d/test "$@"; fi\necho "no test"\n'),
    ),
    file('.singularity.d/env/01-base.sh', '#!/bin/sh\n'),
    file('.singularity.d/env/10-docker2singularity.sh', env),
    file('.singularity.d/env/90-environment.sh', '#!/bin/sh\n# Custom environment shell code should follow\n'),
    file('.singularity.d/env/99-base.sh', BASE_ENV),
    file('.singularity.d/runscript', run),
    file('.singularity.d/startscript', '#!/bin/sh\n'),
    file('.singularity.d/labels.json', `${JSON.stringify(labels, null, '\t')}\n`, 0o644),
    file('.singularity.d/Singularity', def, 0o644),
    link('singularity', '.singularity.d/runscript'),
    link('.run', '.singularity.d/actions/run'),
    link('.exec', '.singularity.d/actions/exec'),
    link('.shell', '.singularity.d/actions/shell'),
    link('.test', '.singularity.d/actions/test'),
    link('environment', '.singularity.d/env/90-environment.sh'),
  ];
  const inspect = { attributes: { labels, deffile: def, runscript: run, environment: env } };
  const oci = {
    Env: config.env,
    Entrypoint: config.entrypoint,
    Cmd: config.cmd,
    WorkingDir: config.workingDir,
    Labels: config.labels,
  };
  return {
    entries,
    deffile: Buffer.from(def, 'utf8'),
    inspectJson: Buffer.from(JSON.stringify(inspect), 'utf8'),
    ociConfigJson: Buffer.from(JSON.stringify(oci), 'utf8'),
  };
}

/** Paths of the image the metadata replaces (and what `docker create` added). */
export function replacedPath(path: string): boolean {
  return (
    path === '.dockerenv' ||
    path === '.singularity.d' ||
    path.startsWith('.singularity.d/') ||
    ['singularity', '.run', '.exec', '.shell', '.test', 'environment'].includes(path)
  );
}
