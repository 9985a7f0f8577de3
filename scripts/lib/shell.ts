// The one gateway to external commands (docker, git, condor_*). It knows about --dry-run:
// a command that changes something is printed, not run; a read-only one (docker version,
// git rev-parse, a registry lookup) runs either way so the dry run can show real decisions.
// Secrets reach tools only on stdin: any argv holding a registered secret is refused, and
// secrets are masked in everything this module prints or returns in an error.
// Shell is the policy (dry run, secrets, NUL bytes, masking, clear errors); zx's `$` is the
// spawner (quoting, nothrow, quiet, timeout, input on stdin, process groups), loaded lazily.
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
  /**
   * A short query whose output is read whole (no onLine, no process group): the tool is spawned
   * directly, without zx and its bash, whose load (~20 ms of this process's time) is most of
   * what a fast command costs where a job starts at once (`submit --local` asks git).
   */
  direct?: boolean;
  /**
   * A tool whose output is read whole (no onLine) is stopped once a stream passes this many
   * bytes, and the run fails (default QUERY_OUTPUT_MAX_BYTES): a tool printing without end
   * costs bounded memory.
   */
  maxOutputBytes?: number;
}

/** The most a tool read whole may print per stream (a 100,000-proc condor_q is a few MiB). */
const QUERY_OUTPUT_MAX_BYTES = 64 << 20;

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

  /** Does `text` hold a registered secret? */
  holdsSecret(text: string): boolean {
    return this.secrets.foundIn(text);
  }

  /** Replace every registered secret in `text` by `***`. */
  mask(text: string): string {
    return this.secrets.mask(text);
  }

  display(argv: string[]): string {
    return this.mask(argv.map(shellQuote).join(' '));
  }

  /**
   * zx's tagged-template form of `run`, for a task of your own (README, "A task of your own"):
   * shell.$`tar -czf ${archive} ${dir}`, or with options shell.$({ readOnly: true })`git status`.
   * The template's own text is split on whitespace; each interpolated value is one argument
   * (an array: one per item) and is glued to text it touches (`--name=${v}`). Nothing is
   * interpreted as shell: quotes, globs, pipes or `$` in the text are refused, pass them in `${}`.
   */
  $(pieces: TemplateStringsArray, ...values: unknown[]): Promise<CommandResult>;
  $(options: CommandOptions): (pieces: TemplateStringsArray, ...values: unknown[]) => Promise<CommandResult>;
  $(
    first: TemplateStringsArray | CommandOptions,
    ...values: unknown[]
  ): Promise<CommandResult> | ((pieces: TemplateStringsArray, ...values: unknown[]) => Promise<CommandResult>) {
    if (isTemplate(first)) return this.run(templateArgv(first, values));
    return (pieces, ...rest) => this.run(templateArgv(pieces, rest), first);
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
    const direct = options.direct && !options.onLine && !options.ownProcessGroup;
    const output = await (direct ? spawnDirect : spawnTool)(argv, options, {
      mask: (text) => this.mask(text),
      // zx's log hook reports the spawn: the echo shows our masked form of the command, never zx's.
      onStart: () => {
        if (this.echo) this.log(`$ ${display}`);
      },
    });
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
        // Only its end is kept: a failure is told by its last line.
        const err = TailChunks.keeping(PIPE_STDERR_TAIL_BYTES);
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

function isTemplate(value: unknown): value is TemplateStringsArray {
  return Array.isArray(value) && 'raw' in value;
}

/** argv from a template: its text split on whitespace, each value one argument (see Shell.$). */
export function templateArgv(pieces: TemplateStringsArray, values: unknown[]): string[] {
  const argv: string[] = [];
  let word: string | null = null;
  const flush = (): void => {
    if (word !== null) argv.push(word);
    word = null;
  };
  for (const [i, piece] of pieces.entries()) {
    const shellish = /["'`$|&;<>()*?\\[\]{}~#]/.exec(piece);
    if (shellish)
      throw new Error(
        `Shell.$: \`${shellish[0]}\` in the command's text means nothing here (no shell reads it): pass such values in \${}`,
      );
    for (const part of piece.split(/(\s+)/)) {
      if (part === '') continue;
      if (/^\s+$/.test(part)) flush();
      else word = (word ?? '') + part;
    }
    if (i >= values.length) continue;
    const value = values[i];
    const items = Array.isArray(value) ? value : [value];
    for (const [k, item] of items.entries()) {
      if (k > 0) flush();
      word = (word ?? '') + String(item);
    }
  }
  flush();
  if (argv.length === 0) throw new Error('Shell.$: empty command');
  return argv;
}

type ToolOutput = Pick<CommandResult, 'stdout' | 'stderr' | 'exitCode' | 'signal'>;

/**
 * zx's process layer (`zx/core`: `$`, without the globbing/YAML/fetch extras of `zx`), loaded on
 * the first command: a task that runs no tool (validate, status on a finished job) never loads it.
 * Inside a bundle this import() is a require() of the external package, made on the same path.
 */
let zxCore: Promise<typeof import('zx/core')> | undefined;
function loadZx(): Promise<typeof import('zx/core')> {
  zxCore ??= import('zx/core');
  return zxCore;
}

/**
 * Run argv through zx's `$`: the array in `${argv}` is quoted item by item (zx's `quote`), so
 * every value arrives as one argument, whatever it holds. zx puts bash between us and the tool
 * (`set -euo pipefail;` + the quoted command); bash execs a command that ends the script, so
 * the tool's own exit status and signal come back. Policy stays in Shell: zx only spawns. A
 * tool that is not on PATH ends as bash reports it: exit 127, "command not found".
 */
async function spawnTool(
  argv: string[],
  options: CommandOptions,
  hooks: { mask: (s: string) => string; onStart: () => void },
): Promise<ToolOutput> {
  const { $, within, quote } = await loadZx();
  // zx found bash on PATH when it loaded; where it did not, say so rather than fall back to sh,
  // which reads neither zx's `$'…'` quoting nor its `set -o pipefail`.
  const bash = typeof $.shell === 'string' ? $.shell : await onPath('bash');
  if (!bash)
    throw new UserError(`could not run \`${argv[0]}\`: bash is not on PATH (the gateway runs tools through it)`, {
      hint: 'install bash or put it on PATH',
    });
  const lines = options.onLine
    ? {
        stdout: lineSplitter((line) => options.onLine!(line, 'stdout'), hooks.mask),
        stderr: lineSplitter((line) => options.onLine!(line, 'stderr'), hooks.mask),
      }
    : null;
  const detached = options.ownProcessGroup ?? false;
  // Read whole: each stream kept up to its cap; past it, the tool is stopped (see the end).
  const cap = options.onLine ? null : new OutputCap(options.maxOutputBytes ?? QUERY_OUTPUT_MAX_BYTES);
  // zx's default kill (used by `timeout`) walks the process tree with `ps`, which is not on
  // every machine and spawns through a shell; bash has exec'd the tool, so its pid (or, in a
  // group of its own, the group) is the one to signal. A ProcessPromise kills through `$.kill`
  // of the context it runs in: `within` scopes that to this one call.
  const child = within(() => {
    const kill = async (pid: string | number, signal?: NodeJS.Signals): Promise<void> =>
      signalTool(Number(pid), signal ?? 'SIGTERM', detached);
    $.kill = kill;
    return $({
      shell: bash,
      prefix: 'set -euo pipefail;',
      quote,
      // zx's default is the folder it was loaded in; a tool runs where we are now.
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, ...options.env },
      // Always a stdin that ends (an empty Buffer still counts as input for zx): a tool that
      // reads stdin must never wait on our terminal. A secret, when there is one, travels only here.
      input: Buffer.from(options.stdin ?? ''),
      stdio: ['pipe', 'pipe', 'pipe'],
      nothrow: true,
      // A streamed tool (a build, a push) can print without end: what it printed is kept only
      // as its last MiB per stream, which is what a failure's message is read from.
      store: options.onLine ? tailStore() : cap!.store(),
      // None of zx's own printing: the gateway prints (masked) what it prints. `log` is zx's
      // hook for the spawn and for every chunk the tool writes, which feeds the line callbacks.
      quiet: true,
      verbose: false,
      preferLocal: false,
      detached,
      log: (entry) => {
        if (entry.kind === 'cmd') hooks.onStart();
        else if ((entry.kind === 'stdout' || entry.kind === 'stderr') && lines) lines[entry.kind].push(entry.data);
      },
      kill,
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
    })`${argv}`;
  });
  cap?.onOverflow((signal) => void child.kill(signal));
  // A tool that exits before reading its input must not crash us (EPIPE on its stdin).
  child.stdin?.on('error', () => {});
  const output = await child;
  lines?.stdout.end();
  lines?.stderr.end();
  cap?.check(argv);
  if (output.cause) throw new UserError(`could not run \`${argv[0]}\`: ${hooks.mask(output.cause.message)}`);
  const signal = output.signal ?? null;
  return {
    stdout: output.stdout,
    stderr: withoutShellPrefix(output.stderr, output.exitCode),
    // A tool killed by a signal exits as a shell reports it: 128 + the signal's number.
    exitCode: output.exitCode ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1),
    signal,
  };
}

/**
 * CommandOptions.direct: the tool itself, spawned by Node with argv as it is (no shell, so
 * nothing to quote); its output and exit as spawnTool reports them, and a tool not on PATH as
 * bash would report it (127, "command not found").
 */
async function spawnDirect(
  argv: string[],
  options: CommandOptions,
  hooks: { mask: (s: string) => string; onStart: () => void },
): Promise<ToolOutput> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    hooks.onStart();
    const cap = new OutputCap(options.maxOutputBytes ?? QUERY_OUTPUT_MAX_BYTES);
    const { stdout: out, stderr: err } = cap.store();
    cap.onOverflow((signal) => {
      if (child.pid) signalTool(child.pid, signal, false);
    });
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.stdin!.on('error', () => {}); // a tool that exits before reading its input
    child.stdin!.end(options.stdin ?? '');
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => child.pid && signalTool(child.pid, 'SIGTERM', false), options.timeoutMs)
        : null;
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return; // it ran: 'close' reports how it ended
      if (timer) clearTimeout(timer);
      const missing = error.code === 'ENOENT';
      resolve({
        stdout: '',
        stderr: missing ? `${argv[0]}: command not found\n` : `${argv[0]}: ${hooks.mask(error.message)}\n`,
        exitCode: missing ? 127 : 126,
        signal: null,
      });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (child.pid === undefined) return; // never started: 'error' answered
      try {
        cap.check(argv);
      } catch (error) {
        reject(error);
        return;
      }
      resolve({
        stdout: Buffer.concat(out as Buffer[]).toString('utf8'),
        stderr: Buffer.concat(err as Buffer[]).toString('utf8'),
        exitCode: code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1),
        signal: signal ?? null,
      });
    });
  });
}

/**
 * bash's own complaint about the command ("/usr/bin/bash: line 1: docker: command not found",
 * exit 127; 126 for "Permission denied") names bash and a line of a script the user never wrote:
 * say it as the tool's, as a terminal would.
 */
function withoutShellPrefix(stderr: string, exitCode: number | null): string {
  if (exitCode !== 127 && exitCode !== 126) return stderr;
  return stderr.replace(/^\S*bash: line \d+: /gm, '');
}

function signalTool(pid: number, signal: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    // already gone
  }
}

/** Of a streamed tool's output, this much of each stream is kept (its end). */
const STREAM_TAIL_BYTES = 1 << 20;

/**
 * Chunks kept up to `cap` bytes, the oldest dropped first (the last chunk always kept): zx's
 * store for a tool whose output goes to onLine as it comes.
 */
export class TailChunks extends Array<string | Buffer> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
  private bytes = 0;
  private cap = STREAM_TAIL_BYTES;

  static keeping(cap: number): TailChunks {
    const chunks = new TailChunks();
    chunks.cap = cap;
    return chunks;
  }

  override push(...items: (string | Buffer)[]): number {
    for (const item of items) {
      super.push(item);
      this.bytes += item.length;
    }
    while (this.bytes > this.cap && this.length > 1) this.bytes -= super.shift()!.length;
    return this.length;
  }
}

/** How long a tool stopped for its output has to end on SIGTERM before SIGKILL. */
const OVERFLOW_GRACE_MS = 5000;

/** Of a piped tool's stderr, this much is kept (its end). */
const PIPE_STDERR_TAIL_BYTES = 64 << 10;

/**
 * A tool's streams kept whole up to `max` bytes each: past it, nothing more is kept, the
 * overflow callback stops the tool once, and check() fails the run.
 */
class OutputCap {
  private readonly max: number;
  private over: 'stdout' | 'stderr' | null = null;
  private signal: (signal: NodeJS.Signals) => void = () => {};
  private killTimer: NodeJS.Timeout | null = null;

  constructor(max: number) {
    this.max = max;
  }

  /** How to signal the tool: SIGTERM once a stream passes the cap, SIGKILL if it is still there after a grace. */
  onOverflow(signal: (signal: NodeJS.Signals) => void): void {
    this.signal = signal;
  }

  private stop(): void {
    this.signal('SIGTERM');
    this.killTimer = setTimeout(() => this.signal('SIGKILL'), OVERFLOW_GRACE_MS);
  }

  /** The store zx (or spawnDirect) pushes each stream's chunks into. */
  store(): { stdout: (string | Buffer)[]; stderr: (string | Buffer)[]; stdall: (string | Buffer)[] } {
    // zx's both streams in one (stdall) is read by nothing here: it keeps nothing.
    const stdall: (string | Buffer)[] = [];
    stdall.push = () => 0;
    return { stdout: this.stream('stdout'), stderr: this.stream('stderr'), stdall };
  }

  private stream(name: 'stdout' | 'stderr'): (string | Buffer)[] {
    let bytes = 0;
    const chunks: (string | Buffer)[] = [];
    // Only push is overridden: zx and spawnDirect add chunks with it, and read the rest as an array.
    chunks.push = (...items: (string | Buffer)[]): number => {
      for (const item of items) {
        bytes += item.length;
        if (bytes <= this.max) Array.prototype.push.call(chunks, item);
        else if (this.over === null) {
          this.over = name;
          this.stop();
        }
      }
      return chunks.length;
    };
    return chunks;
  }

  /** Once the tool has ended: throws when a stream passed the cap (its output is not all there: nothing may read it). */
  check(argv: readonly string[]): void {
    if (this.killTimer) clearTimeout(this.killTimer);
    if (this.over === null) return;
    throw new UserError(
      `\`${argv[0]}\` printed more than ${this.max >= 1 << 20 ? `${this.max / (1 << 20)} MiB` : `${this.max} bytes`} on its ${this.over}: stopped`,
      { hint: `run \`${argv[0]}\` yourself to see what it prints` },
    );
  }
}

function tailStore(): { stdout: TailChunks; stderr: TailChunks; stdall: TailChunks } {
  return {
    stdout: TailChunks.keeping(STREAM_TAIL_BYTES),
    stderr: TailChunks.keeping(STREAM_TAIL_BYTES),
    stdall: TailChunks.keeping(2 * STREAM_TAIL_BYTES),
  };
}

/** A tool's line longer than this is not shown (its length is): no progress line is, and the text is held till its end. */
const MAX_LINE_CHARS = 64 << 10;

/**
 * A tool's output as lines for onLine, each masked (a secret is whole within its line). Each
 * piece is searched once (not the line held so far again), and a line past MAX_LINE_CHARS is
 * dropped as it comes, said by one line of its length: never a part of it, where a secret could
 * be cut in two and pass the mask.
 */
export function lineSplitter(
  onLine: (line: string) => void,
  mask: (s: string) => string,
): { push: (chunk: string | Buffer) => void; end: () => void } {
  const decoder = new TextDecoder();
  const ends = /[\r\n]/g;
  let pending = '';
  /** Characters of the current line dropped so far (-1: none). */
  let dropped = -1;
  const line = (text: string): void => {
    if (dropped >= 0) {
      onLine(`(a line of ${dropped + text.length} characters, not shown)`);
      dropped = -1;
    } else if (text) onLine(mask(text));
  };
  const add = (text: string): void => {
    let from = pending.length;
    pending += text;
    for (;;) {
      ends.lastIndex = from;
      const found = ends.exec(pending);
      if (!found) break;
      line(pending.slice(0, found.index));
      pending = pending.slice(found.index + 1);
      from = 0;
    }
    if (pending.length > MAX_LINE_CHARS) {
      dropped = Math.max(dropped, 0) + pending.length;
      pending = '';
    }
  };
  return {
    push(chunk) {
      add(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    },
    end() {
      add(decoder.decode());
      if (pending || dropped >= 0) line(pending);
      pending = '';
    },
  };
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
