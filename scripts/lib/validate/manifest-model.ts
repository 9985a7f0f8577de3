// A read-only view of a parsed pixi manifest as pixi composes it: features (the top-level
// tables are the `default` feature), environments (an implicit `default` when none is named),
// platforms (plain subdirs and rich platform tables), tasks wherever they are defined, and the
// dependencies an environment has on one platform. Every accessor tolerates a manifest the
// schema rejected: wrong types are skipped, never thrown on.
import { asStringList, asTable, isTable } from './text.ts';
import { escapePointer, pointerOf } from './json-pointer.ts';
import { globRegex } from '../image/glob.ts';
import { readPlatformEntry, type VirtualPackage } from './rich-platform.ts';

/** conda subdirs pixi knows (pixi.md §b.2). */
export const CONDA_SUBDIRS = [
  'emscripten-wasm32',
  'linux-32',
  'linux-64',
  'linux-aarch64',
  'linux-armv6l',
  'linux-armv7l',
  'linux-ppc64',
  'linux-ppc64le',
  'linux-riscv32',
  'linux-riscv64',
  'linux-s390x',
  'noarch',
  'osx-64',
  'osx-arm64',
  'unknown',
  'wasi-wasm32',
  'win-32',
  'win-64',
  'win-arm64',
  'zos-z',
];
/** Target selectors that name a family of platforms. */
export const PLATFORM_FAMILIES = ['linux', 'osx', 'win', 'unix'];

export const DEPENDENCY_KINDS = ['dependencies', 'host-dependencies', 'build-dependencies'] as const;

export interface PlatformEntry {
  name: string;
  /** conda subdir the platform solves for (null when the entry names none we know). */
  subdir: string | null;
  pointer: string;
  /** A plain subdir platform: named after its subdir, no virtual package beyond the subdir's defaults. */
  isSubdir: boolean;
  /** The virtual packages it stands for, the subdir's defaults among them, as a lock writes them (`__cuda=12.9`). */
  virtualPackages: readonly VirtualPackage[];
  /** Those that are not a subdir default, sorted: with the subdir, its identity in a lock (rich-platform.ts). */
  customised: string[];
  /** The rich entry's `cuda` as written (its `driver` for the table form). */
  cuda?: string;
  /** The GPU compute capability it declares: `cuda = { driver, arch }` or a raw `__cuda_arch`. */
  cudaArch?: { value: string; pointer: string };
}

export interface FeatureView {
  name: string;
  /** Pointer of the feature's table ('' for the default feature = the top level). */
  pointer: string;
  table: Record<string, unknown>;
}

export interface EnvironmentView {
  name: string;
  /** Pointer of its entry in [environments] ('' for the implicit default environment). */
  pointer: string;
  /** Feature names as written, with the pointer of each. */
  featureRefs: { name: string; pointer: string }[];
  noDefaultFeature: boolean;
  /** The environment's own inline content (pixi >= 0.74), treated as one more feature. */
  inline: FeatureView | null;
}

export interface TaskView {
  name: string;
  pointer: string;
  definition: unknown;
  /** Feature (or `env:<name>` for inline environment tasks) the task belongs to. */
  owner: string;
}

export interface DependencySpec {
  name: string;
  spec: unknown;
  pointer: string;
  kind: 'conda' | 'pypi';
}

/** A table that may hold dependencies: a feature's own, or one of its `target.<selector>` tables. */
interface Section {
  table: Record<string, unknown>;
  pointer: string;
}

export class ManifestModel {
  readonly data: Record<string, unknown>;
  /** `workspace` or the legacy `project`. */
  readonly workspaceKey: 'workspace' | 'project' | null;
  readonly workspace: Record<string, unknown>;

  /** Features pixi makes itself (a pyproject's extras and groups): never warned as unused. */
  readonly implicitFeatures: ReadonlySet<string>;

  constructor(data: Record<string, unknown>, implicitFeatures: ReadonlySet<string> = new Set()) {
    this.data = data;
    this.implicitFeatures = implicitFeatures;
    this.workspaceKey = isTable(data.workspace) ? 'workspace' : isTable(data.project) ? 'project' : null;
    this.workspace = this.workspaceKey ? asTable(data[this.workspaceKey]) : {};
  }
  /** Does the workspace's requires-pixi admit some pixi older than `version`? (None set: no.) */
  admitsPixiBelow(version: string): boolean {
    const requires = this.workspace['requires-pixi'];
    return typeof requires === 'string' && admitsBelow(requires, version);
  }

  /** The workspace's platforms (computed once: every environment asks). */
  platforms(): PlatformEntry[] {
    this.platformCache ??= this.readPlatforms();
    return this.platformCache.entries;
  }

  /** What pixi refuses in the workspace's platform entries (rich-platform.ts), each at its pointer. */
  platformProblems(): { pointer: string; message: string }[] {
    this.platformCache ??= this.readPlatforms();
    return this.platformCache.problems;
  }

  private readPlatforms(): { entries: PlatformEntry[]; problems: { pointer: string; message: string }[] } {
    const list = this.workspace.platforms;
    const problems: { pointer: string; message: string }[] = [];
    if (!Array.isArray(list)) return { entries: [], problems };
    const base = ['', this.workspaceKey ?? 'workspace', 'platforms'];
    const entries = list.flatMap((entry, i): PlatformEntry[] => {
      const pointer = pointerOf([...base.slice(1), i]);
      const read = readPlatformEntry(entry, CONDA_SUBDIRS);
      if (!read) return [];
      for (const problem of read.problems)
        problems.push({
          pointer: problem.key === null ? pointer : `${pointer}/${escapePointer(problem.key)}`,
          message: problem.message,
        });
      if (read.name === null) return [];
      const cuda = read.virtualPackages.find((vp) => vp.name === '__cuda');
      const table = isTable(entry) ? entry : {};
      // pixi_manifest/src/toml/platform.rs take_cuda_entry: `arch` declares __cuda_arch beside __cuda.
      const arch =
        isTable(table.cuda) && typeof table.cuda.arch === 'string'
          ? { value: table.cuda.arch, pointer: `${pointer}/cuda/arch` }
          : typeof table.__cuda_arch === 'string'
            ? { value: table.__cuda_arch, pointer: `${pointer}/__cuda_arch` }
            : undefined;
      return [
        {
          name: read.name,
          subdir: read.subdir,
          pointer,
          isSubdir: read.isSubdir,
          virtualPackages: read.virtualPackages,
          customised: read.customised,
          ...(cuda !== undefined ? { cuda: cudaText(table.cuda) ?? cuda.version } : {}),
          ...(arch !== undefined ? { cudaArch: arch } : {}),
        },
      ];
    });
    return { entries, problems };
  }

  // Checks ask for the same views once per environment and platform: compute each once.
  private platformCache: { entries: PlatformEntry[]; problems: { pointer: string; message: string }[] } | null = null;
  private featureCache: FeatureView[] | null = null;
  private featureIndex: Map<string, FeatureView> | null = null;
  private environmentCache: EnvironmentView[] | null = null;
  private environmentIndex: Map<string, EnvironmentView> | null = null;
  private taskCache: TaskView[] | null = null;
  private readonly environmentFeatureCache = new Map<EnvironmentView, FeatureView[]>();
  private readonly environmentPlatformCache = new Map<EnvironmentView, PlatformEntry[]>();
  private readonly featurePlatformCache = new Map<FeatureView, Set<string>>();
  private readonly sectionCache = new Map<FeatureView, Map<PlatformEntry, Section[]>>();

  /** The default feature first, then [feature.*] in order. */
  features(): FeatureView[] {
    this.featureCache ??= this.readFeatures();
    return this.featureCache;
  }

  private readFeatures(): FeatureView[] {
    const named = Object.entries(asTable(this.data.feature)).map(([name, table]) => ({
      name,
      pointer: `/feature/${escapePointer(name)}`,
      table: asTable(table),
    }));
    return [{ name: 'default', pointer: '', table: this.data }, ...named];
  }

  feature(name: string): FeatureView | undefined {
    this.featureIndex ??= new Map(this.features().map((f) => [f.name, f]));
    return this.featureIndex.get(name);
  }

  environments(): EnvironmentView[] {
    this.environmentCache ??= this.readEnvironments();
    return this.environmentCache;
  }

  private readEnvironments(): EnvironmentView[] {
    const declared = asTable(this.data.environments);
    const views: EnvironmentView[] = Object.entries(declared).map(([name, value]) => {
      const pointer = `/environments/${escapePointer(name)}`;
      if (Array.isArray(value)) {
        return { name, pointer, featureRefs: featureRefs(value, pointer), noDefaultFeature: false, inline: null };
      }
      const table = asTable(value);
      return {
        name,
        pointer,
        featureRefs: featureRefs(table.features, `${pointer}/features`),
        noDefaultFeature: table['no-default-feature'] === true,
        inline: { name: `env:${name}`, pointer, table },
      };
    });
    if (!('default' in declared))
      views.unshift({ name: 'default', pointer: '', featureRefs: [], noDefaultFeature: false, inline: null });
    return views;
  }

  environment(name: string): EnvironmentView | undefined {
    this.environmentIndex ??= new Map(this.environments().map((e) => [e.name, e]));
    return this.environmentIndex.get(name);
  }

  /** The features an environment is made of, in pixi's order (its own first, default last). */
  environmentFeatures(env: EnvironmentView): FeatureView[] {
    let list = this.environmentFeatureCache.get(env);
    if (list) return list;
    list = [];
    if (env.inline) list.push(env.inline);
    for (const ref of env.featureRefs) {
      const feature = this.feature(ref.name);
      if (feature && !list.includes(feature)) list.push(feature);
    }
    if (!env.noDefaultFeature) list.push(this.feature('default')!);
    this.environmentFeatureCache.set(env, list);
    return list;
  }

  /**
   * Platforms of an environment, as pixi narrows the workspace's (features_ext.rs `platforms`):
   * those every feature that lists platforms names, by name or by subdir; then, on a subdir where
   * some feature names a platform exactly, only the exactly named ones (a feature limited to
   * `linux-64` does not bring in a `linux-64-cuda` beside it, prefix-dev/pixi#6493).
   */
  environmentPlatforms(env: EnvironmentView): PlatformEntry[] {
    const known = this.environmentPlatformCache.get(env);
    if (known) return known;
    let platforms = this.platforms();
    const exactNames = new Set<string>();
    for (const feature of this.environmentFeatures(env)) {
      if (feature.name === 'default' || !Array.isArray(feature.table.platforms)) continue;
      let allowed = this.featurePlatformCache.get(feature);
      if (!allowed) this.featurePlatformCache.set(feature, (allowed = new Set(asStringList(feature.table.platforms))));
      for (const name of allowed) exactNames.add(name);
      platforms = platforms.filter((p) => allowed.has(p.name) || (p.subdir !== null && allowed.has(p.subdir)));
    }
    if (exactNames.size > 0) {
      const exactSubdirs = new Set(this.platforms().flatMap((p) => (exactNames.has(p.name) ? [p.subdir] : [])));
      platforms = platforms.filter((p) => exactNames.has(p.name) || !exactSubdirs.has(p.subdir));
    }
    this.environmentPlatformCache.set(env, platforms);
    return platforms;
  }

  /**
   * Direct dependencies of an environment on one platform, by priority: an earlier feature over
   * a later one, a matching target section over the feature's plain one.
   */
  dependencies(env: EnvironmentView, platform: PlatformEntry): DependencySpec[] {
    const result = new Map<string, DependencySpec>();
    // Lowest priority first, so that what matters more overwrites it.
    const features = this.environmentFeatures(env);
    for (let f = features.length - 1; f >= 0; f--) {
      for (const section of this.sections(features[f]!, platform)) {
        for (const kind of DEPENDENCY_KINDS) {
          for (const [name, spec] of Object.entries(asTable(section.table[kind]))) {
            result.set(`conda:${name}`, {
              name,
              spec,
              pointer: `${section.pointer}/${kind}/${escapePointer(name)}`,
              kind: 'conda',
            });
          }
        }
        for (const [name, spec] of Object.entries(asTable(section.table['pypi-dependencies']))) {
          result.set(`pypi:${name}`, {
            name,
            spec,
            pointer: `${section.pointer}/pypi-dependencies/${escapePointer(name)}`,
            kind: 'pypi',
          });
        }
      }
    }
    return [...result.values()];
  }

  /** The one conda dependency `name` of an environment on a platform (what dependencies() would list). */
  condaDependency(env: EnvironmentView, platform: PlatformEntry, name: string): DependencySpec | undefined {
    // Highest priority first: the first one found wins.
    for (const feature of this.environmentFeatures(env)) {
      const sections = this.sections(feature, platform);
      for (let s = sections.length - 1; s >= 0; s--) {
        const section = sections[s]!;
        for (let k = DEPENDENCY_KINDS.length - 1; k >= 0; k--) {
          const kind = DEPENDENCY_KINDS[k]!;
          const table = section.table[kind];
          if (isTable(table) && Object.hasOwn(table, name))
            return {
              name,
              spec: table[name],
              pointer: `${section.pointer}/${kind}/${escapePointer(name)}`,
              kind: 'conda',
            };
        }
      }
    }
    return undefined;
  }

  /** A feature's plain table, then its target tables that apply to `platform`, in order. */
  private sections(feature: FeatureView, platform: PlatformEntry): Section[] {
    let byPlatform = this.sectionCache.get(feature);
    if (!byPlatform) this.sectionCache.set(feature, (byPlatform = new Map()));
    let sections = byPlatform.get(platform);
    if (sections) return sections;
    sections = [{ table: feature.table, pointer: feature.pointer }];
    if (isTable(feature.table.target)) {
      for (const [selector, target] of Object.entries(feature.table.target)) {
        if (targetMatches(selector, platform))
          sections.push({ table: asTable(target), pointer: `${feature.pointer}/target/${escapePointer(selector)}` });
      }
    }
    byPlatform.set(platform, sections);
    return sections;
  }

  /** Every task: top level, per feature, per target, per inline environment. */
  tasks(): TaskView[] {
    this.taskCache ??= this.readTasks();
    return this.taskCache;
  }

  private readTasks(): TaskView[] {
    const tasks: TaskView[] = [];
    const collect = (table: Record<string, unknown>, pointer: string, owner: string) => {
      if (isTable(table.tasks)) {
        for (const [name, definition] of Object.entries(table.tasks))
          tasks.push({ name, pointer: `${pointer}/tasks/${escapePointer(name)}`, definition, owner });
      }
      if (!isTable(table.target)) return;
      for (const [selector, target] of Object.entries(table.target)) {
        if (!isTable(target) || !isTable(target.tasks)) continue;
        for (const [name, definition] of Object.entries(target.tasks)) {
          tasks.push({
            name,
            pointer: `${pointer}/target/${escapePointer(selector)}/tasks/${escapePointer(name)}`,
            definition,
            owner,
          });
        }
      }
    };
    for (const feature of this.features()) collect(feature.table, feature.pointer, feature.name);
    for (const env of this.environments()) if (env.inline) collect(env.inline.table, env.pointer, env.inline.name);
    return tasks;
  }

  /** The CUDA an environment declares for a platform: rich platform entry, else system-requirements. */
  declaredCuda(env: EnvironmentView, platform: PlatformEntry | undefined): { value: string; pointer: string } | null {
    if (platform?.cuda) return { value: platform.cuda, pointer: `${platform.pointer}/cuda` };
    for (const feature of this.environmentFeatures(env)) {
      const cuda = asTable(feature.table['system-requirements']).cuda;
      if (typeof cuda === 'string' || typeof cuda === 'number') {
        return { value: String(cuda), pointer: `${feature.pointer}${pointerOf(['system-requirements', 'cuda'])}` };
      }
    }
    return null;
  }
}

function featureRefs(value: unknown, pointer: string): { name: string; pointer: string }[] {
  const refs: { name: string; pointer: string }[] = [];
  if (!Array.isArray(value)) return refs;
  for (let i = 0; i < value.length; i++)
    if (typeof value[i] === 'string') refs.push({ name: value[i] as string, pointer: `${pointer}/${i}` });
  return refs;
}

/** The entry's `cuda` as written: the string, or the table's `driver`. */
function cudaText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return isTable(value) && typeof value.driver === 'string' ? value.driver : undefined;
}

/** `cuda-*`: a glob over platform names (pixi >= 0.71 `TargetSelector::Glob`). */
export function globMatcher(selector: string): RegExp | null {
  let glob = GLOBS.get(selector);
  if (glob === undefined) GLOBS.set(selector, (glob = readGlob(selector)));
  return glob;
}

/** globMatcher's answers: asked per feature, platform and selector. */
const GLOBS = new Map<string, RegExp | null>();

function readGlob(selector: string): RegExp | null {
  // build-image's glob reader (a `[` that opens no valid class is a plain character there), without `**`.
  return /[*?[]/.test(selector) ? globRegex(selector, { doubleStar: false }) : null;
}

/** Does `[target.<selector>]` apply to `platform`: its name or subdir, a family of its subdir, a glob of its name (target.rs matches)? */
export function targetMatches(selector: string, platform: PlatformEntry): boolean {
  if (selector === platform.name || selector === platform.subdir) return true;
  const glob = globMatcher(selector);
  if (glob) return glob.test(platform.name);
  const subdir = platform.subdir ?? '';
  switch (selector) {
    case 'linux':
      return subdir.startsWith('linux-');
    case 'osx':
    case 'macos':
      return subdir.startsWith('osx-');
    case 'win':
      return subdir.startsWith('win-');
    case 'unix':
      return subdir.startsWith('linux-') || subdir.startsWith('osx-');
  }
  return false;
}

/** Does a requires-pixi spec admit some pixi older than `version`? (`<`, `<=`, `!=` always do.) */
export function admitsBelow(spec: string, version: string): boolean {
  const floor = version.split('.').map(Number);
  return spec.split('|').some((branch) =>
    branch.split(',').every((raw) => {
      const match = /^\s*(>=|==|~=|>|=)?\s*v?([0-9][0-9.]*)(?:\.\*)?\s*$/.exec(raw);
      if (!match) return true;
      const bound = match[2]!.split('.').map(Number);
      for (let i = 0; i < Math.max(bound.length, floor.length); i++)
        if ((bound[i] ?? 0) !== (floor[i] ?? 0)) return (bound[i] ?? 0) < (floor[i] ?? 0);
      return false;
    }),
  );
}
