// One error type for everything the user can fix: a one-line message, a hint, an exit code.
// The top-level handler (main.ts) prints these without a stack; anything else is a bug and
// gets its stack printed.

export interface UserErrorOptions {
  /** What to do about it, shown on a second line as "hint: ...". */
  hint?: string;
  /** Process exit code; 1 for a failed step, 2 for a usage error or unreadable input. */
  exitCode?: number;
  /** File the problem is in, with optional line/column, printed as a `file:line:col` prefix. */
  file?: string;
  line?: number;
  column?: number;
}

export class UserError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(message: string, options: UserErrorOptions = {}) {
    super(message);
    this.name = 'UserError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
    this.file = options.file;
    this.line = options.line;
    this.column = options.column;
  }

  /** `file:line:col: message` (the location only as far as it is known). */
  get located(): string {
    if (!this.file) return this.message;
    let where = this.file;
    if (this.line !== undefined) where += `:${this.line}`;
    if (this.line !== undefined && this.column !== undefined) where += `:${this.column}`;
    return `${where}: ${this.message}`;
  }
}

/** A bad command line: exit 2, as for getopt-style tools. */
export class UsageError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, { hint: hint ?? 'run with --help for usage', exitCode: 2 });
    this.name = 'UsageError';
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
