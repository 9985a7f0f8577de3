// pixi's rules on how features combine and on a few workspace values (pixi_manifest
// toml/manifest.rs, environments.rs, system_requirements.rs, pypi_options.rs, toml/platform.rs,
// toml/conda_pypi_map.rs at pixi 0.77): a feature listed twice in an environment, two archspecs or
// two primary PyPI indexes in one environment, [system-requirements] beside platforms that carry
// virtual packages, two platform entries of one name, an empty conda-pypi-map entry (a `{}` map
// warns), an invalid SPDX license; and the warning for a feature no environment uses.
import type { ManifestModel } from './manifest-model.ts';
import { escapePointer } from './json-pointer.ts';
import { asTable, isTable } from './text.ts';
import type { IssueList } from './types.ts';

export function checkEnvironmentRules(model: ManifestModel, file: string, issues: IssueList): void {
  checkFeatureCombinations(model, file, issues);
  checkUnusedFeatures(model, file, issues);
  checkRichPlatforms(model, file, issues);
  checkWorkspaceValues(model, file, issues);
}

/** pypi_options.rs: a URL compares as parsed (`https://a.org` is `https://a.org/`). */
function normalUrl(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

function checkFeatureCombinations(model: ManifestModel, file: string, issues: IssueList): void {
  // The workspace's pypi-options are a base a feature may override (toml/manifest.rs, since pixi
  // 0.69): its index counts against the features' only where requires-pixi admits an older pixi.
  const workspaceIndex = model.admitsPixiBelow('0.69')
    ? asTable(model.workspace['pypi-options'])['index-url']
    : undefined;
  for (const env of model.environments()) {
    const seen = new Set<string>();
    for (const ref of env.featureRefs) {
      if (seen.has(ref.name))
        issues.error({
          file,
          pointer: ref.pointer,
          rule: 'manifest/duplicate-feature',
          message: `The feature '${ref.name}' is included more than once in environment '${env.name}'.`,
          hint: `list '${ref.name}' once`,
        });
      seen.add(ref.name);
    }
    const features = model.environmentFeatures(env);
    let archspec: { value: string; feature: string } | null = null;
    const indexes = new Map<string, string>();
    if (typeof workspaceIndex === 'string') indexes.set(normalUrl(workspaceIndex), 'workspace');
    for (const feature of features) {
      const arch = asTable(feature.table['system-requirements']).archspec;
      if (typeof arch === 'string') {
        if (archspec && archspec.value !== arch)
          issues.error({
            file,
            pointer: env.pointer,
            rule: 'manifest/feature-conflict',
            message: `cannot combine archspecs: '${archspec.value}' and '${arch}' (features '${archspec.feature}' and '${feature.name}' of environment '${env.name}')`,
            hint: 'give the features of one environment one archspec',
          });
        archspec ??= { value: arch, feature: feature.name };
      }
      const index = asTable(feature.table['pypi-options'])['index-url'];
      if (typeof index === 'string') indexes.set(normalUrl(index), feature.name);
    }
    if (env.pointer !== '' && indexes.size > 1) {
      const [a, b] = [...indexes.keys()].sort();
      issues.error({
        file,
        pointer: env.pointer,
        rule: 'manifest/feature-conflict',
        message: `multiple primary pypi indexes are not supported, found both ${a} and ${b} across multiple pypi options (environment '${env.name}')`,
        hint: 'keep one index-url per environment; add the others as extra-index-urls',
      });
    }
  }
}

/** toml/manifest.rs ~546: a feature no environment names is not solved (a warning). */
function checkUnusedFeatures(model: ManifestModel, file: string, issues: IssueList): void {
  const used = new Set(model.environments().flatMap((env) => env.featureRefs.map((ref) => ref.name)));
  for (const feature of model.features()) {
    if (feature.name === 'default' || used.has(feature.name) || model.implicitFeatures.has(feature.name)) continue;
    issues.warning({
      file,
      pointer: feature.pointer,
      rule: 'manifest/unused-feature',
      message: `The feature '${feature.name}' is defined but not used in any environment: pixi does not solve or check its dependencies`,
      hint: `add it to an environment (e.g. [environments] ${feature.name} = ["${feature.name}"]) or remove it`,
      at: 'key',
    });
  }
}

function checkRichPlatforms(model: ManifestModel, file: string, issues: IssueList): void {
  const wsPointer = `/${model.workspaceKey ?? 'workspace'}/platforms`;
  const names = new Map<string, number>();
  // What pixi refuses in an entry itself (toml/platform.rs): each at its key.
  for (const { pointer, message } of model.platformProblems())
    issues.error({
      file,
      pointer,
      rule: 'manifest/platform-entry',
      message: `platform entry: ${message}`,
      hint: 'see pixi\'s rich platforms: `{ platform = "linux-64", cuda = "12.9" }`, with a `name` of letters, digits and - when it needs one',
    });
  model.platforms().forEach((platform) => {
    const first = names.get(platform.name);
    if (first !== undefined)
      issues.error({
        file,
        pointer: platform.pointer,
        rule: 'manifest/duplicate-platform',
        message: `two platform entries are named '${platform.name}' (entries ${first + 1} and ${names.size + 1})`,
        hint: 'give each entry its own `name`',
      });
    else names.set(platform.name, names.size);
  });
  // Subdir platforms (a string, `{ platform = "linux-64" }`, `{ name = "osx-arm64" }`) declare nothing.
  if (model.platforms().every((p) => p.isSubdir)) return;
  for (const feature of model.features()) {
    const requirements = feature.table['system-requirements'];
    if (!isTable(requirements) || Object.keys(requirements).length === 0) continue;
    issues.error({
      file,
      pointer: `${feature.pointer}/system-requirements`,
      rule: 'manifest/system-requirements-with-platforms',
      message: `${feature.name === 'default' ? 'the workspace' : `feature '${feature.name}'`} uses \`[system-requirements]\` but ${wsPointer.slice(1).replace('/', '.')} declares per-platform virtual packages`,
      hint: 'remove the system-requirements table and declare the constraints on the platforms instead',
      at: 'key',
    });
  }
}

// SPDX license expressions: ids and LicenseRef-s joined by AND / OR / WITH, with parentheses.
const SPDX_TOKEN = /^(\(|\)|AND|OR|WITH|[A-Za-z0-9][A-Za-z0-9.+-]*)$/;

function validSpdx(text: string): boolean {
  const tokens = text.replace(/[()]/g, ' $& ').trim().split(/\s+/);
  if (tokens.length === 0 || tokens[0] === '') return false;
  let depth = 0;
  let expectId = true;
  for (const token of tokens) {
    if (!SPDX_TOKEN.test(token)) return false;
    if (token === '(') {
      if (!expectId) return false;
      depth++;
    } else if (token === ')') {
      if (expectId || --depth < 0) return false;
    } else if (token === 'AND' || token === 'OR' || token === 'WITH') {
      if (expectId) return false;
      expectId = true;
    } else {
      if (!expectId) return false;
      expectId = false;
    }
  }
  return !expectId && depth === 0;
}

function checkWorkspaceValues(model: ManifestModel, file: string, issues: IssueList): void {
  const key = model.workspaceKey ?? 'workspace';
  for (const [owner, pointer] of [
    [model.workspace, `/${key}`],
    [asTable(model.data.package), '/package'],
  ] as const) {
    const license = owner.license;
    if (typeof license === 'string' && !validSpdx(license))
      issues.error({
        file,
        pointer: `${pointer}/license`,
        rule: 'manifest/license',
        message: "'license' is not a valid SPDX expression",
        hint: 'use SPDX identifiers joined by AND / OR, e.g. "MIT" or "MIT OR Apache-2.0"',
      });
  }
  const map = model.workspace['conda-pypi-map'];
  if (!isTable(map)) return;
  if (Object.keys(map).length === 0)
    issues.warning({
      file,
      pointer: `/${key}/conda-pypi-map`,
      rule: 'manifest/empty-conda-pypi-map',
      message: '`conda-pypi-map = {}` is deprecated: an empty map has no effect',
      hint: 'remove it, or map a channel (e.g. conda-forge = "mapping.json")',
    });
  for (const [channel, entry] of Object.entries(map))
    if (isTable(entry) && Object.keys(entry).length === 0)
      issues.error({
        file,
        pointer: `/${key}/conda-pypi-map/${escapePointer(channel)}`,
        rule: 'manifest/empty-conda-pypi-map',
        message: `conda-pypi-map entry '${channel}' expected at least one of \`location\`, \`mapping\`, \`mapping-mode\` or \`same-name-heuristic\``,
        hint: `use \`${channel} = false\` to disable the mapping for this channel, or give it a location`,
      });
}
