// if / elif / else / endif in a submit file (config.cpp's conditional stack): a stack of
// [taking this branch, some branch of this `if` already taken], and the one condition syntax
// pixi-condor evaluates without the access point (`defined NAME`, booleans, macros holding one).
import { expandMacros, shownText } from './submit-macros.ts';
import { submitError } from './submit-file.ts';
import type { MacroTable } from './submit-macro-table.ts';

interface Branch {
  active: boolean;
  taken: boolean;
  line: number;
}

/** `defined NAME`, `true`/`false` (or a macro expanding to one), each optionally negated with `!`. */
export function evaluateCondition(
  condition: string,
  source: string,
  line: number,
  macros: MacroTable,
  /** Told the NAME of `defined NAME`: condor_submit's lookup counts it as a use. */
  referenced?: (name: string) => void,
): boolean {
  let text = condition.trim();
  let negate = false;
  if (text.startsWith('!')) {
    negate = true;
    text = text.slice(1).trim();
  }
  let result: boolean;
  const defined = /^defined\s+(\S+)$/i.exec(text);
  // Defined and not empty; a number or a boolean word is defined (config.cpp ~765-778).
  if (defined) {
    referenced?.(defined[1]!.toLowerCase());
    result = isDefinedMacro(defined[1]!, macros);
  } else {
    if (/^version\b/i.test(text))
      throw submitError(
        '`if version ...` depends on the HTCondor version at submit time; pixi-condor cannot evaluate it',
        source,
        line,
      );
    const value = expandMacros(text, macros.staticScope).trim();
    if (/^(true|yes|1)$/i.test(value)) result = true;
    else if (/^(false|no|0|)$/i.test(value)) result = false;
    else
      throw submitError(
        `cannot evaluate the condition '${shownText(condition)}'`,
        source,
        line,
        'use `defined NAME`, true/false, or $(NAME) holding a boolean',
      );
  }
  return negate ? !result : result;
}

export class ConditionStack {
  private readonly branches: Branch[] = [];

  /** Every enclosing branch is taken: the statement is read. */
  active(): boolean {
    return this.branches.every((c) => c.active);
  }

  /** `if`: the condition is evaluated only inside a taken branch (an error in a skipped one is not reached). */
  enter(condition: () => boolean, line: number): void {
    const on = this.active() && condition();
    this.branches.push({ active: on, taken: on, line });
  }

  /** `elif` / `else`: taken when no earlier branch of this `if` was. */
  branch(kind: 'elif' | 'else', condition: () => boolean, source: string, line: number): void {
    const top = this.top(kind, source, line);
    const parentActive = this.branches.slice(0, -1).every((c) => c.active);
    const on = parentActive && !top.taken && (kind === 'else' || condition());
    top.active = on;
    top.taken ||= on;
  }

  close(source: string, line: number): void {
    this.top('endif', source, line);
    this.branches.pop();
  }

  assertClosed(file: string): void {
    const open = this.branches[this.branches.length - 1];
    if (open) throw submitError('`if` without `endif`', file, open.line);
  }

  private top(kind: string, source: string, line: number): Branch {
    const top = this.branches[this.branches.length - 1];
    if (!top) throw submitError(`\`${kind}\` without \`if\``, source, line);
    return top;
  }
}

/** `if defined NAME`: NAME holds a non-empty value, or is itself a number or a boolean word (config.cpp ~765-778). */
function isDefinedMacro(name: string, macros: MacroTable): boolean {
  if (/^(?:[+-]?\d+(?:\.\d*)?|true|false|yes|no)$/i.test(name)) return true;
  return (macros.baseLookup(name.toLowerCase()) ?? '') !== '';
}
