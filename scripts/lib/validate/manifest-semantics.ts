// What pixi rejects (or warns about) although a JSON schema cannot say it: references between
// parts of the manifest (features, tasks, platforms, environments), task cycles, task args used
// but not declared, deprecated spellings. pixi.md §a.5 lists where the official schema is silent.
import {
  CONDA_SUBDIRS,
  DEPENDENCY_KINDS,
  type ManifestModel,
  PLATFORM_FAMILIES,
  type TaskView,
  globMatcher,
  targetMatches,
} from './manifest-model.ts';
import { cudaMajorMinor, formatCuda, pinVersionText, sameCuda } from './cuda-version.ts';
import { asTable, closest, isTable } from './text.ts';
import { escapePointer, pointerOf } from './json-pointer.ts';
import type { IssueList } from './types.ts';
import { MAX_NAME_BYTES, PLATFORM_NAME } from './rich-platform.ts';
import { checkBuildRules } from './manifest-build-rules.ts';
import { checkEnvironmentRules } from './manifest-environment-rules.ts';

export function checkManifestSemantics(model: ManifestModel, file: string, issues: IssueList): void {
  checkWorkspaceTable(model, file, issues);
  checkPlatforms(model, file, issues);
  checkFeaturesAndEnvironments(model, file, issues);
  checkTasks(model, file, issues);
  checkCudaPins(model, file, issues);
  checkSystemRequirements(model, file, issues);
  checkDuplicatePackages(model, file, issues);
  checkBuildRules(model, file, issues);
  checkEnvironmentRules(model, file, issues);
}

/**
 * conda names are case-insensitive: pixi refuses `foo` and `Foo` in one dependency table
 * (pixi_manifest/src/utils/package_map.rs:244-258, toml_span's DuplicateKey "duplicate key: `Foo`").
 */
function checkDuplicatePackages(model: ManifestModel, file: string, issues: IssueList): void {
  const tables: { table: unknown; pointer: string; name: string }[] = [];
  const collect = (owner: Record<string, unknown>, pointer: string) => {
    for (const kind of DEPENDENCY_KINDS) tables.push({ table: owner[kind], pointer: `${pointer}/${kind}`, name: kind });
    for (const [selector, target] of Object.entries(asTable(owner.target)))
      for (const kind of DEPENDENCY_KINDS)
        tables.push({
          table: asTable(target)[kind],
          pointer: `${pointer}/target/${escapePointer(selector)}/${kind}`,
          name: `target.${selector}.${kind}`,
        });
  };
  for (const feature of model.features()) collect(feature.table, feature.pointer);
  for (const { table, pointer, name } of tables) {
    if (!isTable(table)) continue;
    const seen = new Map<string, string>();
    for (const key of Object.keys(table)) {
      const normal = key.toLowerCase();
      const first = seen.get(normal);
      if (first === undefined) {
        seen.set(normal, key);
        continue;
      }
      issues.error({
        file,
        pointer: `${pointer}/${escapePointer(key)}`,
        rule: 'toml/duplicate-key',
        message: `duplicate key \`${key}\` in table \`${name}\`: conda names ignore case, so it is \`${first}\` again`,
        hint: `keep one of '${first}' and '${key}' (lower case, as conda names are written)`,
        at: 'key',
      });
    }
  }
}

/** The declared CUDA (system-requirements or rich platform) must match the cuda-version pin's major.minor. */
function checkCudaPins(model: ManifestModel, file: string, issues: IssueList): void {
  const reported = new Set<string>();
  for (const env of model.environments()) {
    for (const platform of model.environmentPlatforms(env)) {
      const declared = model.declaredCuda(env, platform);
      if (!declared) continue;
      const pin = model.condaDependency(env, platform, 'cuda-version');
      const pinText = pin ? pinVersionText(pin.spec) : null;
      if (!pin || pinText === null || reported.has(pin.pointer)) continue;
      const cuda = cudaMajorMinor(declared.value);
      const pinned = cudaMajorMinor(pinText);
      if (!cuda || !pinned || sameCuda(cuda, pinned)) continue;
      reported.add(pin.pointer);
      // cuda-version X.Y constrains `__cuda >=X` only (its record in pixi.lock): a declared
      // CUDA of a lower major cannot be solved (`pixi install` and the image build fail); the
      // same major or a higher one solves.
      const solves = cuda.major >= pinned.major;
      const report = solves ? issues.warning.bind(issues) : issues.error.bind(issues);
      report({
        file,
        pointer: pin.pointer,
        rule: 'cuda/pin-mismatch',
        message: solves
          ? `cuda-version '${pinText}' differs from CUDA ${formatCuda(cuda)} declared for environment '${env.name}' on ${platform.name} (pixi solves it; the image's CONDA_OVERRIDE_CUDA should match one of them)`
          : `cuda-version '${pinText}' does not match CUDA ${formatCuda(cuda)} declared for environment '${env.name}' on ${platform.name}: cuda-version ${pinned.major} needs __cuda >=${pinned.major}, so \`pixi install\` cannot solve it`,
        hint: `pin cuda-version = "${formatCuda(cuda)}.*", or declare CUDA ${formatCuda(pinned)} instead`,
      });
    }
  }
}

/** Does a requires-pixi spec admit some pixi >= `version`? (>=, >, <, <=, ==, =, bare and .* versions; `,` and `|`.) */
export function admitsAtLeast(spec: string, version: string): boolean {
  const parse = (v: string) =>
    v
      .replace(/\.\*$/, '')
      .split('.')
      .map((n) => Number.parseInt(n, 10) || 0);
  const compare = (a: number[], b: number[]) => {
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  const floor = parse(version);
  return spec.split('|').some((branch) =>
    branch.split(',').every((raw) => {
      const match = /^\s*(>=|<=|==|!=|~=|>|<|=)?\s*v?([0-9][0-9.]*(?:\.\*)?)\s*$/.exec(raw);
      if (!match) return true; // not understood: do not claim it excludes new pixi
      const [, op = '==', text] = match;
      const bound = parse(text!);
      const wildcard = text!.endsWith('.*');
      switch (op) {
        case '<':
          return compare(bound, floor) > 0;
        case '<=':
          return compare(bound, floor) >= 0;
        case '==':
        case '=':
          // `0.7.*` admits 0.71 only if the prefix allows a later version
          return wildcard ? compare(bound, floor.slice(0, bound.length)) >= 0 : compare(bound, floor) >= 0;
        default:
          return true; // lower bounds, != and ~= leave newer versions admitted
      }
    }),
  );
}

/** pixi 0.71 made [system-requirements] a deprecation warning (pixi_manifest toml/manifest.rs:278, warning/deprecation.rs:29-50). */
function checkSystemRequirements(model: ManifestModel, file: string, issues: IssueList): void {
  const requires = model.workspace['requires-pixi'];
  if (typeof requires === 'string' && !admitsAtLeast(requires, '0.71')) return;
  for (const feature of model.features()) {
    const table = feature.table['system-requirements'];
    if (!isTable(table) || Object.keys(table).length === 0) continue;
    const cuda = typeof table.cuda === 'string' || typeof table.cuda === 'number' ? String(table.cuda) : null;
    const platforms = model.platforms().map((p) => p.name);
    const entries = (platforms.length ? platforms : ['linux-64']).map((name) =>
      cuda && /^(linux|win)-/.test(name) ? `{ platform = "${name}", cuda = "${cuda}" }` : `"${name}"`,
    );
    issues.warning({
      file,
      pointer: `${feature.pointer}/system-requirements`,
      rule: 'manifest/deprecated-key',
      message: `the \`[system-requirements]\` table is deprecated in favor of virtual packages on \`platforms\` (pixi >= 0.71 warns on every run${typeof requires === 'string' ? `; requires-pixi "${requires}" admits it` : ''})`,
      hint: `e.g. platforms = [${entries.join(', ')}], with requires-pixi = ">=0.71"`,
      at: 'key',
    });
  }
}

function checkWorkspaceTable(model: ManifestModel, file: string, issues: IssueList): void {
  const { data } = model;
  if (isTable(data.workspace) && isTable(data.project)) {
    issues.error({
      file,
      pointer: '/project',
      rule: 'manifest/workspace-and-project',
      message: 'the manifest has both [workspace] and the legacy [project]',
      hint: 'move everything into [workspace] and delete [project]',
      at: 'key',
    });
  } else if (model.workspaceKey === 'project') {
    issues.warning({
      file,
      pointer: '/project',
      rule: 'manifest/deprecated-key',
      message: '[project] was renamed [workspace] in pixi 0.43; pixi warns about it since 0.57',
      hint: 'rename the table to [workspace] (and set requires-pixi = ">=0.43")',
      at: 'key',
    });
  }
  // Host/build dependencies outside [package]: manifest-build-rules.ts (deprecated, or an error with pixi-build).
  const build = asTable(asTable(data.package).build);
  if ('configuration' in build) {
    issues.warning({
      file,
      pointer: '/package/build/configuration',
      rule: 'manifest/deprecated-key',
      message: '[package.build.configuration] was renamed [package.build.config] in pixi 0.53',
      hint: 'rename it to config',
      at: 'key',
    });
  }
}

function checkPlatforms(model: ManifestModel, file: string, issues: IssueList): void {
  const declared = model.platforms();
  const names = new Set(declared.map((p) => p.name));
  const wsPointer = `/${model.workspaceKey ?? 'workspace'}/platforms`;
  const list = model.workspace.platforms;
  if (Array.isArray(list)) {
    list.forEach((entry, i) => {
      const platform =
        typeof entry === 'string'
          ? entry
          : isTable(entry) && typeof entry.platform === 'string'
            ? entry.platform
            : null;
      const pointer = typeof entry === 'string' ? `${wsPointer}/${i}` : `${wsPointer}/${i}/platform`;
      if (platform !== null && !CONDA_SUBDIRS.includes(platform))
        unknownPlatform(platform, pointer, CONDA_SUBDIRS, file, issues, 'is not a conda platform');
    });
  }
  const known = [...names, ...CONDA_SUBDIRS.filter((s) => names.has(s))];
  // A conda subdir a feature lists beside plain-subdir workspace platforms is loaded: pixi >= 0.71.2
  // adds it to the workspace's (toml/manifest.rs extend_originals_with_referenced_subdirs), older
  // pixi left the list as it was (workspace.rs test_remove_platforms, both). With rich entries it
  // must be declared.
  // (toml/manifest.rs all_simple_subdir: `{ platform = "linux-64" }` is a subdir platform too.)
  const plainWorkspace = declared.every((p) => p.isSubdir);
  const checkNames = (value: unknown, pointer: string, owner: string) => {
    if (!Array.isArray(value)) return;
    value.forEach((name, i) => {
      if (typeof name !== 'string' || names.has(name)) return;
      if (CONDA_SUBDIRS.includes(name) && plainWorkspace) {
        issues.warning({
          file,
          pointer: `${pointer}/${i}`,
          rule: 'manifest/feature-platform',
          message: `${owner} lists platform '${name}', which the workspace platforms do not: pixi >= 0.71.2 adds it to them, older pixi does not`,
          hint: `add '${name}' to the workspace platforms, or remove it here`,
        });
        return;
      }
      // `linux-64` beside `{ platform = "linux-64", cuda = "12.9" }`: that entry's name is derived.
      const entry = declared.find((p) => p.subdir === name);
      if (entry) {
        issues.error({
          file,
          pointer: `${pointer}/${i}`,
          rule: 'manifest/unknown-platform',
          message: `${owner} references platform '${name}' which is not declared in the workspace: the ${name} entry there is named '${entry.name}'`,
          hint: `write '${entry.name}' here, or give the entry its own name (name = "${name}")`,
        });
        return;
      }
      unknownPlatform(
        name,
        `${pointer}/${i}`,
        known,
        file,
        issues,
        CONDA_SUBDIRS.includes(name)
          ? `is listed by ${owner} but not declared in the workspace`
          : 'is not a platform of this workspace',
      );
    });
  };
  const checkTargets = (table: Record<string, unknown>, pointer: string) =>
    checkTargetSelectors(model, table, pointer, file, issues);
  for (const feature of model.features()) {
    if (feature.name !== 'default')
      checkNames(feature.table.platforms, `${feature.pointer}/platforms`, `feature '${feature.name}'`);
    checkTargets(feature.table, feature.pointer);
  }
  for (const env of model.environments()) {
    if (!env.inline) continue;
    checkNames(env.inline.table.platforms, `${env.pointer}/platforms`, `environment '${env.name}'`);
    checkTargets(env.inline.table, env.pointer);
  }
}

/**
 * A `[target.X]` selector: a subdir, a family (linux, osx, win, unix) or a platform name, and since
 * pixi 0.71 a glob. One that matches none of the platforms is a warning in pixi >= 0.71 (toml/mod.rs
 * ~151); an unknown name is an error where requires-pixi admits older pixi, whose TargetSelector
 * only parsed subdirs and families (target.rs at v0.70.0 ~489).
 */
function checkTargetSelectors(
  model: ManifestModel,
  table: Record<string, unknown>,
  pointer: string,
  file: string,
  issues: IssueList,
): void {
  const platforms = model.platforms();
  const requires = model.workspace['requires-pixi'];
  const oldPixi = model.admitsPixiBelow('0.71');
  let candidates: string[] | undefined;
  for (const selector of Object.keys(asTable(table.target))) {
    const glob = globMatcher(selector);
    const known =
      CONDA_SUBDIRS.includes(selector) ||
      PLATFORM_FAMILIES.includes(selector) ||
      platforms.some((p) => p.name === selector);
    const where = `${pointer}${pointerOf(['target', selector])}`;
    /** The one error a selector gets, its hint a did-you-mean where there is one. */
    const refuse = (message: string, fallbackHint: string): void => {
      const guess = closest(
        selector,
        (candidates ??= [...CONDA_SUBDIRS, ...PLATFORM_FAMILIES, ...platforms.map((p) => p.name)]),
      );
      issues.error({
        file,
        pointer: where,
        rule: 'manifest/unknown-platform',
        message,
        hint: guess ? `did you mean '${guess}'?` : fallbackHint,
        at: 'key',
      });
    };
    if (selector.includes('(')) {
      issues.error({
        file,
        pointer: where,
        rule: 'manifest/unknown-platform',
        message: `\`${selector}\` is not a valid target selector: expression selectors (\`if(...)\`) are only supported inside the \`[package]\` dependency tables`,
        hint: '`[target.*]` accepts platform names, families and globs only',
        at: 'key',
      });
      continue;
    }
    const unreadable = known ? null : selectorProblem(selector, glob !== null);
    if (unreadable) {
      refuse(
        `target '${selector}' is not a valid target selector: ${unreadable} (pixi refuses it)`,
        `use a platform such as linux-64, a family (${PLATFORM_FAMILIES.join(', ')}), a platform name of letters, digits and -, or a glob such as linux-*`,
      );
      continue;
    }
    if (!known && !glob && oldPixi) {
      refuse(
        `target '${selector}' is neither a platform nor one of linux, osx, win, unix (pixi before 0.71, which requires-pixi "${requires}" admits, refuses it)`,
        `use a platform such as linux-64, or a family: ${PLATFORM_FAMILIES.join(', ')}`,
      );
      continue;
    }
    const matches = platforms.some((p) => targetMatches(selector, p));
    if (matches || platforms.length === 0) continue;
    issues.warning({
      file,
      pointer: where,
      rule: 'manifest/target-no-platform',
      message: `The target selector '${selector}' does not match any of the platforms supported by the workspace: pixi ignores this table`,
      hint: glob
        ? `declare a platform whose name matches '${selector}'`
        : 'add the platform to the workspace platforms, or remove the table',
      at: 'key',
    });
  }
}

/**
 * Why pixi cannot read `selector` as a target (pixi_manifest target.rs TargetSelector::from_str,
 * platform.rs): not a family, subdir, `*` glob of name characters, or platform name (a letter,
 * then letters, digits and `-`, ending in a letter or digit, at most 64 bytes); null when it can.
 */
function selectorProblem(selector: string, isGlob: boolean): string | null {
  if (Buffer.byteLength(selector) > MAX_NAME_BYTES) return `longer than ${MAX_NAME_BYTES} bytes`;
  if (isGlob) return /^[A-Za-z0-9*-]+$/.test(selector) ? null : 'a glob may hold only letters, digits, - and *';
  if (!PLATFORM_NAME.test(selector)) return 'a platform name starts with a letter and holds only letters, digits and -';
  return null;
}

function unknownPlatform(
  name: string,
  pointer: string,
  candidates: string[],
  file: string,
  issues: IssueList,
  what: string,
): void {
  const guess = closest(name, candidates);
  issues.error({
    file,
    pointer,
    rule: 'manifest/unknown-platform',
    message: `platform '${name}' ${what}`,
    hint: guess
      ? `did you mean '${guess}'?`
      : `use one of: ${candidates.slice(0, 8).join(', ')}${candidates.length > 8 ? ', ...' : ''}`,
  });
}

function checkFeaturesAndEnvironments(model: ManifestModel, file: string, issues: IssueList): void {
  if (isTable(asTable(model.data.feature).default)) {
    issues.error({
      file,
      pointer: '/feature/default',
      rule: 'manifest/reserved-feature',
      message: "the feature name 'default' is reserved for the top-level tables",
      hint: 'rename the feature, or move its tables to the top level',
      at: 'key',
    });
  }
  let featureNames: string[] | null = null;
  let guesses = 0;
  for (const env of model.environments()) {
    for (const ref of env.featureRefs) {
      if (ref.name === 'default' || model.feature(ref.name)) continue;
      featureNames ??= model
        .features()
        .filter((f) => f.name !== 'default')
        .map((f) => f.name);
      const guess = guesses++ < GUESSES ? closest(ref.name, featureNames) : null;
      issues.error({
        file,
        pointer: ref.pointer,
        rule: 'manifest/undefined-feature',
        message: `environment '${env.name}' uses feature '${ref.name}', which is not defined`,
        hint: guess
          ? `did you mean '${guess}'? (or add [feature.${ref.name}])`
          : `add a [feature.${ref.name}] table or remove it from the list`,
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Tasks.

interface DependencyRef {
  task: string;
  environment?: string;
  pointer: string;
}

// Module-level helpers rather than closures: these run for every task, and tsx wraps each
// closure it creates in a naming call.
function addDependencyRef(refs: DependencyRef[], value: unknown, pointer: string): void {
  if (typeof value === 'string') refs.push({ task: value, pointer });
  else if (isTable(value) && typeof value.task === 'string') {
    refs.push({
      task: value.task,
      pointer: `${pointer}/task`,
      ...(typeof value.environment === 'string' ? { environment: value.environment } : {}),
    });
  }
}

function addDependencyRefs(refs: DependencyRef[], value: unknown, pointer: string): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) addDependencyRef(refs, v, `${pointer}/${i}`);
  } else addDependencyRef(refs, value, pointer);
}

/** A task's depends-on references; `deprecated`: it writes depends_on; `both`: beside depends-on. */
function dependsOn(task: TaskView): { refs: DependencyRef[]; deprecated: boolean; both: boolean } {
  const refs: DependencyRef[] = [];
  const def = task.definition;
  let deprecated = false;
  let both = false;
  if (Array.isArray(def)) addDependencyRefs(refs, def, task.pointer);
  else if (isTable(def)) {
    addDependencyRefs(refs, def['depends-on'], `${task.pointer}/depends-on`);
    if ('depends_on' in def) {
      deprecated = true;
      both = 'depends-on' in def;
      addDependencyRefs(refs, def.depends_on, `${task.pointer}/depends_on`);
    }
  }
  return { refs, deprecated, both };
}

/** `{{ name`, and whether a `| default(…)` follows the name. */
const TEMPLATE_VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)(\s*\|\s*default\b)?/g;
/** Jinja's literals, in any case. */
const TEMPLATE_LITERALS = new Set(['true', 'false', 'none']);

function checkTasks(model: ManifestModel, file: string, issues: IssueList): void {
  const tasks = model.tasks();
  const names = new Set(tasks.map((t) => t.name));
  const environments = new Set(model.environments().map((e) => e.name));
  const graph = new Map<string, { to: string; pointer: string }[]>();
  const missing: { task: string; ref: DependencyRef }[] = [];

  for (const task of tasks) {
    // pixi reads any task name (pixi_manifest task.rs: TaskName's FromStr cannot fail); its docs
    // and its schema say no spaces and no $ (advanced_tasks.md "Task Names", schema/model.py).
    if (/[\s$]/.test(task.name))
      issues.warning({
        file,
        pointer: task.pointer,
        rule: 'manifest/task-name',
        message: `task name '${task.name}' has a space or a $: pixi loads it, but its docs and schema say task names have neither, and a shell splits or expands it in \`pixi run\` unless quoted`,
        hint: `rename it, e.g. '${task.name.replace(/[\s$]+/g, '-')}'`,
        at: 'key',
      });
    const { refs, deprecated, both } = dependsOn(task);
    // pixi takes depends-on and leaves depends_on in the table, which it then refuses as an
    // unknown key (toml/task.rs: take("depends-on"), then finalize).
    if (both) {
      issues.error({
        file,
        pointer: `${task.pointer}/depends_on`,
        rule: 'manifest/deprecated-key',
        message: `task '${task.name}' has both depends-on and depends_on: pixi reads depends-on and refuses depends_on as an unknown key`,
        hint: 'merge them into depends-on',
        at: 'key',
      });
    } else if (deprecated) {
      issues.warning({
        file,
        pointer: `${task.pointer}/depends_on`,
        rule: 'manifest/deprecated-key',
        message: `task '${task.name}' uses depends_on, deprecated since pixi 0.21`,
        hint: 'write depends-on',
        at: 'key',
      });
    }
    const edges = graph.get(task.name) ?? [];
    for (const ref of refs) {
      if (!names.has(ref.task)) {
        missing.push({ task: task.name, ref });
      } else {
        edges.push({ to: ref.task, pointer: ref.pointer });
      }
      // pixi loads it and drops the environment when it builds the graph (task_graph.rs
      // `.and_then(project.environment)`): the task then runs where it would without it.
      if (ref.environment !== undefined && !environments.has(ref.environment)) {
        issues.warning({
          file,
          pointer: ref.pointer.replace(/\/task$/, '/environment'),
          rule: 'manifest/undefined-environment',
          message: `task '${task.name}' runs '${ref.task}' in environment '${ref.environment}', which is not defined: \`pixi run ${task.name}\` runs it without one`,
          hint: closestHint(ref.environment, environments),
        });
      }
    }
    graph.set(task.name, edges);

    if (isTable(task.definition)) {
      const defaultEnv = task.definition['default-environment'];
      // pixi skips a default-environment that does not exist (task_environment.rs).
      if (typeof defaultEnv === 'string' && !environments.has(defaultEnv)) {
        issues.warning({
          file,
          pointer: `${task.pointer}/default-environment`,
          rule: 'manifest/undefined-environment',
          message: `task '${task.name}' has default-environment '${defaultEnv}', which is not defined: \`pixi run ${task.name}\` ignores it`,
          hint: closestHint(defaultEnv, environments),
        });
      }
    }
    checkTaskArgs(task, file, issues);
  }
  // pixi loads a manifest whose depends-on names no task; `pixi run` fails when it builds that
  // task's graph (pixi_task/src/task_graph.rs:485-486: MissingTaskError "could not find the task").
  const dependents = missing.length > 0 ? dependentsOf(graph) : new Map<string, string[]>();
  for (const [i, { task, ref }] of missing.entries()) {
    const guess = i < GUESSES ? closest(ref.task, names) : null;
    issues.warning({
      file,
      pointer: ref.pointer,
      rule: 'manifest/missing-task',
      message: `task '${task}' depends on '${ref.task}', which is not defined: ${failingRuns(dependents, task)} (pixi: could not find the task '${ref.task}')`,
      hint: guess ? `did you mean '${guess}'?` : `define a task '${ref.task}' or remove the dependency`,
    });
  }
  checkCycles(graph, file, issues);
}

/**
 * How many unknown names get a did-you-mean: each guess compares against every name, so a
 * hostile manifest of thousands of unknown references would cost their product.
 */
const GUESSES = 20;
/** Dependent tasks counted per missing one (a walk per missing task: bounded, not the whole graph). */
const DEPENDENTS_COUNTED = 100;

/** Each task's dependents (the tasks whose depends-on names it), made once for every missing task. */
function dependentsOf(graph: Map<string, { to: string }[]>): Map<string, string[]> {
  const dependents = new Map<string, string[]>();
  for (const [from, edges] of graph)
    for (const edge of edges) {
      const list = dependents.get(edge.to) ?? [];
      list.push(from);
      dependents.set(edge.to, list);
    }
  return dependents;
}

/** "`pixi run a` fails (so do `pixi run b`, `pixi run c`, which depend on it)": every task whose graph reaches `task`. */
function failingRuns(dependents: Map<string, string[]>, task: string): string {
  const seen = new Set([task]);
  const queue = [task];
  let cut = false;
  for (let i = 0; i < queue.length && !cut; i++)
    for (const from of dependents.get(queue[i]!) ?? [])
      if (!seen.has(from)) {
        seen.add(from);
        queue.push(from);
        if (queue.length > DEPENDENTS_COUNTED) {
          cut = true;
          break;
        }
      }
  const others = queue.slice(1);
  const shown = others.slice(0, 3).map((t) => `\`pixi run ${t}\``);
  if (others.length > 3) shown.push(`${cut ? 'more than ' : ''}${others.length - 3} more`);
  return `\`pixi run ${task}\` will fail${shown.length ? ` (so will ${shown.join(', ')}, which depend on it)` : ''}`;
}

function closestHint(name: string, candidates: Iterable<string>): string {
  const guess = closest(name, candidates);
  return guess ? `did you mean '${guess}'?` : `environments: ${[...candidates].join(', ')}`;
}

/**
 * A task's `args` as pixi reads them (toml/task.rs): a default must be one of its choices, and
 * once an argument has a default every later one needs one too. pixi refuses the manifest else.
 */
function checkArgList(task: TaskView, args: unknown[], file: string, issues: IssueList): void {
  let defaultSeen = false;
  for (const [i, arg] of args.entries()) {
    const def = isTable(arg) ? arg.default : undefined;
    const choices = isTable(arg) ? arg.choices : undefined;
    if (
      typeof def === 'string' &&
      Array.isArray(choices) &&
      choices.every((c) => typeof c === 'string') &&
      !choices.includes(def)
    )
      issues.error({
        file,
        pointer: `${task.pointer}/args/${i}/default`,
        rule: 'manifest/task-args',
        message: `task '${task.name}': default value '${def}' is not one of the allowed choices: ${choices.join(', ')}`,
        hint: `make the default one of ${choices.map((c) => `'${c}'`).join(', ')}, or add it to the choices`,
      });
    if (typeof def === 'string') defaultSeen = true;
    else if (defaultSeen)
      issues.error({
        file,
        pointer: `${task.pointer}/args/${i}`,
        rule: 'manifest/task-args',
        message: `task '${task.name}': argument ${i + 1} has no default after an argument with one (pixi: default value required after previous arguments with defaults)`,
        hint: 'give it a default, or move the arguments with defaults to the end',
      });
  }
}

function checkTaskArgs(task: TaskView, file: string, issues: IssueList): void {
  const def = task.definition;
  if (isTable(def) && Array.isArray(def.args)) checkArgList(task, def.args, file, issues);
  if (typeof def === 'string') {
    if (def.includes('{{')) scanTaskArgs(task, declaredArgs(def), def, task.pointer, file, issues);
    return;
  }
  if (!isTable(def)) return;
  // Most tasks use no {{ }} at all: look at their args only when one does.
  let declared: Set<string> | null = null;
  for (const key of TEMPLATED_KEYS) {
    const value = def[key];
    if (typeof value === 'string') {
      if (value.includes('{{'))
        scanTaskArgs(task, (declared ??= declaredArgs(def)), value, `${task.pointer}/${key}`, file, issues);
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const text = value[i];
        if (typeof text === 'string' && text.includes('{{'))
          scanTaskArgs(task, (declared ??= declaredArgs(def)), text, `${task.pointer}/${key}/${i}`, file, issues);
      }
    }
  }
  if (isTable(def.env)) {
    for (const [name, value] of Object.entries(def.env)) {
      if (typeof value === 'string' && value.includes('{{'))
        scanTaskArgs(
          task,
          (declared ??= declaredArgs(def)),
          value,
          `${task.pointer}/env/${escapePointer(name)}`,
          file,
          issues,
        );
    }
  }
}

const TEMPLATED_KEYS = ['cmd', 'inputs', 'outputs'];

/** The names a task may use in {{ }}: its args, and pixi's own variables. */
function declaredArgs(def: unknown): Set<string> {
  const declared = new Set<string>();
  declared.add('pixi');
  if (isTable(def) && Array.isArray(def.args)) {
    for (const arg of def.args) {
      if (typeof arg === 'string') declared.add(arg);
      else if (isTable(arg) && typeof arg.arg === 'string') declared.add(arg.arg);
    }
  }
  return declared;
}

/** Names a template binds itself (`{% for a, b in … %}`, `{% set x = … %}`) and its globals. */
function boundNames(text: string): Set<string> {
  const bound = new Set(['loop', 'range']);
  for (const m of text.matchAll(/\{%-?\s*for\s+([A-Za-z_]\w*)(?:\s*,\s*([A-Za-z_]\w*))?\s+in\b/g)) {
    bound.add(m[1]!);
    if (m[2]) bound.add(m[2]);
  }
  for (const m of text.matchAll(/\{%-?\s*set\s+([A-Za-z_]\w*)/g)) bound.add(m[1]!);
  return bound;
}

/**
 * Warn of each {{ name }} in `text` that the task does not declare (once per name: it joins
 * `declared`). pixi renders a task's template only when it runs it, with undefined names an
 * error (workspace.rs UndefinedBehavior::Strict): loading the manifest never fails on one, so it
 * is a warning naming the command that will. A name the template binds, a literal and a name
 * given a `| default(…)` are fine.
 */
function scanTaskArgs(
  task: TaskView,
  declared: Set<string>,
  text: string,
  pointer: string,
  file: string,
  issues: IssueList,
): void {
  const bound = text.includes('{%') ? boundNames(text) : null;
  TEMPLATE_VARIABLE.lastIndex = 0;
  for (let match = TEMPLATE_VARIABLE.exec(text); match !== null; match = TEMPLATE_VARIABLE.exec(text)) {
    const name = match[1]!;
    if (match[2] || declared.has(name) || bound?.has(name) || TEMPLATE_LITERALS.has(name.toLowerCase())) continue;
    declared.add(name);
    issues.warning({
      file,
      pointer,
      rule: 'manifest/undeclared-task-arg',
      message: `task '${task.name}' uses {{ ${name} }} but declares no argument '${name}': \`pixi run ${task.name}\` will fail on it`,
      hint:
        typeof task.definition === 'string'
          ? `make it a table: { cmd = "...", args = ["${name}"] }`
          : `add "${name}" to its args (args = ["${name}"] or { arg = "${name}", default = "..." })`,
    });
  }
}

function checkCycles(graph: Map<string, { to: string; pointer: string }[]>, file: string, issues: IssueList): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const reported = new Set<string>();
  // Depth-first with an explicit stack: a long depends-on chain must not overflow the call stack.
  for (const startName of graph.keys()) {
    if (state.has(startName)) continue;
    const path: string[] = [startName];
    const next: number[] = [0];
    state.set(startName, 'visiting');
    while (path.length > 0) {
      const name = path[path.length - 1]!;
      const edges = graph.get(name) ?? [];
      const i = next[next.length - 1]!;
      if (i >= edges.length) {
        state.set(name, 'done');
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = i + 1;
      const edge = edges[i]!;
      const seen = state.get(edge.to);
      if (seen === undefined) {
        state.set(edge.to, 'visiting');
        path.push(edge.to);
        next.push(0);
      } else if (seen === 'visiting') {
        const cycle = [...path.slice(path.indexOf(edge.to)), edge.to];
        const key = cycle.slice(0, -1).sort().join('>');
        if (reported.has(key)) continue;
        reported.add(key);
        // pixi does not refuse a cycle: its topological order skips a task it has visited
        // (pixi_task/src/task_graph.rs:663-690; test_cycle_ordered_commands, :944), so `pixi run`
        // runs each task once and one of them before a task it depends on.
        issues.warning({
          file,
          pointer: edge.pointer,
          rule: 'manifest/task-cycle',
          message: `tasks depend on each other in a cycle: ${cycle.join(' -> ')}; \`pixi run ${cycle[0]}\` runs each once, one of them before a task it depends on`,
          hint: 'remove one of these depends-on entries so pixi can order them',
        });
      }
    }
  }
}
