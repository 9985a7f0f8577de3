// Macro expansion of the submit language (htcondor.md §b.2): `$(name)`, `$(name:default)`,
// `$(DOLLAR)`, the function macros `$ENV`, `$INT`, `$REAL`, `$F[fpdnxbqauw]`, `$DIRNAME`,
// `$BASENAME`, `$CHOICE`, `$SUBSTR`. `$$(...)` is left for match time. Values are expanded
// when used, recursively; random choices are refused (we could not know what HTCondor picks).
// Every expansion is bounded by depth, by its size and by the number of macros it looks up, so
// macros that double at each level (`M0 = $(M1)$(M1)` …) end in an error, not a hang.
import { dirname, isAbsolute, resolve } from 'node:path';

export class MacroError extends Error {}

/** Submit-file text as a message may quote it: short (the file may not be a submit file at all). */
export function shownText(text: string): string {
  return text.length > 40 ? `${text.slice(0, 32)}…` : text;
}

export interface MacroScope {
  /** A macro's raw value (case-insensitive name), or undefined. */
  lookup(name: string): string | undefined;
  /** Built-in values ($(Cluster), $(Process)...), used as they are, never expanded again. */
  builtin?(name: string): string | undefined;
  /** Directory relative paths are made full against ($Ff...): condor_submit's cwd. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `$ENV(NAME)` of a credential: the value the plan shows instead (it never enters the plan). */
  maskEnv?(name: string): string | undefined;
  /** `$ENV(NAME)` of a variable that is not set (one withheld as a secret says so). */
  unsetEnv?(name: string): void;
  /** Called with every macro name looked up (for condor_submit's "unused line" warning). */
  referenced?(name: string): void;
}

const MAX_DEPTH = 40;
/** condor_submit has no such bound; a submit value larger than this is a mistake, not a job. */
export const MAX_EXPANDED_CHARS = 1 << 20;
const MAX_LOOKUPS = 100_000;

interface Budget {
  lookups: number;
}

const FUNCTIONS = new Set([
  'ENV',
  'RANDOM_CHOICE',
  'RANDOM_INTEGER',
  'CHOICE',
  'SUBSTR',
  'INT',
  'REAL',
  'STRING',
  'EVAL',
  'BASENAME',
  'DIRNAME',
]);

function isFunctionName(name: string): boolean {
  return FUNCTIONS.has(name) || /^F[fpdnxbqauwFPDNXBQAUW]*$/.test(name);
}

/** Index of the `)` closing the `(` at `open`, or -1. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

export function expandMacros(text: string, scope: MacroScope, depth = 0, budget: Budget = { lookups: 0 }): string {
  if (depth > MAX_DEPTH) throw new MacroError('macros refer to each other in a loop');
  if (!text.includes('$')) return text;
  if (++budget.lookups > MAX_LOOKUPS)
    throw new MacroError(
      `expanding this value looks up more than ${MAX_LOOKUPS} macros (macros that repeat each other?)`,
    );
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    // `$$(Attr)`: expanded at match time from the machine ad; keep it as written.
    if (text[dollar + 1] === '$') {
      const open = text[dollar + 2] === '(' ? dollar + 2 : -1;
      const end = open >= 0 ? closing(text, open) : -1;
      const stop = end >= 0 ? end + 1 : dollar + 2;
      out += text.slice(dollar, stop);
      i = stop;
      continue;
    }
    // Only HTCondor's own function names are functions (config.cpp is_special_config_macro ~2691);
    // any other `$Name(` is text, as condor_submit leaves it.
    const candidate = /^\$([A-Za-z_]+)\(/.exec(text.slice(dollar, dollar + 40));
    const fn = candidate && isFunctionName(candidate[1]!) ? candidate : null;
    const open = fn ? dollar + fn[1]!.length + 1 : text[dollar + 1] === '(' ? dollar + 1 : -1;
    if (open < 0) {
      out += '$'; // a lone `$` is text (e.g. `$CondorVersion: ...$` in DAGMan arguments)
      i = dollar + 1;
      continue;
    }
    const end = closing(text, open);
    if (end < 0) throw new MacroError(`unclosed '${shownText(text.slice(dollar, open + 1))}'`);
    const inner = text.slice(open + 1, end);
    out += fn ? callFunction(fn[1]!, inner, scope, depth, budget) : macro(inner, scope, depth, budget);
    if (out.length > MAX_EXPANDED_CHARS)
      throw new MacroError(
        `this value expands to more than ${MAX_EXPANDED_CHARS} characters (macros that repeat each other at every level?)`,
      );
    i = end + 1;
  }
  return out;
}

function macro(inner: string, scope: MacroScope, depth: number, budget: Budget): string {
  const colon = inner.indexOf(':');
  const name = (colon >= 0 ? inner.slice(0, colon) : inner).trim();
  if (name.toUpperCase() === 'DOLLAR') return '$';
  scope.referenced?.(name);
  const fixed = scope.builtin?.(name);
  if (fixed !== undefined) return fixed;
  const value = scope.lookup(name);
  // A default stands for an undefined macro and for one assigned nothing (`X =`), as its value
  // reads before it is expanded (config.cpp evaluate_macro_func, MACRO_ID_NORMAL).
  if (value !== undefined && (value !== '' || colon < 0)) return expandMacros(value, scope, depth + 1, budget);
  if (colon >= 0) return expandMacros(inner.slice(colon + 1), scope, depth + 1, budget);
  return ''; // undefined macros expand to nothing, as in condor_submit
}

/**
 * A variable's value as `$ENV()` gives it: its macros expanded in turn, as condor_submit
 * substitutes the value and reads the line again (config.cpp expand_macro). A value with an
 * unclosed `$(` (a shell prompt, say) is not refused as a line of the file would be: condor_submit
 * finds no macro there and leaves it as it is.
 */
function environmentValue(value: string, scope: MacroScope, depth: number, budget: Budget): string {
  if (!value.includes('$')) return value;
  try {
    return expandMacros(value, scope, depth + 1, budget);
  } catch (error) {
    if (error instanceof MacroError && error.message.startsWith('unclosed')) return value;
    throw error;
  }
}

function args(inner: string, scope: MacroScope, depth: number, budget: Budget): string[] {
  return expandMacros(inner, scope, depth + 1, budget)
    .split(',')
    .map((a) => a.trim());
}

/** The value of a macro named by a function's argument (or the argument itself). */
function named(arg: string, scope: MacroScope, depth: number, budget: Budget): string {
  scope.referenced?.(arg);
  const value = scope.lookup(arg);
  return value === undefined ? arg : expandMacros(value, scope, depth + 1, budget);
}

function callFunction(name: string, inner: string, scope: MacroScope, depth: number, budget: Budget): string {
  if (/^F[fpdnxbqauwFPDNXBQAUW]*$/.test(name))
    return fileFunction(name.slice(1).toLowerCase(), named(inner.trim(), scope, depth, budget), scope);
  switch (name) {
    case 'ENV': {
      const colon = inner.indexOf(':');
      const variable = (colon >= 0 ? inner.slice(0, colon) : inner).trim();
      const value = scope.env[variable];
      if (value !== undefined) return scope.maskEnv?.(variable) ?? environmentValue(value, scope, depth, budget);
      scope.unsetEnv?.(variable);
      // Unset: the default, else the word UNDEFINED (config.cpp evaluate_macro_func, SPECIAL_MACRO_ID_ENV).
      return colon >= 0 ? expandMacros(inner.slice(colon + 1), scope, depth + 1, budget) : 'UNDEFINED';
    }
    case 'INT':
    case 'REAL': {
      const [what = '', format] = args(inner, scope, depth, budget);
      const value = evaluateArithmetic(named(what, scope, depth, budget));
      if (name === 'INT') return formatInt(Math.trunc(value), format);
      return format ? formatReal(value, format) : String(value);
    }
    case 'DIRNAME':
      return fileFunction('p', named(inner.trim(), scope, depth, budget), scope);
    case 'BASENAME':
      return fileFunction('nx', named(inner.trim(), scope, depth, budget), scope);
    case 'CHOICE': {
      const [index = '', ...list] = args(inner, scope, depth, budget);
      const items =
        list.length === 1
          ? named(list[0]!, scope, depth, budget)
              .split(',')
              .map((s) => s.trim())
          : list;
      const at = evaluateArithmetic(index);
      if (!Number.isInteger(at) || at < 0 || at >= items.length)
        throw new MacroError(`$CHOICE index ${shownText(index)} is out of range`);
      return items[at]!;
    }
    case 'SUBSTR': {
      const [what = '', start = '0', length] = args(inner, scope, depth, budget);
      const value = named(what, scope, depth, budget);
      let from = Number(start);
      if (from < 0) from = Math.max(0, value.length + from);
      if (length === undefined) return value.slice(from);
      const n = Number(length);
      return n < 0 ? value.slice(from, Math.max(from, value.length + n)) : value.slice(from, from + n);
    }
    case 'STRING':
    case 'EVAL':
      throw new MacroError(
        `$${name}() evaluates a ClassAd expression when condor_submit runs; pixi-condor does not evaluate ClassAds`,
      );
    case 'RANDOM_CHOICE':
    case 'RANDOM_INTEGER':
      throw new MacroError(`$${name}() picks at random when condor_submit runs, so pixi-condor cannot know the value`);
    default:
      throw new MacroError(`unknown function macro $${name.slice(0, 30)}()`);
  }
}

/** `$F` letters: f full path, p directory, d last directory, n name, x extension, b bare, q/a quotes, u/w slashes. */
function fileFunction(letters: string, path: string, scope: MacroScope): string {
  let value = path;
  if (letters.includes('f') && value && !isAbsolute(value)) value = resolve(scope.cwd, value);
  const slash = value.lastIndexOf('/');
  const dir = slash >= 0 ? value.slice(0, slash + 1) : '';
  const base = slash >= 0 ? value.slice(slash + 1) : value;
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const ext = dot > 0 ? base.slice(dot) : '';
  const wantDir = letters.includes('p') || letters.includes('d');
  const wantName = letters.includes('n') || letters.includes('x');
  if (wantDir || wantName) {
    let result = '';
    if (letters.includes('p')) result += dir;
    else if (letters.includes('d')) {
      const parent = dirname(dir.replace(/\/$/, '') || '.');
      const last = dir.replace(/\/$/, '').slice(parent === '.' ? 0 : parent.length + 1);
      result += last ? (letters.includes('b') ? last : `${last}/`) : '';
    }
    if (letters.includes('n')) result += stem;
    if (letters.includes('x')) result += letters.includes('b') && !letters.includes('n') ? ext.slice(1) : ext;
    value = result;
  }
  if (letters.includes('w')) value = value.replace(/\//g, '\\');
  if (letters.includes('q')) value = letters.includes('a') ? `'${value}'` : `"${value}"`;
  return value;
}

function formatInt(value: number, format: string | undefined): string {
  if (!format) return String(value);
  const m = /^%(0?)(\d*)d$/.exec(format);
  if (!m) throw new MacroError(`unsupported $INT format '${shownText(format)}' (use %d or %0Nd)`);
  const text = String(Math.abs(value)).padStart(m[2] ? Number(m[2]) - (value < 0 ? 1 : 0) : 0, m[1] ? '0' : ' ');
  return value < 0 ? `-${text}` : text;
}

function formatReal(value: number, format: string): string {
  const m = /^%\.?(\d*)f$/.exec(format);
  if (!m) throw new MacroError(`unsupported $REAL format '${shownText(format)}' (use %f or %.Nf)`);
  return value.toFixed(m[1] ? Number(m[1]) : 6);
}

/** + - * / % and parentheses over numbers: what $INT/$REAL and `queue <expr>` need. */
export function evaluateArithmetic(text: string): number {
  const tokens = text.match(/\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[-+*/%()]|\S+/g) ?? [];
  let at = 0;
  const peek = (): string | undefined => tokens[at];
  const fail = (): never => {
    throw new MacroError(`'${shownText(text)}' is not an arithmetic expression pixi-condor can evaluate`);
  };
  function primary(): number {
    const token = tokens[at++];
    if (token === undefined) return fail();
    if (token === '(') {
      const value = sum();
      if (tokens[at++] !== ')') fail();
      return value;
    }
    if (token === '-') return -primary();
    if (token === '+') return primary();
    const value = Number(token);
    return Number.isFinite(value) ? value : fail();
  }
  function product(): number {
    let value = primary();
    while (peek() === '*' || peek() === '/' || peek() === '%') {
      const op = tokens[at++];
      const right = primary();
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  }
  function sum(): number {
    let value = product();
    while (peek() === '+' || peek() === '-') {
      const op = tokens[at++];
      const right = product();
      value = op === '+' ? value + right : value - right;
    }
    return value;
  }
  const value = sum();
  if (at !== tokens.length) fail();
  return value;
}
