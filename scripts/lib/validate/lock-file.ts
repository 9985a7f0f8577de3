// pixi.lock (formats v5, v6, v7; pixi.md §c.2) read with js-yaml into one shape: per
// environment, its channels and, per platform, the packages locked for it.

export interface LockedPackage {
  kind: 'conda' | 'pypi';
  name: string;
  version: string;
  build: string | null;
  /** A conda package's PyPI names (its `purls`, `pkg:pypi/<name>`): it supplies those PyPI dependencies. */
  pypiNames?: string[];
}

/** `record` with the PyPI names of its purls, when it is a conda record that has some. */
function withPurls(record: LockedPackage, entry: Json): LockedPackage {
  const pypiNames = record.kind === 'conda' ? pypiNamesOf(entry.purls) : undefined;
  return pypiNames ? { ...record, pypiNames } : record;
}

/** The PyPI names of a conda record's purls (`pkg:pypi/torch@2.9.1` → torch), as PEP 503 normalizes them. */
function pypiNamesOf(purls: unknown): string[] | undefined {
  if (!Array.isArray(purls)) return undefined;
  const names: string[] = [];
  for (const purl of purls) {
    const m = typeof purl === 'string' ? /^pkg:pypi\/([^@?#/]+)/i.exec(purl) : null;
    if (m) names.push(normalizePypiName(decodeURIComponentSafe(m[1]!)));
  }
  return names.length > 0 ? names : undefined;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** PEP 503: lower case, runs of `-`, `_` and `.` as one `-`. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export interface LockedEnvironment {
  channels: string[];
  /** Keyed by the platform name the lock uses (a subdir in v5/v6; a name, maybe an alias, in v7). */
  platforms: Map<string, LockedPackage[]>;
}

export interface LockedPlatform {
  subdir: string;
  /** As the lock writes them (`__cuda=12.9`, `__archspec=0=x86_64`); none in a lock before v7. */
  virtualPackages: string[];
}

export interface LockFile {
  version: number;
  environments: Map<string, LockedEnvironment>;
  /** v7: the top-level `platforms` list, by name: each row's subdir and the virtual packages it was solved for. */
  platforms: Map<string, LockedPlatform>;
}

export class LockFormatError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(message);
    this.line = line;
    this.column = column;
  }
}

export const SUPPORTED_LOCK_VERSIONS = [5, 6, 7];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * pixi reads the lock with serde_yaml 0.9, which refuses a document whose aliases are followed
 * more than 100 times its event count ("repetition limit exceeded", its billion-laughs guard).
 * js-yaml shares an aliased node instead of copying it, so loading is cheap, but every walk of the
 * data (environments x platforms x packages) pays for each repetition: count them first, in time
 * linear in the distinct nodes, and refuse as pixi does.
 */
export const ALIAS_REPETITION_LIMIT = 100;

function checkAliasExpansion(root: Json): void {
  const visits = new Map<object, number>();
  const open = new Set<object>();
  let events = 0;
  // Post-order over distinct nodes with an explicit stack: visits(node) = 1 + sum over child nodes.
  const stack: [object, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [node, expanded] = stack.pop()!;
    if (visits.has(node)) continue;
    const children = Array.isArray(node) ? node : Object.values(node);
    if (!expanded) {
      // A node met again before it is finished contains itself (`&a [*a]`): no end to expanding it.
      if (open.has(node)) throw new LockFormatError("pixi.lock's YAML aliases refer to themselves", 1, 1);
      open.add(node);
      stack.push([node, true]);
      for (const child of children)
        if (typeof child === 'object' && child !== null && !visits.has(child)) stack.push([child, false]);
      continue;
    }
    let total = 1;
    events += 2 + (Array.isArray(node) ? 0 : children.length);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) total += visits.get(child) ?? 1;
      else events += 1;
    }
    visits.set(node, total);
    open.delete(node);
  }
  const repetitions = (visits.get(root) ?? 1) - visits.size;
  if (repetitions > ALIAS_REPETITION_LIMIT * events) {
    throw new LockFormatError(
      `pixi.lock's YAML aliases repeat nodes ${repetitions > 1e15 ? 'more than 10^15' : repetitions} times, more than ${ALIAS_REPETITION_LIMIT} times the ${events} it writes: pixi refuses it ("repetition limit exceeded")`,
      1,
      1,
    );
  }
}

/** name, version and build from a conda file name: `<name>-<version>-<build>.conda`. */
export function parseCondaFileName(location: string): { name: string; version: string; build: string } | null {
  const file = location.split(/[/\\]/).pop() ?? '';
  const stem = file.replace(/\.(conda|tar\.bz2)$/, '');
  if (stem === file) return null;
  const buildAt = stem.lastIndexOf('-');
  const versionAt = stem.lastIndexOf('-', buildAt - 1);
  if (buildAt <= 0 || versionAt <= 0) return null;
  return {
    name: stem.slice(0, versionAt),
    version: stem.slice(versionAt + 1, buildAt),
    build: stem.slice(buildAt + 1),
  };
}

export async function parseLockFile(text: string): Promise<LockFile> {
  const yaml = await import('js-yaml');
  let data: unknown;
  try {
    data = yaml.load(text);
  } catch (error) {
    const mark = (error as { mark?: { line: number; column: number } }).mark;
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw new LockFormatError(
      `pixi.lock is not valid YAML: ${reason.replace(/ \(\d+:\d+\)$/, '')}`,
      (mark?.line ?? 0) + 1,
      (mark?.column ?? 0) + 1,
    );
  }
  if (!isObject(data)) throw new LockFormatError('pixi.lock is not a lock file (no top-level mapping)', 1, 1);
  checkAliasExpansion(data);
  const version = data.version;
  if (typeof version !== 'number' || !Number.isInteger(version))
    throw new LockFormatError('pixi.lock has no version number', 1, 1);
  if (!SUPPORTED_LOCK_VERSIONS.includes(version)) {
    throw new LockFormatError(
      `pixi.lock has format version ${version}; validate reads versions ${SUPPORTED_LOCK_VERSIONS.join(', ')}`,
      1,
      1,
    );
  }

  // The flat package list: the environments refer to its entries by URL (or path).
  const records = new Map<string, LockedPackage>();
  for (const entry of Array.isArray(data.packages) ? data.packages : []) {
    if (!isObject(entry)) continue;
    const found = packageRecord(entry, version);
    if (found) records.set(`${found.record.kind}:${found.location}`, found.record);
  }

  const platforms = new Map<string, LockedPlatform>();
  for (const entry of Array.isArray(data.platforms) ? data.platforms : []) {
    if (!isObject(entry) || typeof entry.name !== 'string') continue;
    const listed = Array.isArray(entry['virtual-packages']) ? entry['virtual-packages'] : [];
    platforms.set(entry.name, {
      subdir: typeof entry.subdir === 'string' ? entry.subdir : entry.name,
      virtualPackages: listed.filter((vp): vp is string => typeof vp === 'string'),
    });
  }

  const environments = new Map<string, LockedEnvironment>();
  for (const [name, env] of Object.entries(isObject(data.environments) ? data.environments : {})) {
    if (!isObject(env)) continue;
    // rattler_lock/src/parse/deserialize.rs:167-188: `channels` and `packages` have no default.
    for (const field of ['channels', 'packages'])
      if (!(field in env))
        throw new LockFormatError(
          `pixi.lock is not readable: environment '${name}' has no \`${field}\` (missing field \`${field}\`): the file is cut short or was edited`,
          lockLine(text, name),
          3,
        );
    const channels = (Array.isArray(env.channels) ? env.channels : []).flatMap((c) =>
      isObject(c) && typeof c.url === 'string' ? [c.url] : typeof c === 'string' ? [c] : [],
    );
    const platforms = new Map<string, LockedPackage[]>();
    for (const [platform, list] of Object.entries(isObject(env.packages) ? env.packages : {})) {
      const packages: LockedPackage[] = [];
      for (const selector of Array.isArray(list) ? list : []) {
        if (!isObject(selector)) continue;
        const kind = 'pypi' in selector ? 'pypi' : 'conda';
        const location = selector[kind] ?? selector.conda_source;
        if (typeof location !== 'string') continue;
        const record = records.get(`${kind}:${location}`);
        // rattler_lock/src/parse/mod.rs:32-39 (MissingPackage): pixi refuses such a lock.
        if (!record && typeof selector[kind] === 'string')
          throw new LockFormatError(
            `pixi.lock is not readable: environment ${name} and platform ${platform} refers to a package that does not exist: ${location} (the file is cut short or was edited)`,
            lockLine(text, name),
            3,
          );
        if (record) packages.push(record);
        else {
          const inline = packageRecord({ ...selector, [kind]: location }, version)?.record;
          if (inline) packages.push(inline);
        }
      }
      platforms.set(platform, packages);
    }
    environments.set(name, { channels, platforms });
  }
  return { version, environments, platforms };
}

/** The package an entry of the lock describes, and the URL or path the environments refer to it by. */
function packageRecord(entry: Json, version: number): { record: LockedPackage; location: string } | null {
  const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
  if (version === 5 || 'kind' in entry) {
    const kind = entry.kind === 'pypi' ? 'pypi' : 'conda';
    const location = str(entry.url) ?? str(entry.path);
    const name = str(entry.name);
    const pkgVersion = str(entry.version);
    if (!location || !name || pkgVersion === undefined) return null;
    return { record: withPurls({ kind, name, version: pkgVersion, build: str(entry.build) ?? null }, entry), location };
  }
  const kind = 'pypi' in entry ? 'pypi' : 'conda';
  const location = str(entry[kind]) ?? str(entry.conda_source);
  if (!location) return null;
  // v6/v7 omit name/version/build when the file name says them.
  const fromFile = kind === 'conda' ? parseCondaFileName(location) : null;
  const name = str(entry.name) ?? fromFile?.name;
  const pkgVersion = str(entry.version) ?? fromFile?.version;
  if (!name || pkgVersion === undefined) return null;
  const build = str(entry.build) ?? fromFile?.build ?? null;
  return { record: withPurls({ kind, name, version: pkgVersion, build }, entry), location };
}

/** Line of `environments:` or of one environment's key in the lock text, for findings. */
export function lockLine(text: string, environment?: string): number {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^environments:\s*$/.test(l));
  if (start < 0) return 1;
  if (environment === undefined) return start + 1;
  for (let i = start + 1; i < lines.length && !/^\S/.test(lines[i]!); i++) {
    const match = /^ {2}(["']?)(.+)\1:\s*$/.exec(lines[i]!);
    if (match && match[2] === environment) return i + 1;
  }
  return start + 1;
}

/** Line of a row's entry in the top-level `platforms` list (`- name: p1`), or null. */
export function lockPlatformLine(text: string, name: string): number | null {
  const index = text.split('\n').findIndex((line) => line.trimEnd() === `- name: ${name}`);
  return index < 0 ? null : index + 1;
}
