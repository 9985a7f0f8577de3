// The command gateway: --dry-run prints instead of running, read-only commands still run,
// secrets never reach argv and are masked in what comes back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../scripts/lib/errors.ts';
import { bound } from '../helpers/process.ts';
import {
  CommandFailed,
  lineSplitter,
  Shell,
  onPath,
  shellQuote,
  TailChunks,
  templateArgv,
} from '../../scripts/lib/shell.ts';

const argvOf = (pieces: TemplateStringsArray, ...values: unknown[]): string[] => templateArgv(pieces, values);

test('dry run prints a changing command and does not run it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-shell-'));
  const logged: string[] = [];
  try {
    const shell = new Shell({ dryRun: true, log: (line) => logged.push(line) });
    const target = join(dir, 'made by touch');
    const result = await shell.run(['touch', target]);
    assert.is(result.skipped, true);
    assert.is(existsSync(target), false, 'the command must not have run');
    assert.equal(logged, [`would run: touch '${target}'`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dry run still runs read-only commands and returns their output', async () => {
  const shell = new Shell({ dryRun: true, log: () => assert.unreachable('nothing to print') });
  const result = await shell.run(['echo', 'hello'], { readOnly: true });
  assert.is(result.skipped, false);
  assert.is(result.stdout, 'hello\n');
});

test('a secret in argv is refused before anything runs', async () => {
  const shell = new Shell();
  shell.addSecret('s3cr3t-token');
  try {
    await shell.run(['echo', '--password=s3cr3t-token']);
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.match((error as Error).message, /refusing to put a secret in argv/);
    assert.not.match((error as Error).message, /s3cr3t-token/);
  }
});

test('secrets go in on stdin and are masked in the output', async () => {
  const shell = new Shell();
  shell.addSecret('s3cr3t-token');
  const result = await shell.run(['cat'], { stdin: 's3cr3t-token\n' });
  assert.is(result.stdout, '***\n');
});

test('a failing command throws a one-line CommandFailed with its last stderr line', async () => {
  const shell = new Shell();
  try {
    await shell.run(['sh', '-c', 'echo first >&2; echo "the real reason" >&2; exit 3']);
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, CommandFailed);
    assert.is((error as CommandFailed).exitCode, 1);
    assert.is((error as CommandFailed).result.exitCode, 3);
    assert.match((error as Error).message, /exited with 3: the real reason$/);
  }
});

test('nothrow returns the failure instead', async () => {
  const result = await new Shell().run(['sh', '-c', 'exit 4'], { nothrow: true });
  assert.is(result.exitCode, 4);
});

test('onLine sees each line as it comes, across chunk boundaries', async () => {
  const lines: string[] = [];
  await new Shell().run(['sh', '-c', 'printf "a\\nb"; sleep 0.05; printf "c\\nd\\n"'], {
    onLine: (line) => lines.push(line),
  });
  assert.equal(lines, ['a', 'bc', 'd']);
});

test('a line past 64K characters is not shown (its length is), held no longer than that; lines around it are, masked', () => {
  const lines: string[] = [];
  const splitter = lineSplitter(
    (line) => lines.push(line),
    (s) => s.replaceAll('hunter2', '***'),
  );
  splitter.push('before hunter2\n');
  const piece = 'x'.repeat(1000);
  for (let i = 0; i < 200; i++) splitter.push(piece); // 200,000 characters, no end of line
  splitter.push('tail\r\nafter\n');
  splitter.push(Buffer.from('last without a newline'));
  splitter.end();
  assert.equal(lines, ['before ***', '(a line of 200004 characters, not shown)', 'after', 'last without a newline']);
});

test('a streamed tool printing without end is kept as its last MiB; its lines still come as they are made', async () => {
  const lines: string[] = [];
  const result = await new Shell().run(['sh', '-c', "head -c 5000000 /dev/zero | tr '\\0' x; echo; echo done"], {
    onLine: (line) => lines.push(line),
  });
  assert.equal(lines, ['(a line of 5000000 characters, not shown)', 'done']);
  assert.ok(result.stdout.length <= (1 << 20) + (1 << 17), `kept ${result.stdout.length} characters`);
  assert.ok(result.stdout.endsWith('xxx\ndone\n'), result.stdout.slice(-20));
});

test('TailChunks keeps the newest chunks within its bytes, the last one always', () => {
  const chunks = TailChunks.keeping(10);
  for (const c of ['aaaa', 'bbbb', 'cccc']) chunks.push(c);
  assert.equal([...chunks], ['bbbb', 'cccc']);
  chunks.push('d'.repeat(50));
  assert.equal([...chunks], ['d'.repeat(50)]);
  assert.is(chunks.join(''), 'd'.repeat(50));
});

test('an argument with a NUL byte is refused (exit 2), not cut short at the NUL', async () => {
  const shell = new Shell();
  try {
    await shell.run(['echo', 'before\0after']);
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, UserError);
    assert.is((error as UserError).exitCode, 2);
    assert.match((error as Error).message, /^argument 1 of `echo` contains a NUL byte: before…$/);
  }
});

test('a tool that is not on PATH exits 127 as a shell would say it', async () => {
  const result = await new Shell().run(['pixi-condor-no-such-tool'], { nothrow: true });
  assert.is(result.exitCode, 127);
  assert.is(result.stderr, 'pixi-condor-no-such-tool: command not found\n');
});

test('every value reaches the tool as one argument, whatever it holds (zx quotes each)', async () => {
  const values = ['a b', `it's`, '$(touch pwned)', '*', 'line\nbreak\ttab', '', '--x=$HOME', '\\', 'naïve ✓', '"q"'];
  const result = await new Shell().run([
    process.execPath,
    '-e',
    'process.stdout.write(JSON.stringify(process.argv.slice(1)))',
    ...values,
  ]);
  assert.equal(JSON.parse(result.stdout), values);
});

test('a tool reading stdin gets an empty, closed stdin when there is no input', async () => {
  const result = await new Shell().run(['cat'], { timeoutMs: 60_000 });
  assert.is(result.exitCode, 0);
  assert.is(result.stdout, '');
});

test('ownProcessGroup starts the tool in a process group of its own', async () => {
  const ours = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[2];
  // `$$` is the tool itself (sh); field 5 of /proc/PID/stat is its process group.
  const script = 'cut -d" " -f5 /proc/$$/stat';
  const own = await new Shell().run(['sh', '-c', script], { ownProcessGroup: true });
  const shared = await new Shell().run(['sh', '-c', script]);
  assert.is(shared.stdout.trim(), ours);
  assert.is.not(own.stdout.trim(), ours);
});

test('echo prints each command as it starts, in the masked display form', async () => {
  const logged: string[] = [];
  const shell = new Shell({ echo: true, log: (line) => logged.push(line) });
  await shell.run(['echo', 'a b']);
  assert.equal(logged, [`$ echo 'a b'`]);
});

test('timeoutMs ends a tool that runs too long (SIGTERM: 143)', async () => {
  const started = Date.now();
  const result = await new Shell().run(['sleep', '10'], { nothrow: true, timeoutMs: 100 });
  assert.is(result.signal, 'SIGTERM');
  assert.is(result.exitCode, 143);
  // sleep 10 would take 10 s: ending well before shows the timeout fired, on a busy machine too.
  assert.ok(Date.now() - started < 9_000);
});

test('direct: the tool spawned without bash, with the same answers (argv, stdin, exit, 127, timeout, secrets)', async () => {
  const shell = new Shell();
  shell.addSecret('s3cr3t-token');
  const values = ['a b', `it's`, '$(touch pwned)', '*', '', '--x=$HOME', 'naïve ✓'];
  // No bash between: bash sets `_` to the command's path in the environment the tool inherits.
  const tool = [
    process.execPath,
    '-e',
    'process.stdout.write(JSON.stringify([process.env._ ?? null, ...process.argv.slice(1)]))',
    ...values,
  ];
  const env = { _: 'ours' };
  assert.equal(JSON.parse((await shell.run(tool, { direct: true, env })).stdout), ['ours', ...values]);
  assert.equal(
    JSON.parse((await shell.run(tool, { env })).stdout),
    [process.execPath, ...values],
    'through zx, bash is there',
  );
  assert.is((await shell.run(['cat'], { direct: true, stdin: 's3cr3t-token\n' })).stdout, '***\n');
  assert.is((await shell.run(['cat'], { direct: true, timeoutMs: 60_000 })).stdout, '');
  const failed = await shell.run(['sh', '-c', 'echo why >&2; exit 3'], { direct: true, nothrow: true });
  assert.equal([failed.exitCode, failed.stderr], [3, 'why\n']);
  const missing = await shell.run(['pixi-condor-no-such-tool'], { direct: true, nothrow: true });
  assert.equal([missing.exitCode, missing.stderr], [127, 'pixi-condor-no-such-tool: command not found\n']);
  const slow = await shell.run(['sleep', '10'], { direct: true, nothrow: true, timeoutMs: 100 });
  assert.equal([slow.signal, slow.exitCode], ['SIGTERM', 143]);
  try {
    await shell.run(['sh', '-c', 'exit 4'], { direct: true });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, CommandFailed);
  }
});

/** The error `run` rejects with, or a failure once `what` has not happened within the (stretched) bound. */
async function refusal(run: Promise<unknown>, what: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), bound(30_000));
  });
  try {
    await Promise.race([run, hang]);
  } catch (error) {
    return error;
  } finally {
    clearTimeout(timer);
  }
  return assert.unreachable('should have thrown');
}

test('a tool read whole that prints without end is stopped past maxOutputBytes and the run fails (zx and direct)', async () => {
  const shell = new Shell();
  for (const direct of [false, true]) {
    // `yes` never ends by itself: only the cap stops it (a hang fails by the bounded race).
    const run = shell.run(['yes', 'a line of output'], { direct, maxOutputBytes: 1 << 20 });
    const error = await refusal(run, 'the tool was not stopped');
    assert.instance(error, UserError, String(error));
    assert.is(
      (error as UserError).message,
      '`yes` printed more than 1 MiB on its stdout: stopped',
      `direct: ${direct}`,
    );
  }
  // A tool that ignores SIGTERM is killed after a grace.
  const stubborn = [
    process.execPath,
    '-e',
    "process.on('SIGTERM', () => {}); const line = 'x'.repeat(1000) + '\\n'; const go = () => process.stdout.write(line, go); go();",
  ];
  const killed = shell.run(stubborn, { direct: true, maxOutputBytes: 1 << 20 });
  assert.instance(await refusal(killed, 'the tool ignoring SIGTERM was not killed'), UserError);
  // Under the cap, the whole output, on both paths.
  for (const direct of [false, true]) {
    const { stdout } = await shell.run(['sh', '-c', 'yes x | head -c 2000'], { direct, maxOutputBytes: 2000 });
    assert.is(stdout.length, 2000);
  }
});

test('shell.$ (zx style): the text split on spaces, each value one argument, glued to text it touches', () => {
  const name = 'a b';
  const files = ['x y', 'z'];
  assert.equal(argvOf`tar  -czf ${name}.tgz --label=${''} ${files} ${[]}end`, [
    'tar',
    '-czf',
    'a b.tgz',
    '--label=',
    'x y',
    'z',
    'end',
  ]);
  assert.equal(argvOf`echo ${''}`, ['echo', '']);
  assert.throws(() => argvOf`ls *.txt`, /`\*` in the command's text means nothing here/);
  assert.throws(() => argvOf`echo "a b"`, /pass such values in \$\{\}/);
});

test('shell.$ runs through the gateway: dry run, options, output', async () => {
  const logged: string[] = [];
  const shell = new Shell({ dryRun: true, log: (line) => logged.push(line) });
  const file = 'with space';
  const skipped = await shell.$`touch ${file}`;
  assert.is(skipped.skipped, true);
  assert.equal(logged, [`would run: touch 'with space'`]);
  const read = await shell.$({ readOnly: true })`echo ${file}`;
  assert.is(read.stdout, 'with space\n');
});

test('shellQuote leaves plain words alone and quotes the rest', () => {
  assert.is(shellQuote('docker'), 'docker');
  assert.is(shellQuote('a b'), `'a b'`);
  assert.is(shellQuote(`it's`), `'it'\\''s'`);
  assert.is(shellQuote(''), `''`);
});

test('onPath finds executables and says null for the rest', async () => {
  assert.ok(await onPath('sh'));
  assert.is(await onPath('definitely-not-a-command-xyz'), null);
});

test.run();
