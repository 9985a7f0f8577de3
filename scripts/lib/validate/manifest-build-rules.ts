// pixi's rules for source packages and inherited dependencies (pixi_manifest toml/manifest.rs,
// toml/package.rs, utils/inheritable_package_map.rs, toml/dev.rs at pixi 0.77): `[package]` and
// source (git / path / url to a directory) conda dependencies need the `pixi-build` preview; with
// it, host/build dependencies belong to the package only (without it they are deprecated at the
// feature level); `{ workspace = true }` takes its version and source from [workspace.dependencies]
// (build_backend.rs ~204-221: other keys override); [constraints] hold no source specs; a [dev] entry names exactly one source.
import { DEPENDENCY_KINDS, type ManifestModel } from './manifest-model.ts';
import { escapePointer } from './json-pointer.ts';
import { asTable, isTable } from './text.ts';
import type { IssueList } from './types.ts';

/** One dependency table of the manifest, where it is and what it is called in messages. */
interface DependencyTable {
  table: Record<string, unknown>;
  pointer: string;
  kind: string;
  /** A [package…] table (where host/build dependencies and pins belong). */
  inPackage: boolean;
}

const PACKAGE_KINDS = ['host-dependencies', 'build-dependencies', 'run-dependencies', 'dependencies'];
const SOURCE_KEYS = ['git', 'path', 'url'] as const;

/** `git`, or a `path`/`url` that is not a package archive: a source pixi-build has to build. */
function isSourceSpec(spec: unknown): boolean {
  if (!isTable(spec)) return false;
  if (typeof spec.git === 'string') return true;
  const location = typeof spec.path === 'string' ? spec.path : typeof spec.url === 'string' ? spec.url : null;
  return location !== null && !/\.(conda|tar\.bz2)$/i.test(location);
}

function dependencyTables(model: ManifestModel): DependencyTable[] {
  const out: DependencyTable[] = [];
  const collect = (owner: Record<string, unknown>, pointer: string, kinds: readonly string[], inPackage: boolean) => {
    for (const kind of kinds)
      if (isTable(owner[kind]))
        out.push({ table: asTable(owner[kind]), pointer: `${pointer}/${kind}`, kind, inPackage });
    for (const [selector, target] of Object.entries(asTable(owner.target)))
      for (const kind of kinds)
        if (isTable(asTable(target)[kind]))
          out.push({
            table: asTable(asTable(target)[kind]),
            pointer: `${pointer}/target/${escapePointer(selector)}/${kind}`,
            kind,
            inPackage,
          });
  };
  for (const feature of model.features()) collect(feature.table, feature.pointer, DEPENDENCY_KINDS, false);
  if (isTable(model.data.package)) collect(asTable(model.data.package), '/package', PACKAGE_KINDS, true);
  return out;
}

function pixiBuildEnabled(model: ManifestModel): boolean {
  const preview = model.workspace.preview;
  return preview === true || (Array.isArray(preview) && preview.includes('pixi-build'));
}

export function checkBuildRules(model: ManifestModel, file: string, issues: IssueList): void {
  const preview = pixiBuildEnabled(model);
  const pool = asTable(model.workspace.dependencies);
  const workspaceKey = model.workspaceKey ?? 'workspace';
  if (!preview && isTable(model.data.package))
    issues.error({
      file,
      pointer: '/package',
      rule: 'manifest/pixi-build-preview',
      message: '[package] section is only allowed when the `pixi-build` preview flag is enabled',
      hint: `add preview = ["pixi-build"] to [${workspaceKey}]`,
      at: 'key',
    });
  for (const deps of dependencyTables(model)) {
    checkHostBuildPlacement(deps, preview, file, issues);
    for (const [name, spec] of Object.entries(deps.table)) {
      const pointer = `${deps.pointer}/${escapePointer(name)}`;
      checkVersionOperator(name, spec, pointer, file, issues);
      const inherited = isTable(spec) && 'workspace' in spec;
      if (inherited) checkInherited(name, spec, pool, pointer, workspaceKey, file, issues);
      const effective = inherited && spec.workspace === true ? pool[name] : spec;
      if (!preview && isSourceSpec(effective))
        issues.error({
          file,
          pointer,
          rule: 'manifest/pixi-build-preview',
          message: `conda source dependencies are not allowed without enabling the 'pixi-build' preview flag ('${name}')`,
          hint: `add preview = ["pixi-build"] to [${workspaceKey}], or depend on a built package`,
        });
    }
  }
  checkConstraints(model, file, issues);
  checkDev(model, file, issues);
}

const VERSION_OPERATORS = new Set(['', '==', '!=', '>=', '<=', '>', '<', '~=', '=']);

/**
 * The operator of each constraint of a conda version spec is one rattler knows ("invalid operator
 * '!'" otherwise: rattler_conda_types version_spec). Only the operator is judged here: the rest of
 * the spec is left to pixi (no parser is loaded on validate's path).
 */
function checkVersionOperator(name: string, spec: unknown, pointer: string, file: string, issues: IssueList): void {
  const text =
    typeof spec === 'string' ? spec : isTable(spec) && typeof spec.version === 'string' ? spec.version : null;
  if (text === null) return;
  for (const part of text.split(/[,|]/)) {
    const operator = /^\s*([<>=!~]*)/.exec(part)![1]!;
    if (VERSION_OPERATORS.has(operator)) continue;
    issues.error({
      file,
      pointer: typeof spec === 'string' ? pointer : `${pointer}/version`,
      rule: 'manifest/version-spec',
      message: `invalid operator '${operator}' in the version spec of '${name}'`,
      hint: 'use ==, !=, >=, <=, >, <, ~= or = (e.g. ">=1.2,<2")',
    });
    return;
  }
}

function checkHostBuildPlacement(deps: DependencyTable, preview: boolean, file: string, issues: IssueList): void {
  if (deps.inPackage || (deps.kind !== 'host-dependencies' && deps.kind !== 'build-dependencies')) return;
  if (preview)
    issues.error({
      file,
      pointer: deps.pointer,
      rule: 'manifest/pixi-build-preview',
      message: `When \`pixi-build\` is enabled, ${deps.kind} can only be specified for a package.`,
      hint: `move them to [package.${deps.kind}]`,
      at: 'key',
    });
  else
    issues.warning({
      file,
      pointer: deps.pointer,
      rule: 'manifest/deprecated-key',
      message: `The \`${deps.kind}\` field is deprecated (pixi 0.57). Use \`dependencies\` instead.`,
      hint: 'move these packages to [dependencies] (pixi treats them alike outside a package)',
      at: 'key',
    });
}

/** `name = { workspace = true }`: inherits [workspace.dependencies].name (inheritable_package_map.rs). */
function checkInherited(
  name: string,
  spec: Record<string, unknown>,
  pool: Record<string, unknown>,
  pointer: string,
  workspaceKey: string,
  file: string,
  issues: IssueList,
): void {
  const error = (message: string, hint: string, at: 'key' | 'value' = 'value', where = pointer) =>
    issues.error({ file, pointer: where, rule: 'manifest/workspace-inheritance', message, hint, at });
  if (spec.workspace !== true) {
    error(
      '`workspace` cannot be false',
      'write `workspace = true` to inherit the spec, or give the spec itself',
      'value',
      `${pointer}/workspace`,
    );
    return;
  }
  // The version and the source location stay the workspace entry's; build, channel… override it.
  for (const key of Object.keys(spec))
    if (key === 'version' || (SOURCE_KEYS as readonly string[]).includes(key))
      error(
        `\`${key}\` is mutually exclusive with \`workspace\` ('${name}')`,
        `set ${key} in [${workspaceKey}.dependencies] instead`,
        'key',
        `${pointer}/${escapePointer(key)}`,
      );
  if (!Object.hasOwn(pool, name)) {
    error(
      `the workspace does not define \`${name}\` in \`[workspace.dependencies]\``,
      `add ${name} to [${workspaceKey}.dependencies], or give its spec here`,
    );
    return;
  }
  if ('package' in spec && !isSourceSpec(pool[name]))
    error(
      `an inline package definition requires a \`git\`, \`path\` or \`url\` source location ('${name}')`,
      `give ${name} a git, path or url in [${workspaceKey}.dependencies], or drop \`package\``,
      'key',
      `${pointer}/package`,
    );
}

function checkConstraints(model: ManifestModel, file: string, issues: IssueList): void {
  for (const feature of model.features())
    for (const [name, spec] of Object.entries(asTable(feature.table.constraints)))
      if (isTable(spec) && SOURCE_KEYS.some((key) => key in spec))
        issues.error({
          file,
          pointer: `${feature.pointer}/constraints/${escapePointer(name)}`,
          rule: 'manifest/constraint-source',
          message: `source specifications are not supported in \`[constraints]\`, but '${name}' is a source specification`,
          hint: 'constrain a version (e.g. ">=1.2"), or move the source spec to [dependencies]',
        });
}

/** [dev] entries are source packages whose dependencies pixi installs: one git, path or url each (toml/dev.rs). */
function checkDev(model: ManifestModel, file: string, issues: IssueList): void {
  for (const feature of model.features())
    for (const [name, spec] of Object.entries(asTable(feature.table.dev))) {
      const sources = isTable(spec) ? SOURCE_KEYS.filter((key) => key in spec) : [];
      if (sources.length === 1) continue;
      issues.error({
        file,
        pointer: `${feature.pointer}/dev/${escapePointer(name)}`,
        rule: 'manifest/dev-source',
        message:
          sources.length === 0
            ? `failed to parse dev dependency '${name}': must specify one of \`path\`, \`url\`, or \`git\``
            : `failed to parse dev dependency '${name}': only one of \`url\`, \`path\`, or \`git\` can be specified`,
        hint: 'give the entry exactly one of path, url or git',
      });
    }
}
