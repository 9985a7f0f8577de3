// `validate`: the workspace's manifest against our schema and pixi's own rules, then every
// cross-file check (Dockerfile, submit file, CUDA agreement, pixi.lock, .env). Used by
// scripts/validate.ts, by submit's preflight and by build-image (which refuses `lock/*` errors).
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import { displayPath, MANIFEST, readText } from '../workspace.ts';
import { checkEnvFile } from './env-file.ts';
import { checkLock } from './lock-check.ts';
import { ManifestModel } from './manifest-model.ts';
import { checkManifestSchema } from './manifest-schema.ts';
import { checkManifestSemantics } from './manifest-semantics.ts';
import { checkTemplate } from './template-checks.ts';
import { isTable } from './text.ts';
import { TomlPositions } from './toml-positions.ts';
import { IssueList, type Finding, type Issue, type ValidationReport } from './types.ts';

// smol-toml's one-file CommonJS build: loads faster than its ESM build's nine files (start-up is
// most of a validate run), and is the same build workspace.ts reads TOML with.
const { TomlError, parse: parseToml } = createRequire(import.meta.url)('smol-toml') as typeof import('smol-toml');

export type { Finding, ValidationReport } from './types.ts';

export interface ValidateOptions {
  /** The workspace root (the folder of pixi.toml). */
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
}

/**
 * Validate the workspace. Throws a UserError (exit 2) only when the manifest cannot be read;
 * everything else, TOML syntax errors included, is a finding in the report.
 */
export async function validateWorkspace(options: ValidateOptions): Promise<ValidationReport> {
  const root = resolve(options.root);
  const alone = options.manifestPath !== undefined;
  const manifestAbsolute = resolve(root, options.manifestPath ?? MANIFEST);
  const manifestFile = displayPath(alone ? process.cwd() : root, manifestAbsolute);
  const text = await readText(manifestAbsolute, manifestFile);
  const issues = new IssueList();

  const data = parseManifestText(text, manifestFile, issues);
  if (data) {
    await checkManifestSchema(data, manifestFile, issues);
    const model = new ManifestModel(data);
    checkManifestSemantics(model, manifestFile, issues);
    if (alone) {
      for (const [rule, reason] of CROSS_FILE_CHECKS)
        issues.skip(rule, `${reason}: --manifest validates the manifest alone`);
    } else {
      await checkTemplate({ root, model, manifestFile, issues });
      await checkLock({ root, model, manifestFile, issues, saveCache: options.saveCache ?? true });
    }
  } else {
    for (const [rule, reason] of CROSS_FILE_CHECKS) issues.skip(rule, `${reason}: ${manifestFile} does not parse`);
  }
  if (!alone) await checkEnvFile(root, issues);
  return buildReport(issues, new Map([[manifestFile, text]]));
}

/** Validate manifest text alone, in memory (schema and pixi's rules; no other files). */
export async function validateManifestSource(text: string, file = MANIFEST): Promise<ValidationReport> {
  const issues = new IssueList();
  const data = parseManifestText(text, file, issues);
  if (data) {
    await checkManifestSchema(data, file, issues);
    checkManifestSemantics(new ManifestModel(data), file, issues);
  }
  return buildReport(issues, new Map([[file, text]]));
}

const CROSS_FILE_CHECKS: [string, string][] = [
  ['template', 'Dockerfile, submit file and [tool.pixi-condor] checks'],
  ['cuda', 'CUDA agreement between manifest, Dockerfile and submit file'],
  ['lock', 'pixi.lock against the manifest'],
];

/** smol-toml reads TOML 1.1 as pixi does; a syntax error becomes a finding with its position. */
export function parseManifestText(text: string, file: string, issues: IssueList): Record<string, unknown> | null {
  try {
    const data = parseToml(text);
    return isTable(data) ? data : null;
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = error.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    // smol-toml reports a string that runs into the end of its line as a control character in it.
    const unclosed =
      reason.includes('control characters are not allowed in strings') &&
      (text.split('\n')[error.line - 1] ?? '').replace(/\r$/, '').length < error.column;
    issues.error({
      file,
      pointer: '',
      rule: 'toml/syntax',
      message: unclosed
        ? 'TOML syntax error: the string is not closed before the end of the line'
        : `TOML syntax error: ${reason}`,
      hint: unclosed
        ? 'add the closing quote (a string over several lines needs """triple quotes""")'
        : 'fix the TOML at that position (pixi reads TOML 1.1)',
      line: error.line,
      column: error.column,
    });
    return null;
  }
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
