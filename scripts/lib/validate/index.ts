// `validate`: the workspace's manifest against our schema and pixi's own rules, then every
// cross-file check (Dockerfile, submit file, CUDA agreement, pixi.lock, .env). Used by
// scripts/validate.ts, by submit's preflight and by build-image (which refuses `lock/*` errors).
import { basename, resolve } from 'node:path';
import {
  displayPath,
  MANIFEST,
  manifestFileIn,
  manifestKind,
  type ManifestKind,
  parseTomlSource,
  readManifestBytes,
  readManifestSource,
  type TomlProblem,
} from '../workspace.ts';
import { checkEnvFile } from './env-file.ts';
import { checkLock } from './lock-check.ts';
import { ManifestModel } from './manifest-model.ts';
import { checkManifestSchema } from './manifest-schema.ts';
import { checkManifestSemantics } from './manifest-semantics.ts';
import { type ManifestView, pixiTomlView, pyprojectView } from './pyproject.ts';
import { checkTemplate } from './template-checks.ts';
import { splitPointer } from './json-pointer.ts';
import { isTable, tomlPath } from './text.ts';
import { locateTableHeader, TomlPositions } from './toml-positions.ts';
import { IssueList, type Finding, type Issue, type ValidationReport } from './types.ts';

export type { Finding, ValidationReport } from './types.ts';

export interface ValidateOptions {
  /** The workspace root (the folder of the manifest). */
  root: string;
  /**
   * Validate this manifest alone (relative to `root` or absolute): checks that need other files
   * (lock, Dockerfile, submit file, .env) are skipped and listed in `skipped`.
   */
  manifestPath?: string;
  /**
   * Write .pixi-condor/validate-cache.json when the lock check computed something new (default
   * true). `false` still reads the cache but writes nothing: `--dry-run` steps must not touch
   * the workspace.
   */
  saveCache?: boolean;
  /**
   * The lock's checks alone (`lock/*`: pixi.lock there, readable, in step with the manifest),
   * the rest skipped and listed in `skipped`: build-image's dry run, which plans from the lock
   * and leaves the other checks to the real run (they cost more than the rest of its plan).
   */
  lockOnly?: boolean;
}

/**
 * Validate the workspace. Throws a UserError (exit 2) only when the manifest cannot be read;
 * everything else, TOML syntax and encoding errors included, is a finding in the report.
 */
export async function validateWorkspace(options: ValidateOptions): Promise<ValidationReport> {
  const root = resolve(options.root);
  const alone = options.manifestPath !== undefined;
  const manifestAbsolute = resolve(root, options.manifestPath ?? manifestFileIn(root) ?? MANIFEST);
  const manifestFile = displayPath(alone ? process.cwd() : root, manifestAbsolute);
  const kind = manifestKind(basename(manifestAbsolute));
  const read = readManifestSource(await readManifestBytes(manifestAbsolute, manifestFile), kind);
  const issues = new IssueList();

  if ('view' in read) {
    const { view } = read;
    const model = new ManifestModel(view.data, view.implicitFeatures);
    if (options.lockOnly) {
      for (const [rule, reason] of CROSS_FILE_CHECKS)
        if (rule !== 'lock') issues.skip(rule, `${reason}: only the lock is checked here`);
    } else {
      await checkManifestSchema(view.data, manifestFile, issues);
      checkManifestSemantics(model, manifestFile, issues);
    }
    if (alone) {
      for (const [rule, reason] of CROSS_FILE_CHECKS)
        issues.skip(rule, `${reason}: --manifest validates the manifest alone`);
    } else {
      if (!options.lockOnly) await checkTemplate({ root, model, manifestFile, issues });
      await checkLock({ root, model, manifestFile, issues, saveCache: options.saveCache ?? true });
    }
    toSource(issues, manifestFile, view);
  } else {
    reportProblem(read.problem, manifestFile, issues);
    for (const [rule, reason] of CROSS_FILE_CHECKS) issues.skip(rule, `${reason}: ${manifestFile} does not parse`);
  }
  if (!alone && !options.lockOnly) await checkEnvFile(root, issues);
  return buildReport(issues, new Map(read.text === null ? [] : [[manifestFile, read.text]]));
}

/** Validate manifest text alone, in memory (schema and pixi's rules; no other files). */
export async function validateManifestSource(
  text: string,
  file = MANIFEST,
  kind: ManifestKind = manifestKind(file),
): Promise<ValidationReport> {
  const issues = new IssueList();
  const parsed = parseTomlSource(text);
  if ('data' in parsed) {
    const view = kind === 'pyproject' ? pyprojectView(parsed.data) : pixiTomlView(parsed.data);
    await checkManifestSchema(view.data, file, issues);
    checkManifestSemantics(new ManifestModel(view.data, view.implicitFeatures), file, issues);
    toSource(issues, file, view);
  } else {
    reportProblem(parsed.problem, file, issues);
  }
  return buildReport(issues, new Map([[file, text]]));
}

const CROSS_FILE_CHECKS: [string, string][] = [
  ['template', 'Dockerfile, submit file and [tool.pixi-condor] checks'],
  ['cuda', 'CUDA agreement between manifest, Dockerfile and submit file'],
  ['lock', 'pixi.lock against the manifest'],
];

function reportProblem(problem: TomlProblem, file: string, issues: IssueList): void {
  issues.error({ file, pointer: '', ...problem });
}

/** Findings on a pyproject.toml's view point at the place in pyproject.toml and name its tables. */
function toSource(issues: IssueList, file: string, view: ManifestView): void {
  if (view.prefix === '') return;
  for (const issue of issues.issues) {
    if (issue.file !== file || issue.line !== undefined) continue;
    const segments = splitPointer(issue.pointer);
    issue.pointer = view.sourcePointer(issue.pointer);
    if (!issue.pointer.startsWith(`/${view.prefix.replace(/\./g, '/')}`)) continue;
    // Name tables as they are written there: [dependencies.numpy] -> [tool.pixi.dependencies.numpy].
    let message = issue.message.replace(/\bthe top level\b/, `[${view.prefix}]`);
    for (let n = segments.length; n > 0; n--) {
      const name = `[${tomlPath(segments.slice(0, n))}]`;
      if (message.includes(name)) {
        message = message.replace(name, `[${view.prefix}.${name.slice(1)}`);
        break;
      }
    }
    issue.message = message;
  }
  // Places in the source file already: added after the mapping.
  for (const problem of view.problems) issues.error({ file, rule: 'schema/missing-key', at: 'key', ...problem });
}

/** smol-toml reads TOML 1.1 as pixi does; a syntax error becomes a finding with its position. */
export function parseManifestText(text: string, file: string, issues: IssueList): Record<string, unknown> | null {
  const parsed = parseTomlSource(text);
  if ('problem' in parsed) {
    reportProblem(parsed.problem, file, issues);
    return null;
  }
  return isTable(parsed.data) ? parsed.data : null;
}

/** Resolve positions (building a TOML position index only for files that have findings) and sort. */
export async function buildReport(issues: IssueList, tomlSources: Map<string, string>): Promise<ValidationReport> {
  const indexes = new Map<string, TomlPositions | null>();
  const findings: (Finding & { severity: Issue['severity'] })[] = [];
  for (const issue of issues.issues) {
    let { line, column } = issue;
    if (line === undefined) {
      const source = tomlSources.get(issue.file);
      if (source !== undefined) {
        // A finding on a whole top-level table (the template's own warning is one) is found by
        // its header line, sparing the syntax tree (~30 ms to load on every run).
        const header = indexes.has(issue.file) ? null : locateTableHeader(source, issue.pointer);
        if (header) {
          findings.push({
            severity: issue.severity,
            file: issue.file,
            line: header.line,
            column: header.column,
            pointer: issue.pointer,
            rule: issue.rule,
            message: issue.message,
            hint: issue.hint,
          });
          continue;
        }
        if (!indexes.has(issue.file)) indexes.set(issue.file, await TomlPositions.build(source));
        const position = indexes.get(issue.file)?.locate(issue.pointer, issue.at) ?? { line: 1, column: 1 };
        ({ line, column } = position);
      }
    }
    findings.push({
      severity: issue.severity,
      file: issue.file,
      line: line ?? 0,
      column: column ?? 0,
      pointer: issue.pointer,
      rule: issue.rule,
      message: issue.message,
      hint: issue.hint,
    });
  }
  // Code-unit order, not localeCompare: its first call loads ICU's collator (~14 ms of a ~100 ms run).
  findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column);
  const strip = ({ severity: _severity, ...finding }: Finding & { severity: string }): Finding => finding;
  const errors = findings.filter((f) => f.severity === 'error').map(strip);
  const warnings = findings.filter((f) => f.severity === 'warning').map(strip);
  return { ok: errors.length === 0, errors, warnings, skipped: issues.skipped };
}
