// The one gateway to external commands (docker, git, condor_*). It knows about --dry-run:
// a command that changes something is printed, not run; a read-only one (docker version,
// git rev-parse, a registry lookup) runs either way so the dry run can show real decisions.
// Secrets reach tools only on stdin: any argv holding a registered secret is refused, and
// secrets are masked in everything this module prints or returns in an error.
import { SecretMask } from './secret-mask.ts';
import { constants as osConstants } from 'node:os';
import { UserError } from './errors.ts';

export interface CommandOptions {
  /** Runs under --dry-run as well: it reads, it never writes. */
  readOnly?: boolean;
  /** Data for the tool's stdin; the only channel a secret may travel on. */
  stdin?: string;
  cwd?: string;
  /** Extra environment variables (merged over process.env). */
  env?: Record<string, string | undefined>;
  /** Return a failed result instead of throwing. */
  nothrow?: boolean;
  /** Milliseconds before the child is killed (default: none). */
  timeoutMs?: number;
  /** Called for each complete line the tool prints, e.g. to show build progress. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Start the tool in a process group of its own, so a terminal's Ctrl-C (sent to our whole
   * group) reaches only us: for a step that must not be cut off half-way (condor_submit, whose
   * job must end up recorded).
   */
  ownProcessGroup?: boolean;
}

export interface CommandResult {
  argv: string[];
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The signal that killed the tool, if one did. */
  signal?: NodeJS.Signals | null;
  /** True when the command was only printed (dry run). */
  skipped: boolean;
}

/** The last non-empty line of a tool's output: usually the one that says what went wrong. */
export function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .pop()
      ?.trim() ?? ''
  );
}

export class CommandFailed extends UserError {
  readonly result: CommandResult;
  constructor(result: CommandResult, display: string) {
    const reason = lastLine(result.stderr);
    const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.exitCode}`;
    super(`\`${display}\` ${how}${reason ? `: ${reason}` : ''}`);
    this.result = result;
  }
}

/** Quote one argument the way a POSIX shell would need it, for printing only. */
export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export interface ShellOptions {
  dryRun?: boolean;
  /** Where "would run" lines and echoed commands go (default: stderr). */
  log?: (line: string) => void;
  /** Print every command before it runs (e.g. --verbose). */
  echo?: boolean;
}

export class Shell {
  readonly dryRun: boolean;
  private readonly log: (line: string) => void;
  private readonly echo: boolean;
  private readonly secrets = new SecretMask();

  constructor(options: ShellOptions = {}) {
    this.dryRun = options.dryRun ?? false;
    this.log = options.log ?? ((line) => process.stderr.write(line + '\n'));
    this.echo = options.echo ?? false;
  }

  /** Register a value that must never appear in argv or output. Short values are ignored (too many false hits). */
  addSecret(value: string | undefined): void {
    this.secrets.add(value);
  }

  /** Replace every registered secret in `text` by `***`. */
  mask(text: string): string {
    return this.secrets.mask(text);
  }

  display(argv: string[]): string {
    return this.mask(argv.map(shellQuote).join(' '));
  }

  async run(argv: string[], options: CommandOptions = {}): Promise<CommandResult> {
    if (argv.length === 0) throw new Error('Shell.run: empty argv');
    const cut = argv.findIndex((arg) => arg.includes('\0'));
    if (cut >= 0) {
      // execve takes C strings: the tool would silently get the argument cut at the NUL.
      throw new UserError(
        `argument ${cut} of \`${argv[0]}\` contains a NUL byte: ${shellQuote(this.mask(argv[cut]!.split('\0')[0]!))}…`,
        {
          hint: 'remove the NUL (\\u0000) from the value it came from (pixi.toml, the command line, .env)',
          exitCode: 2,
        },
      );
    }
    for (const arg of argv) {
      // A programming error, not a user one: refuse before anything is spawned.
      if (this.secrets.foundIn(arg)) throw new Error(`refusing to put a secret in argv of \`${argv[0]}\``);
    }
    const display = this.display(argv);
    if (this.dryRun && !options.readOnly) {
      this.log(`would run: ${display}${options.stdin !== undefined ? ' (with input on stdin)' : ''}`);
      return { argv, stdout: '', stderr: '', exitCode: 0, skipped: true };
    }
    if (this.echo) this.log(`$ ${display}`);

    const output = await spawnTool(argv, options, (text) => this.mask(text));
    const result: CommandResult = {
      argv,
      ...output,
      stdout: this.mask(output.stdout),
      stderr: this.mask(output.stderr),
      skipped: false,
    };
    if (result.exitCode !== 0 && !options.nothrow) throw new CommandFailed(result, display);
    return result;
  }
  /**
   * `source | through | sink` without a shell: the source's stdout goes through a Node stream
   * (e.g. a tar filter) into the sink's stdin, so a large stream is never held or written to disk.
   * Both tools' failures are reported (the source's first: a sink fails when its input is cut).
   */
  async pipe(
    source: string[],
    through: import('node:stream').Transform,
    sink: string[],
    options: Pick<CommandOptions, 'env' | 'cwd'> = {},
  ): Promise<void> {
    for (const arg of [...source, ...sink]) {
      if (this.secrets.foundIn(arg) || arg.includes('\0')) throw new Error('refusing a secret or NUL in a pipe argv');
    }
    const display = `${this.display(source)} | ${this.display(sink)}`;
    if (this.dryRun) {
      this.log(`would run: ${display}`);
      return;
    }
    if (this.echo) this.log(`$ ${display}`);
    const { spawn } = await import('node:child_process');
    const start = (argv: string[], stdio: ('pipe' | 'ignore')[]) =>
      spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio });
    const from = start(source, ['ignore', 'pipe', 'pipe']);
    const to = start(sink, ['pipe', 'pipe', 'pipe']);
    const ended = (child: ReturnType<typeof start>, argv: string[]) =>
      new Promise<CommandResult>((resolve) => {
        const err: string[] = [];
        child.stderr?.setEncoding('utf8').on('data', (c: string) => err.push(c));
        child.stdout?.on('data', () => {}); // the sink's stdout is not ours to keep
        child.on('error', (e: NodeJS.ErrnoException) =>
          resolve({
            argv,
            stdout: '',
            stderr: e.code === 'ENOENT' ? `${argv[0]}: command not found` : e.message,
            exitCode: 127,
            skipped: false,
          }),
        );
        child.on('close', (code, signal) =>
          resolve({ argv, stdout: '', stderr: this.mask(err.join('')), exitCode: code ?? 128, signal, skipped: false }),
        );
      });
    const results = Promise.all([ended(from, source), ended(to, sink)]);
    let sinkFailed = false;
    // A sink that fails (a full disk) stops reading: end the source too, or it blocks on a full pipe.
    to.on('close', (code) => {
      sinkFailed = code !== 0;
      if (sinkFailed && from.exitCode === null) from.kill('SIGTERM');
    });
    to.stdin?.on('error', () => {}); // a sink that stops reading fails by its own exit status
    through.on('error', () => to.stdin?.destroy());
    from.stdout?.pipe(through).pipe(to.stdin!);
    const [a, b] = await results;
    if (sinkFailed) throw new CommandFailed(b, this.display(sink));
    if (a.exitCode !== 0) throw new CommandFailed(a, this.display(source));
  }
}

type ToolOutput = Pick<CommandResult, 'stdout' | 'stderr' | 'exitCode' | 'signal'>;

/**
 * Run argv directly (no shell between us and the tool: nothing to quote, nothing to inject),
 * with Node's own child_process: zx took ~40 ms to load for what this needs. A tool that is
 * not on PATH ends as a shell would report it: exit 127, "command not found".
 */
async function spawnTool(argv: string[], options: CommandOptions, mask: (s: string) => string): Promise<ToolOutput> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: options.ownProcessGroup ?? false,
    });
    const stdout: string[] = [];
    const stderr: string[] = [];
    for (const [stream, sink, name] of [
      [child.stdout, stdout, 'stdout'],
      [child.stderr, stderr, 'stderr'],
    ] as const) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => sink.push(chunk));
      if (options.onLine) attachLineListener(stream, (line) => options.onLine!(line, name), mask);
    }
    // A tool that exits before reading its input must not crash us (EPIPE on its stdin).
    child.stdin.on('error', () => {});
    child.stdin.end(options.stdin ?? '');
    const timer =
      options.timeoutMs !== undefined ? setTimeout(() => child.kill('SIGTERM'), options.timeoutMs) : undefined;
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT') {
        resolve({ stdout: '', stderr: `${argv[0]}: command not found\n`, exitCode: 127, signal: null });
      } else {
        reject(new UserError(`could not run \`${argv[0]}\`: ${error.message}`));
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        stdout: stdout.join(''),
        stderr: stderr.join(''),
        // A tool killed by a signal exits as a shell reports it: 128 + the signal's number.
        exitCode: code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1),
        signal: signal ?? null,
      });
    });
  });
}

/** Call `onLine` for each complete line of `stream` (CR or LF ends a line), masked. */
function attachLineListener(
  stream: NodeJS.ReadableStream,
  onLine: (line: string) => void,
  mask: (s: string) => string,
): void {
  let pending = '';
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.search(/[\r\n]/)) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line) onLine(mask(line));
    }
  });
  stream.on('end', () => {
    if (pending) onLine(mask(pending));
    pending = '';
  });
}

/** Is `name` an executable on PATH? (Read-only; no shell involved.) */
export async function onPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const { access, constants } = await import('node:fs/promises');
  const { delimiter, join } = await import('node:path');
  if (name.includes('/')) {
    try {
      await access(name, constants.X_OK);
      return name;
    } catch {
      return null;
    }
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}
