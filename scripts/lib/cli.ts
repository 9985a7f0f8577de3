// Command-line parsing shared by every script: node's parseArgs, strict, with --help built in
// and every mistake reported as a UsageError (exit 2) instead of a stack trace.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.ts';

export interface OptionSpec {
  type: 'boolean' | 'string';
  multiple?: boolean;
  /** Shown in --help. */
  description: string;
  /** Placeholder for the value of a string option in --help, e.g. PATH. */
  value?: string;
  default?: string | boolean;
  /** A string option whose value may be left out (`--tail` or `--tail 50`): this value stands in. */
  implicitValue?: string;
  /** A string option whose value may begin with `-` (`--best -loss`). */
  dashValue?: boolean;
}

export interface CommandSpec {
  /** e.g. `pixi run validate` */
  usage: string;
  summary: string;
  options: Record<string, OptionSpec>;
  /** Names of positional arguments, for --help only; `positionals.max` bounds how many. */
  positionals?: { names: string; max: number };
  /** Extra paragraphs after the options (notes, examples); exit codes and docs have fields of their own. */
  epilog?: string;
  /**
   * What each exit status means, in order. Every script lists 0 and 2 (usage error) at least;
   * `N` stands for a number the script passes through (e.g. the job's own return value).
   */
  exitCodes: [code: string, meaning: string][];
  /** The page that documents the task, e.g. docs/validate.md. */
  docs: string;
}

export interface ParsedCommand {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  help: boolean;
}

/**
 * --help, in one shape for every script: usage, summary, options (long names only, plus -h),
 * the epilog, `exit codes:` one per line, and the docs page.
 */
export function helpText(spec: CommandSpec): string {
  const rows: [string, string][] = Object.entries(spec.options).map(([name, opt]) => [
    `--${name}${opt.type === 'string' ? ` ${opt.value ?? 'VALUE'}` : ''}`,
    opt.description,
  ]);
  rows.push(['-h, --help', 'show this help and exit']);
  const table = (items: [string, string][]) => {
    const width = Math.max(...items.map(([left]) => left.length));
    return items.map(([left, text]) => `  ${left.padEnd(width)}  ${text}`);
  };
  const lines = [`usage: ${spec.usage}`, '', spec.summary, '', 'options:', ...table(rows)];
  if (spec.epilog) lines.push('', spec.epilog.trimEnd());
  lines.push('', 'exit codes:', ...table(spec.exitCodes), '', `docs: ${spec.docs}`);
  return lines.join('\n') + '\n';
}

export function parseCommand(spec: CommandSpec, args: string[]): ParsedCommand {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, opt] of Object.entries(spec.options)) {
    options[name] = {
      type: opt.type,
      ...(opt.multiple ? { multiple: true } : {}),
      ...(opt.default !== undefined ? { default: opt.default } : {}),
    } as NonNullable<ParseArgsConfig['options']>[string];
  }
  // `--tail` with no number after it gets its implicit value (a bare integer after it is the value);
  // `--best -loss` is read as `--best=-loss` (parseArgs calls a value starting with - ambiguous).
  const special = Object.entries(spec.options).filter(([, opt]) => opt.implicitValue !== undefined || opt.dashValue);
  if (special.length > 0) {
    const given = args;
    args = [];
    for (let i = 0; i < given.length; i++) {
      const arg = given[i]!;
      const opt = special.find(([name]) => arg === `--${name}`)?.[1];
      const next = given[i + 1];
      if (opt?.dashValue && next?.startsWith('-') && next !== '--') {
        args.push(`${arg}=${next}`);
        i++;
      } else if (opt?.implicitValue !== undefined && !/^\d+$/.test(next ?? '')) args.push(arg, opt.implicitValue);
      else args.push(arg);
    }
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // node's messages are already one line; drop its "To specify a positional..." tail.
    const message = error instanceof Error ? error.message.split('. ')[0]! : String(error);
    throw new UsageError(message.replace(/\.$/, ''));
  }
  const values = parsed.values as ParsedCommand['values'];
  const max = spec.positionals?.max ?? 0;
  if (!values.help && parsed.positionals.length > max) {
    throw new UsageError(
      max === 0
        ? `unexpected argument '${parsed.positionals[0]}'`
        : `too many arguments: expected at most ${max} (${spec.positionals?.names})`,
    );
  }
  return { values, positionals: parsed.positionals, help: Boolean(values.help) };
}

/**
 * The spec as this run was invoked: through the extension (`pixi condor submit`, which
 * scripts/pixi-condor.mjs marks with PIXI_CONDOR_COMMAND) the usage names that command, not
 * `pixi run submit`.
 */
export function asInvoked(spec: CommandSpec, env: NodeJS.ProcessEnv = process.env): CommandSpec {
  if (env.PIXI_CONDOR_COMMAND !== 'pixi condor') return spec;
  return { ...spec, usage: spec.usage.replace(/^pixi run /, 'pixi condor ') };
}

/** Parse, and print help (returning null) when asked for it. */
export function parseOrHelp(spec: CommandSpec, args: string[]): ParsedCommand | null {
  const parsed = parseCommand(spec, args);
  if (parsed.help) {
    process.stdout.write(helpText(asInvoked(spec)));
    return null;
  }
  return parsed;
}

export function stringOption(parsed: ParsedCommand, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanOption(parsed: ParsedCommand, name: string): boolean {
  return parsed.values[name] === true;
}
