// The shapes every check produces and every caller (validate, submit, build-image) reads.

/** One problem, located in a file. `line`/`column` are 1-based; 0 when the file as a whole is meant. */
export interface Finding {
  file: string;
  line: number;
  column: number;
  /** JSON pointer into the file's data (manifest, lock), or '' when the file has no such structure. */
  pointer: string;
  /** Stable id, `<area>/<name>`: `schema/*`, `manifest/*`, `template/*`, `submit/*`, `cuda/*`, `lock/*`, `env/*`. */
  rule: string;
  message: string;
  hint: string;
}

export interface ValidationReport {
  ok: boolean;
  errors: Finding[];
  warnings: Finding[];
  /** Checks that could not run (e.g. --manifest alone: no lock, no submit file). */
  skipped: { rule: string; reason: string }[];
}

export type Severity = 'error' | 'warning';

/**
 * A finding before its position is known. Checks on the manifest name a pointer and let the
 * reporter find line and column (parsing positions only when something is reported); checks on
 * other files give line and column themselves.
 */
export interface Issue {
  severity: Severity;
  file: string;
  pointer: string;
  rule: string;
  message: string;
  hint: string;
  line?: number;
  column?: number;
  /** Point at the key of `pointer` (an unknown or misspelt key) rather than its value. */
  at?: 'key' | 'value';
}

/** Collects issues and skipped checks while the checks run. */
export class IssueList {
  readonly issues: Issue[] = [];
  readonly skipped: { rule: string; reason: string }[] = [];

  error(issue: Omit<Issue, 'severity'>): void {
    this.issues.push({ severity: 'error', ...issue });
  }

  warning(issue: Omit<Issue, 'severity'>): void {
    this.issues.push({ severity: 'warning', ...issue });
  }

  skip(rule: string, reason: string): void {
    this.skipped.push({ rule, reason });
  }
}
