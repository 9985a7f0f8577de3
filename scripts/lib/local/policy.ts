// The job's own exit policy, as far as it can be judged on this machine: on_exit_remove,
// on_exit_hold, max_retries / success_exit_code, checkpoint_exit_code (htcondor-jdl). The
// expressions are ClassAd expressions over the exit; this reads the subset such policies use
// (literals, ExitCode, ExitBySignal, ExitSignal, NumJobStarts, comparisons, && || !, parentheses)
// and refuses anything else before the job starts rather than guessing.

export class PolicyError extends Error {}

export interface ExitFacts {
  exitCode: number | null;
  signal: number | null;
  starts: number;
}

type Token = { kind: 'num'; value: number } | { kind: 'id'; value: string } | { kind: 'op'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_.]*)|(=\?=|=!=|==|!=|<=|>=|&&|\|\||[()<>!]))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new PolicyError(`cannot read '${text.slice(at).trim()}'`);
    if (m[1] !== undefined) tokens.push({ kind: 'num', value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ kind: 'id', value: m[2] });
    else tokens.push({ kind: 'op', value: m[3]! });
    at = re.lastIndex;
  }
  return tokens;
}

type Value = number | boolean | null;

/** Evaluate `expr` for an exit. Throws PolicyError for anything outside the subset. */
export function evaluatePolicy(expr: string, facts: ExitFacts): boolean {
  const tokens = tokenize(expr);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const isOp = (v: string): boolean => peek()?.kind === 'op' && peek()!.value === v;
  const identifier = (name: string): Value => {
    const key = name.toLowerCase().replace(/^(my|target)\./, '');
    switch (key) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'exitcode':
        return facts.exitCode;
      case 'exitbysignal':
        return facts.signal !== null;
      case 'exitsignal':
        return facts.signal;
      case 'exitstatus':
        return facts.exitCode ?? facts.signal;
      case 'numjobstarts':
        return facts.starts;
      case 'undefined':
        return null;
      default:
        throw new PolicyError(`'${name}' cannot be judged on this machine`);
    }
  };
  const primary = (): Value => {
    const t = tokens[i++];
    if (!t) throw new PolicyError('the expression ends too early');
    if (t.kind === 'num') return t.value;
    if (t.kind === 'id') return identifier(t.value);
    if (t.value === '(') {
      const v = or();
      if (!isOp(')')) throw new PolicyError('a parenthesis is not closed');
      i++;
      return v;
    }
    if (t.value === '!') {
      const v = primary();
      return v === null ? null : !truth(v);
    }
    throw new PolicyError(`unexpected '${t.value}'`);
  };
  const comparison = (): Value => {
    const left = primary();
    const t = peek();
    if (t?.kind === 'op' && ['==', '!=', '<', '>', '<=', '>=', '=?=', '=!='].includes(t.value)) {
      i++;
      const right = primary();
      const op = t.value;
      if (op === '=?=') return left === right;
      if (op === '=!=') return left !== right;
      if (left === null || right === null) return null;
      const a = Number(left);
      const b = Number(right);
      return op === '=='
        ? a === b
        : op === '!='
          ? a !== b
          : op === '<'
            ? a < b
            : op === '>'
              ? a > b
              : op === '<='
                ? a <= b
                : a >= b;
    }
    return left;
  };
  const and = (): Value => {
    let v = comparison();
    while (isOp('&&')) {
      i++;
      const r = comparison();
      v = v === false || r === false ? false : v === null || r === null ? null : truth(v) && truth(r);
    }
    return v;
  };
  function or(): Value {
    let v = and();
    while (isOp('||')) {
      i++;
      const r = and();
      v = v === true || r === true ? true : v === null || r === null ? null : truth(v) || truth(r);
    }
    return v;
  }
  const value = or();
  if (i < tokens.length) throw new PolicyError(`unexpected '${tokens[i]!.value}'`);
  return value === null ? false : truth(value);
}

function truth(v: Value): boolean {
  return typeof v === 'boolean' ? v : v !== null && v !== 0;
}

export interface ExitPolicy {
  checkpointExitCode: number | null;
  onExitRemove: string | null;
  onExitHold: string | null;
  onExitHoldReason: string | null;
  onExitHoldSubcode: number;
  maxRetries: number | null;
  successExitCode: number;
  /** success_exit_code was written: a different exit is a failed job (JobSuccessExitCode). */
  successExitCodeSet: boolean;
}

export type Verdict = 'checkpoint' | 'hold' | 'requeue' | 'complete';

/**
 * What the schedd does with an exit (condor_shadow: checkpoint exits restart in place; then
 * on_exit_hold; then on_exit_remove, which max_retries turns into "remove once it succeeded or
 * ran out of retries").
 */
export function judgeExit(policy: ExitPolicy, facts: ExitFacts): Verdict {
  if (policy.checkpointExitCode !== null && facts.signal === null && facts.exitCode === policy.checkpointExitCode)
    return 'checkpoint';
  if (policy.onExitHold && evaluatePolicy(policy.onExitHold, facts)) return 'hold';
  let remove = policy.onExitRemove ? evaluatePolicy(policy.onExitRemove, facts) : true;
  if (policy.maxRetries !== null && policy.onExitRemove === null) {
    const succeeded = facts.signal === null && facts.exitCode === policy.successExitCode;
    remove = succeeded || facts.starts > policy.maxRetries;
  }
  return remove ? 'complete' : 'requeue';
}

/** Read the policy commands of a proc; an expression outside the subset is refused now. */
export function readPolicy(commands: Record<string, string>): ExitPolicy {
  const int = (name: string): number | null => {
    const v = commands[name];
    if (v === undefined || v === '') return null;
    if (!/^-?\d+$/.test(v.trim())) throw new PolicyError(`${name} = ${v} is not a whole number`);
    return Number(v);
  };
  const policy: ExitPolicy = {
    checkpointExitCode: int('checkpoint_exit_code'),
    onExitRemove: commands.on_exit_remove ?? null,
    onExitHold: commands.on_exit_hold ?? null,
    onExitHoldReason: commands.on_exit_hold_reason?.replace(/^"(.*)"$/, '$1') ?? null,
    onExitHoldSubcode: int('on_exit_hold_subcode') ?? 0,
    // success_exit_code alone turns retries on with DEFAULT_JOB_MAX_RETRIES (2), as
    // condor_submit does (src/condor_utils/submit_utils.cpp:3918, 3975-3980).
    maxRetries: int('max_retries') ?? (int('success_exit_code') !== null ? 2 : null),
    successExitCode: int('success_exit_code') ?? 0,
    successExitCodeSet: int('success_exit_code') !== null,
  };
  // Evaluate once now, so an expression that cannot be judged stops the run before it starts.
  for (const [name, expr] of [
    ['on_exit_remove', policy.onExitRemove],
    ['on_exit_hold', policy.onExitHold],
  ] as const) {
    if (!expr) continue;
    try {
      evaluatePolicy(expr, { exitCode: 0, signal: null, starts: 1 });
    } catch (error) {
      throw new PolicyError(`${name} = ${expr}: ${(error as Error).message}`);
    }
  }
  return policy;
}
