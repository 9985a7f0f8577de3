// The statement forms of the submit language beyond assignments (issue 12), `queue … from` tables
// read as condor_submit reads them (issue 11), and the bounds and secrets of issue 13. Behaviour is
// settled by HTCondor's source (htcondor/htcondor at 7491a145f64a): config.cpp Parse_macros
// (error/warning ~1674, include options ~1282, `-Attr` and `+=` ~1855), submit_utils.cpp
// (shell: SetExecutable ~4459, SetArguments ~3653; queue: parse_queue_args ~9132, split_item
// ~9324, load_external_q_foreach_items ~9600, qslice ~8782; warn_unused ~9942) and submit_utils.h
// (SubmitStepFromQArgs::select_rowdata: an empty item keeps the previous values).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../scripts/lib/errors.ts';
import { parseSubmitText } from '../../scripts/lib/submit-language/submit-file.ts';
import {
  localInputs,
  planSubmit,
  readSubmitStatements,
  type PlanOptions,
  type SubmitPlan,
} from '../../scripts/lib/submit-language/submit-plan.ts';
import { splitItem } from '../../scripts/lib/submit-language/submit-queue.ts';
import { checkJobLength, locateEntry, readSubmitFile } from '../../scripts/lib/validate/submit-file.ts';
import { condorFixtures } from '../condor/fixtures.ts';
import { repoRoot } from '../helpers/paths.ts';
import { runCommand, tsxLoader, bound } from '../helpers/process.ts';

const work = mkdtempSync(join(tmpdir(), 'pixi-condor-statements-'));
test.after(() => rmSync(work, { recursive: true, force: true }));
const fixture = (name: string): string => join(condorFixtures, 'submit-files', name);

function plan(text: string, extra: Partial<PlanOptions> = {}): SubmitPlan {
  return planSubmit(parseSubmitText(text, 'job.sub'), {
    submitFile: 'job.sub',
    cwd: work,
    cluster: 7,
    env: process.env,
    ...extra,
  });
}

function failure(run: () => unknown): UserError {
  try {
    run();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('expected a UserError');
}

/** Plans a file in a child process: a case that once hung ends as a timed-out run, not a stuck test. */
async function planInChild(
  file: string,
): Promise<{ error?: { message: string; line?: number }; procs?: number; ms: number; timedOut: boolean }> {
  const run = await runCommand(
    process.execPath,
    ['--import', tsxLoader, join(repoRoot, 'test', 'submit-language', 'plan-child.ts'), file, work],
    { cwd: work, timeoutMs: 30_000 },
  );
  if (run.timedOut) return { ms: 30_000, timedOut: true };
  assert.is(run.code, 0, run.stderr.slice(0, 2000));
  return { ...JSON.parse(run.stdout), timedOut: false };
}

const exe = 'executable = /bin/true\n';

// ---------------------------------------------------------------------------------------------
// Issue 12: error / warning statements, shell, include forms, unused lines.

test("error : stops with the author's own message (macros expanded), also inside an if; warning : goes on", () => {
  const stopped = failure(() =>
    plan(`${exe}if !defined DATA\n  error : set DATA=… on the command line (N=$(N:3))\nendif\nqueue`),
  );
  assert.is(stopped.message, 'set DATA=… on the command line (N=3)');
  assert.is(stopped.line, 3);
  // The branch not taken is not read.
  assert.is(plan(`${exe}if !defined DATA\n  error : needed\nendif\nqueue`, { defines: { DATA: 'x' } }).procs.length, 1);
  const warned = plan(`${exe}warning : this file is for testing only\nqueue`);
  assert.equal(
    warned.warnings.map((w) => [w.rule, w.message, w.line]),
    [['submit/warning-statement', 'this file is for testing only', 2]],
  );
  // `error N : msg` carries an exit code in condor_submit; `error = file` is still the stderr command.
  assert.is(failure(() => plan(`${exe}error 5 : five\nqueue`)).message, 'five');
  assert.ok(plan(`${exe}error = err.txt\nqueue`).procs[0]!.error!.endsWith('/err.txt'));
});

test("the HTCondor manual's error example: `include command into … :` is refused (it runs a command), naming the line", () => {
  const text = readFileSync(fixture('htcondor_docs_config_error_statement.txt'), 'utf8');
  const error = failure(() => plan(`${exe}${text}queue`));
  assert.match(error.message, /runs a command/);
  assert.is(error.line, 3);
  // Without the include, its if/error part stops the plan with the manual's message.
  const rest = text.split('\n').slice(2).join('\n');
  assert.is(failure(() => plan(`${exe}${rest}queue`)).message, 'stuff is needed!');
});

test('shell = command: /bin/sh -c in place of executable/arguments, not transferred, no local input; executable is reported unused', () => {
  const planned = plan(
    'executable = run.sh\narguments = a b\nshell = python train.py --lr $(lr) | tee log.txt\nqueue lr in (0.1, 0.01)',
  );
  const p = planned.procs[1]!;
  assert.equal(
    [p.executable, p.arguments, p.transferExecutable, p.shell],
    ['/bin/sh', ['-c', 'python train.py --lr 0.01 | tee log.txt'], false, 'python train.py --lr 0.01 | tee log.txt'],
  );
  assert.equal([p.classAd.Cmd, p.classAd.TransferExecutable], ['"/bin/sh"', 'false']);
  assert.equal(localInputs(planned), [], 'the shell runs on the execute point; nothing local to check');
  assert.equal(
    planned.warnings.filter((w) => w.rule === 'submit/unused-line').map((w) => w.line),
    [1, 2],
  );
});

test('HTCondor\'s own shell job (test_clean_output_failure.py): /bin/sh -c "cat input.txt", input.txt still a local input', () => {
  const planned = plan(readFileSync(fixture('htcondor_test_clean_output_failure_shell.sub'), 'utf8'));
  assert.equal([planned.procs[0]!.executable, planned.procs[0]!.arguments], ['/bin/sh', ['-c', 'cat input.txt']]);
  assert.equal(
    localInputs(planned).map((i) => [i.command, i.entry]),
    [['transfer_input_files', 'input.txt']],
  );
  assert.equal(planned.warnings, [], 'LeaveJobInQueue is an attribute alias condor_submit reads');
});

test('a command condor_submit does not know is reported as its "unused line" warning; known commands, +attrs and used macros are not', () => {
  const text = [
    exe,
    'reqest_memory = 2GB',
    'checkpoint_exit_code = 85',
    'transfer_checkpoint_files = checkpoint.pt',
    '+is_resumable = true',
    'retry_request_memory = RequestMemory * 2',
    'transfer_output_remaps = "mnist_cnn.pt = results/$(Cluster)/$(Process)/mnist_cnn.pt"',
    'request_nvme = 1',
    'epochs = 10',
    'arguments = --epochs $(epochs)',
    'queue',
  ].join('\n');
  const warnings = plan(text).warnings;
  assert.equal(
    warnings.map((w) => [w.rule, w.line]),
    [['submit/unused-line', 3]],
  );
  assert.match(warnings[0]!.message, /reqest_memory/);
});

test('the template submit file and every command the job helper may add read without a warning', () => {
  const template = readFileSync(join(repoRoot, 'mnist_gpu_docker.sub'), 'utf8');
  writeFileSync(join(work, 'sweep.csv'), '0.1, 1\n0.01, 2\n');
  const extended = template.replace(
    /\nqueue 1\s*$/,
    [
      '',
      'checkpoint_exit_code = 85',
      'transfer_checkpoint_files = checkpoint.pt',
      '+is_resumable = true',
      'retry_request_memory = RequestMemory * 2',
      'retry_request_memory_max = 16384',
      'transfer_output_remaps = "mnist_cnn.pt = results/$(Cluster)/$(Process)/mnist_cnn.pt; metrics.json = results/$(Cluster)/$(Process)/metrics.json"',
      'arguments = --lr $(lr) --seed $(seed)',
      '+JobDurationCategory = "Medium"',
      'queue lr, seed from sweep.csv',
      '',
    ].join('\n'),
  );
  assert.equal(plan(template).warnings, []);
  const swept = plan(extended);
  assert.equal(swept.warnings, []);
  assert.equal(
    swept.procs.map((p) => p.arguments),
    [
      ['--lr', '0.1', '--seed', '1'],
      ['--lr', '0.01', '--seed', '2'],
    ],
  );
});

test("function macros: only HTCondor's names are functions; $Other(…) is text as condor_submit leaves it; $STRING/$EVAL refused", () => {
  const p = plan(`${exe}x = 1\narguments = $HOME(a) $(x) $FN(SUBMIT_FILE) $Fn(SUBMIT_FILE)\nqueue`).procs[0]!;
  assert.equal(p.arguments, ['$HOME(a)', '1', 'job', 'job']);
  assert.match(failure(() => plan(`${exe}arguments = $STRING(x)\nqueue`)).message, /ClassAd/);
  assert.match(failure(() => plan(`${exe}arguments = $EVAL(1+1)\nqueue`)).message, /ClassAd/);
});

test('include forms: ifexist, a missing file, a command, a non-regular file; use is refused; -Attr removes; += appends', () => {
  assert.is(plan(`${exe}include ifexist : nowhere.inc\nqueue`).procs.length, 1);
  assert.match(failure(() => plan(`${exe}include : nowhere.inc\nqueue`)).message, /nowhere\.inc does not exist/);
  assert.match(failure(() => plan(`${exe}include command : ./make.sh\nqueue`)).message, /runs a command/);
  assert.match(failure(() => plan(`${exe}include : ./make.sh |\nqueue`)).message, /runs a command/);
  assert.match(failure(() => plan(`${exe}include sometimes : x\nqueue`)).message, /between `include` and `:`/);
  assert.match(failure(() => plan(`${exe}use feature : GPUs\nqueue`)).message, /configuration template/);
  const p = plan(`${exe}+Project = "a"\n+Other = 1\n-Project = x\nargs = a\nargs += b\nargs +,= c\nqueue`).procs[0]!;
  assert.equal([p.classAd.Project, p.classAd.Other], [undefined, '1']);
  assert.equal(p.arguments, ['a', 'b,c']);
  // A leading ':' on an if-body line hides it from pre-8.1.5 parsers; it is read without the ':'.
  assert.equal(plan(`${exe}if true\n:arguments = hidden\nendif\nqueue`).procs[0]!.arguments, ['hidden']);
});

// ---------------------------------------------------------------------------------------------
// Issue 11: queue … from tables, exactly as condor_submit reads them.

test('HTCondor\'s own queueitemfrom tests: a file and an inline list give "Eat Food", "wash car", "Cook Beans"', () => {
  copyFileSync(fixture('htcondor_test_queueitemfrom_items.txt'), join(work, 'htcondor_test_queueitemfrom_items.txt'));
  for (const name of ['htcondor_test_queueitemfrom_file.cmd', 'htcondor_test_queueitemfrom_mline.cmd']) {
    const planned = plan(readFileSync(fixture(name), 'utf8'));
    assert.equal(
      planned.procs.map((p) => p.arguments.join(' ')),
      ['Eat Food', 'wash car', 'Cook Beans'],
      name,
    );
    assert.equal(planned.warnings, [], name);
  }
});

test("the template's sweep (mnist_sweep.sub, sweep.csv) reads one proc per row with its values and no warning", () => {
  const planned = planSubmit(readSubmitStatements(join(repoRoot, 'mnist_sweep.sub'), 'mnist_sweep.sub'), {
    submitFile: 'mnist_sweep.sub',
    cwd: repoRoot,
    env: process.env,
    cluster: 9,
  });
  const rows = readFileSync(join(repoRoot, 'sweep.csv'), 'utf8').trim().split(/\r?\n/);
  assert.is(planned.procs.length, rows.length);
  assert.equal(planned.warnings, []);
  for (const [i, row] of rows.entries()) {
    const [lr, seed] = row.split(',').map((v) => v.trim());
    const args = planned.procs[i]!.arguments;
    assert.equal([args[args.indexOf('--lr') + 1], args[args.indexOf('--seed') + 1]], [lr, seed], row);
  }
});

test('split_item: first comma/space/tab, whitespace trimmed, the last variable takes the rest, quotes mean nothing, US wins', () => {
  assert.equal(splitItem('x1, -a 1', 2), ['x1', '-a 1']);
  assert.equal(splitItem('  a  b c ', 2), ['a', 'b c']);
  assert.equal(splitItem('a , b', 2), ['a', ', b'], 'a space splits first; the comma stays with the rest');
  assert.equal(splitItem('"a, b", c', 2), ['"a', 'b", c']);
  assert.equal(splitItem('lr,seed,note with, commas', 3), ['lr', 'seed', 'note with, commas']);
  assert.equal(splitItem('only', 3), ['only', '', '']);
  assert.equal(splitItem('a b\x1fc d', 2), ['a b', 'c d']);
  assert.equal(splitItem(' \t', 2), null);
  assert.equal(splitItem('a,b\r', 2), ['a', 'b']);
});

test('items files: CRLF, no final newline, blank lines (a proc with the previous values, reported), # lines are items, continuation', () => {
  const run = (content: string, statement = 'queue lr, seed from t.csv') => {
    writeFileSync(join(work, 't.csv'), content);
    const planned = plan(`executable = /bin/true\narguments = $(lr)/$(seed)\n${statement}`);
    return { args: planned.procs.map((p) => p.arguments[0]), warnings: planned.warnings };
  };
  assert.equal(run('0.1,1\r\n0.2,2\r\n').args, ['0.1/1', '0.2/2']);
  assert.equal(run('0.1,1\n0.2,2').args, ['0.1/1', '0.2/2'], 'no final newline');
  const blank = run('0.1,1\n\n0.2,2\n');
  assert.equal(blank.args, ['0.1/1', '0.1/1', '0.2/2']);
  assert.equal(
    blank.warnings.map((w) => [w.rule, w.file, w.line]),
    [['submit/queue-items', 't.csv', 2]],
  );
  const comment = run('# lr,seed\n0.1,1\n');
  assert.equal(comment.args, ['#/lr,seed', '0.1/1']);
  assert.match(comment.warnings[0]!.message, /reads this '#' line/);
  assert.equal(run('0.1,\\\n1\n').args, ['0.1/1'], 'a trailing \\ joins the next line');
  assert.equal(run('a,1\nb,2\nc,3\nd,4\n', 'queue lr, seed from [1:3] t.csv').args, ['b/2', 'c/3']);
  assert.equal(run('a,1\nb,2\nc,3\nd,4\n', 'queue lr, seed from [::2] t.csv').args, ['a/1', 'c/3']);
  assert.equal(run('a,1\nb,2\nc,3\nd,4\n', 'queue lr, seed from [2] t.csv').args, ['c/3', 'd/4'], '[N] starts at N');
  assert.equal(run('a,1\nb,2\nc,3\nd,4\n', 'queue lr, seed from [-1:] t.csv').args, ['d/4']);
  assert.equal(run('"x, y",1\n').args, ['"x/y",1']);
  assert.match(run('"x, y",1\n').warnings[0]!.message, /quotes/);
});

test('inline lists: one line is one item, a multi-line list skips # lines but keeps blank ones; from - / command / table refused', () => {
  const args = (statement: string) =>
    plan(`executable = /bin/true\narguments = $(a)/$(b)\n${statement}`).procs.map((p) => p.arguments[0]);
  assert.equal(args('queue a, b from (x1 y1)'), ['x1/y1']);
  assert.equal(args('queue a, b from (\n  x1, y1\n  # not an item\n  x2 y2\n)'), ['x1/y1', 'x2/y2']);
  assert.equal(args('queue a, b from (\n  x1, y1\n\n  x2 y2\n)'), ['x1/y1', 'x1/y1', 'x2/y2']);
  assert.equal(args('queue 2 a in (p q)'), ['p/', 'p/', 'q/', 'q/']);
  for (const [statement, message] of [
    ['queue a from seq 1 3 |', /does not run it/],
    ['queue a from -', /standard input/],
    ['queue a from table items.csv', /from table/],
    ['queue a in files x', /belongs after `matching`/],
  ] as const)
    assert.match(failure(() => args(statement)).message, message, statement);
});

// ---------------------------------------------------------------------------------------------
// Issue 13: bounds (time, memory, odd files) and secrets.

test('a 65,536-character key neither crashes the planner nor validate, and messages cut it short', () => {
  const key = 'k'.repeat(65_536);
  assert.is(plan(`${exe}${key} = 1\n${key} = $(${key}) 2\nqueue`).procs.length, 1);
  const warning = plan(`${exe}${key} = 1\nqueue`).warnings[0]!;
  assert.ok(warning.message.length < 300, `a ${warning.message.length}-character warning`);
  const entry = 'e'.repeat(65_536);
  const source = readSubmitFile(`${exe}transfer_input_files = a, ${entry}\nqueue\n`, 'job.sub');
  assert.equal(locateEntry(source, ['transfer_input_files'], entry), { line: 2, column: 27 });
});

test('queue … from and include : refuse /dev/zero, a directory and files over the bound, before reading them', async () => {
  for (const [text, message] of [
    [`${exe}queue x from /dev/zero`, /not a regular file/],
    [`${exe}include : /dev/zero\nqueue`, /not a regular file/],
    [`${exe}queue x from ${work}`, /directory/],
  ] as const) {
    const started = Date.now();
    assert.match(failure(() => plan(text)).message, message, text);
    // Refused from stat, before any read (a read of /dev/zero would never end): a hang bound, stretched on a busy machine.
    assert.ok(Date.now() - started < bound(2000), text);
  }
  // Sparse files: the size is refused from stat, nothing is read.
  writeFileSync(join(work, 'huge.csv'), '');
  truncateSync(join(work, 'huge.csv'), 64 << 20);
  assert.match(failure(() => plan(`${exe}queue x from huge.csv`)).message, /larger than 32 MiB/);
  writeFileSync(join(work, 'huge.sub'), '');
  truncateSync(join(work, 'huge.sub'), 8 << 20);
  assert.match(failure(() => plan(`${exe}include : huge.sub\nqueue`)).message, /larger than 4 MiB/);
  assert.match(failure(() => readSubmitStatements(join(work, 'huge.sub'), 'huge.sub')).message, /larger than 4 MiB/);
  mkdirSync(join(work, 'a-dir.sub'), { recursive: true });
  assert.match(failure(() => readSubmitStatements(join(work, 'a-dir.sub'), 'a-dir.sub')).message, /directory/);
});

test('macros that double at every level end in an error, fast (bounded by size and lookups, not only depth)', async () => {
  const doubling = Array.from({ length: 24 }, (_, i) => `M${i} = $(M${i + 1})$(M${i + 1})`);
  writeFileSync(join(work, 'double.sub'), `${exe}${doubling.join('\n')}\nM24 = x\narguments = $(M0)\nqueue\n`);
  writeFileSync(join(work, 'empty-double.sub'), `${exe}${doubling.join('\n')}\nM24 =\narguments = $(M0)\nqueue\n`);
  for (const name of ['double.sub', 'empty-double.sub']) {
    const result = await planInChild(name);
    assert.is(result.timedOut, false, `${name} hung`);
    assert.match(result.error?.message ?? '', /more than/, name);
    // A bound for a runaway expansion, not a speed check: stretched on a busy machine.
    assert.ok(result.ms < bound(5000), `${name} took ${result.ms} ms`);
  }
});

test('credentials never appear: a token line in an included .env, $ENV(REGISTRY_TOKEN) in the plan, in errors and warnings', () => {
  const token = 'ghp_' + 'Z9'.repeat(18);
  const env = { ...process.env, REGISTRY_TOKEN: token };
  writeFileSync(join(work, '.env'), `REGISTRY_USER=someone\n${token}\n`);
  const pasted = failure(() => plan(`${exe}include : .env\nqueue`, { env }));
  assert.is(pasted.line, 2);
  assert.not.ok(`${pasted.message} ${pasted.hint}`.includes(token));
  assert.not.ok(`${pasted.message}`.includes('ghp_'), 'not even a prefix of the line is quoted');

  writeFileSync(join(work, 'secret.env'), `REGISTRY_TOKEN=${token}\n`);
  const leaked = plan(`${exe}include : secret.env\narguments = --token $ENV(REGISTRY_TOKEN) $(REGISTRY_TOKEN)\nqueue`, {
    env,
  });
  const everything = JSON.stringify(leaked);
  assert.not.ok(everything.includes(token), 'the plan (what submit --dry-run prints) holds the token');
  assert.equal(leaked.procs[0]!.arguments, ['--token', '***', '***']);
  assert.ok(leaked.warnings.some((w) => w.rule === 'submit/credential-in-job'));

  for (const text of [
    `${exe}request_memory = $INT(ENVTOKEN)\nENVTOKEN = $ENV(REGISTRY_TOKEN)\nqueue`,
    `${exe}error : token is $ENV(REGISTRY_TOKEN)\nqueue`,
    `${exe}include : secret.env\nif $(REGISTRY_TOKEN)\nendif\nqueue`,
    `${exe}include : secret.env\nqueue x from $(REGISTRY_TOKEN)`,
  ]) {
    const error = failure(() => plan(text, { env }));
    assert.not.ok(`${error.message} ${error.hint}`.includes(token), text);
  }
});

test('errors quote no line of an unknown file (a submit-file or include pointing at a secret file)', () => {
  const line = 'x'.repeat(20) + 'SECRET-PART-OF-A-LINE' + 'y'.repeat(20);
  writeFileSync(join(work, 'notes.txt'), `${line}\n`);
  for (const error of [
    failure(() => plan(`${exe}include : notes.txt\nqueue`)),
    failure(() => readSubmitStatements(join(work, 'notes.txt'), 'notes.txt').length && plan(line)),
  ]) {
    assert.not.ok(error.message.includes('SECRET') || error.message.includes('xxxxx'), error.message);
    assert.is(error.line, 1);
  }
});

// ---------------------------------------------------------------------------------------------
// Issue 10: validate's job-length warning.

test('a GPU job with neither a job-length class nor checkpointing gets the job-length warning at request_gpus', () => {
  const base = `${exe}request_gpus = 1\nqueue\n`;
  const finding = checkJobLength(readSubmitFile(base, 'job.sub'));
  assert.equal([finding?.rule, finding?.line, finding?.column], ['submit/job-length', 2, 16]);
  for (const extra of ['+GPUJobLength = "short"', 'MY.JobDurationCategory = "Long"', 'checkpoint_exit_code = 85'])
    assert.is(checkJobLength(readSubmitFile(`${extra}\n${base}`, 'job.sub')), null, extra);
  assert.is(checkJobLength(readSubmitFile(`${exe}request_gpus = 0\nqueue\n`, 'job.sub')), null);
  assert.is(checkJobLength(readSubmitFile(`${exe}queue\n`, 'job.sub')), null);
  assert.is(
    checkJobLength(readSubmitFile(readFileSync(join(repoRoot, 'mnist_gpu_docker.sub'), 'utf8'), 'm.sub')),
    null,
  );
  // CHTC's hello-GPU example declares +GPUJobLength; without that line it gets the warning.
  const chtc = readFileSync(fixture('chtc_docker_universe_hello_gpu.sub'), 'utf8');
  assert.is(checkJobLength(readSubmitFile(chtc, 'hello.sub')), null);
  const withoutLength = chtc.replace(/^\+GPUJobLength.*$/m, '');
  assert.is(checkJobLength(readSubmitFile(withoutLength, 'hello.sub'))?.line, 25);
});

test.run();
