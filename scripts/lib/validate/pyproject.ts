// A pyproject.toml seen as the pixi manifest pixi makes of it (pixi_manifest/src/pyproject.rs,
// into_workspace_manifest): [tool.pixi.*] is the manifest; every [project.optional-dependencies]
// extra and [dependency-groups] group is a feature of that name with those PyPI dependencies;
// [project] dependencies are PyPI dependencies of the default feature; `requires-python` becomes
// the `python` conda dependency when [tool.pixi.dependencies] has none. [project] itself is
// PEP 621, not pixi's old table. The template's settings live in [tool.pixi-condor].
// Every place in the view maps back to a place in pyproject.toml, so findings point into it.
import { escapePointer, splitPointer } from './json-pointer.ts';
import { asTable, isTable } from './text.ts';

type Table = Record<string, unknown>;

export interface ManifestView {
  /** The manifest as pixi composes it, in pixi.toml's shape. */
  data: Table;
  /** Where a pointer into `data` is written in the source file. */
  sourcePointer(pointer: string): string;
  /** Where a table of `data` is named in the source, for messages: `tool.pixi.feature.x`. */
  prefix: string;
  /** What pixi refuses in the file outside the manifest it makes (pyproject's [project]). */
  problems: { pointer: string; message: string; hint: string }[];
  /** Features pixi makes itself (a pyproject's extras and dependency groups): never warned as unused. */
  implicitFeatures?: ReadonlySet<string>;
}

export function pixiTomlView(data: Table): ManifestView {
  return { data, sourcePointer: (pointer) => pointer, prefix: '', problems: [] };
}

/** PEP 508: the distribution name at the start of a requirement string. */
export function requirementName(requirement: string): string | null {
  return /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/.exec(requirement)?.[1] ?? null;
}

/** PyPI names of a dependency group, following `{ include-group = "..." }` (PEP 735) once per group. */
function groupNames(groups: Table, name: string, seen = new Set<string>()): string[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const list = groups[name];
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry): string[] => {
    if (typeof entry === 'string') {
      const found = requirementName(entry);
      return found ? [found] : [];
    }
    if (isTable(entry) && typeof entry['include-group'] === 'string')
      return groupNames(groups, entry['include-group'], seen);
    return [];
  });
}

export function pyprojectView(document: Table): ManifestView {
  const tool = asTable(document.tool);
  const pixi = asTable(tool.pixi);
  const project = asTable(document.project);
  const data: Table = { ...pixi };
  if ('pixi-condor' in tool) data.tool = { ...asTable(pixi.tool), 'pixi-condor': tool['pixi-condor'] };

  // Features from extras and dependency groups (added to a [tool.pixi.feature.<name>] of the same name).
  const synthesized = new Map<string, string>();
  const features: Table = { ...asTable(pixi.feature) };
  const extras = asTable(project['optional-dependencies']);
  const groups = asTable(document['dependency-groups']);
  const addFeature = (name: string, names: string[], source: string) => {
    const existing = asTable(features[name]);
    if (!isTable(features[name])) synthesized.set(name, source);
    const pypi: Table = {};
    for (const dependency of names) pypi[dependency] = '*';
    features[name] = { ...existing, 'pypi-dependencies': { ...pypi, ...asTable(existing['pypi-dependencies']) } };
  };
  for (const [name, list] of Object.entries(extras)) {
    const names = Array.isArray(list)
      ? list.flatMap((r) => (typeof r === 'string' ? [requirementName(r)].filter((n) => n !== null) : []))
      : [];
    addFeature(name, names as string[], `/project/optional-dependencies/${escapePointer(name)}`);
  }
  for (const name of Object.keys(groups))
    addFeature(name, groupNames(groups, name), `/dependency-groups/${escapePointer(name)}`);
  if (Object.keys(features).length > 0) data.feature = features;

  // [project] dependencies join the default feature's PyPI dependencies.
  const fromProject = new Set<string>();
  if (Array.isArray(project.dependencies)) {
    const pypi: Table = {};
    for (const requirement of project.dependencies) {
      const name = typeof requirement === 'string' ? requirementName(requirement) : null;
      if (name) {
        pypi[name] = '*';
        fromProject.add(name);
      }
    }
    if (fromProject.size > 0) data['pypi-dependencies'] = { ...pypi, ...asTable(pixi['pypi-dependencies']) };
  }
  let pythonFromProject = false;
  const dependencies = asTable(pixi.dependencies);
  if (!('python' in dependencies)) {
    const spec = typeof project['requires-python'] === 'string' ? pythonSpecOf(project['requires-python']) : '*';
    data.dependencies = { ...dependencies, python: spec };
    pythonFromProject = true;
  }

  const sourcePointer = (pointer: string): string => {
    const segments = splitPointer(pointer);
    if (segments[0] === 'tool' && segments[1] === 'pixi-condor') return pointer;
    if (segments[0] === 'feature' && segments[1] !== undefined && synthesized.has(segments[1]))
      return synthesized.get(segments[1])!;
    if (segments[0] === 'pypi-dependencies' && segments[1] !== undefined && fromProject.has(segments[1]))
      return segments[1] in asTable(pixi['pypi-dependencies']) ? `/tool/pixi${pointer}` : '/project/dependencies';
    if (pythonFromProject && segments[0] === 'dependencies' && segments[1] === 'python')
      return 'requires-python' in project ? '/project/requires-python' : '/project';
    return `/tool/pixi${pointer}`;
  };
  // toml/pyproject.rs:276: pixi reads [project] (PEP 621) with a required name.
  const problems =
    isTable(document.project) && typeof project.name !== 'string'
      ? [
          {
            pointer: '/project',
            message: "[project] is missing 'name' (pixi: missing field `name`)",
            hint: 'add name = "your-project" to [project] (PEP 621 requires it)',
          },
        ]
      : [];
  // pixi adds extras and groups as features of their own and never calls them unused
  // (toml/manifest.rs: they are not in feature_name_to_span); one [tool.pixi.feature] defines too is its own.
  const implicitFeatures = new Set(synthesized.keys());
  return { data, sourcePointer, prefix: 'tool.pixi', problems, implicitFeatures };
}

/**
 * `requires-python` as pixi makes it python's conda spec: the PEP 440 specifiers as they print
 * (each without its spaces, joined by ", "), less a leading `==` (pyproject.rs version_or_url_to_spec).
 */
function pythonSpecOf(requiresPython: string): string {
  const text = requiresPython
    .split(',')
    .map((clause) => clause.replace(/\s+/g, ''))
    .filter(Boolean)
    .join(', ');
  return text.startsWith('==') ? text.slice(2) : text;
}
