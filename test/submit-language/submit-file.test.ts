// The submit-file parser: HTCondor's own regress_dry oracle (cmd_submit_regress_dry.subs and
// its .expect) for the attributes we model; the clear errors for what we do not support;
// queue forms, macros and lexical rules; a fuzz run (fixed seed: no crash, no hang).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../scripts/lib/errors.ts';
import { parseSubmitText } from '../../scripts/lib/submit-language/submit-file.ts';
import { localInputs, planSubmit, type PlanOptions } from '../../scripts/lib/submit-language/submit-plan.ts';
import { condorFixtures } from '../condor/fixtures.ts';
import { randomInt, SUBMIT_MUTATION_PIECES, seeded } from '../helpers/random.ts';
import { bound } from '../helpers/process.ts';

const work = mkdtempSync(join(tmpdir(), 'pixi-condor-subs-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

function blocks(text: string): { name: string; body: string }[] {
  const out: { name: string; body: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^==(.+)$/.exec(line);
    if (m) out.push({ name: m[1]!.trim(), body: '' });
    else if (out.length > 0) out[out.length - 1]!.body += line + '\n';
  }
  return out;
}

/** The .expect file: per test, the attributes of each proc (later procs list only changes). */
function expectations(text: string): Map<string, Record<string, string>[]> {
  const map = new Map<string, Record<string, string>[]>();
  for (const { name, body } of blocks(text)) {
    const procs: Record<string, string>[] = [{}];
    for (const line of body.split('\n')) {
      if (line.startsWith('=warn=') || line.startsWith('WARNING')) break;
      if (line === '.') procs.push({ ...procs[procs.length - 1]! });
      else if (line && !line.startsWith('#')) {
        const eq = line.indexOf('=');
        procs[procs.length - 1]![line.slice(0, eq)] = line.slice(eq + 1);
      }
    }
    if (
      procs.length > 1 &&
      Object.keys(procs[procs.length - 1]!).every((k) => procs[procs.length - 2]![k] === procs[procs.length - 1]![k])
    )
      procs.pop();
    map.set(name, procs);
  }
  return map;
}

const MODELLED = new Set([
  'ClusterId',
  'ProcId',
  'JobStatus',
  'Cmd',
  'Args',
  'Arguments',
  'Out',
  'Err',
  'UserLog',
  'Iwd',
  'TransferInput',
  'TransferOutput',
  'ShouldTransferFiles',
  'StreamOut',
  'StreamErr',
  'JobBatchName',
  'RequestMemory',
  'RequestDisk',
  'RequestGPUs',
  'DockerImage',
  'CustomString',
  'CustomInt',
  'CustomReal',
]);
/** Universes pixi-condor refuses (it submits vanilla/container/docker jobs): a clear error instead. */
const UNSUPPORTED = new Set([
  'grid_azure.sub',
  'grid_condorc.sub',
  'grid_ec2.sub',
  'grid_gce.sub',
  'kvm.sub',
  'parallel.sub',
]);

function matches(expected: string, actual: string): boolean {
  const regex = /^\/(.*)\/$/.exec(expected);
  return regex ? new RegExp(regex[1]!).test(actual) : expected === actual;
}

test('regress_dry oracle: every modelled attribute of every proc matches condor_submit -dry-run', () => {
  const subs = blocks(
    readFileSync(join(condorFixtures, 'submit-files', 'htcondor_cmd_submit_regress_dry.subs'), 'utf8'),
  );
  const expected = expectations(
    readFileSync(join(condorFixtures, 'condor_submit', 'htcondor_cmd_submit_regress_dry_expected_ads.expect'), 'utf8'),
  );
  assert.ok(subs.length >= 50);
  let compared = 0;
  for (const [index, { name, body }] of subs.entries()) {
    const submitFile = `1234${name}`; // the harness names files <digits><name>; cluster = position
    writeFileSync(join(work, submitFile), body);
    const options: PlanOptions = { submitFile, cwd: work, cluster: index + 1, env: process.env };
    if (UNSUPPORTED.has(name)) {
      assert.throws(
        () => planSubmit(parseSubmitText(body, submitFile), options),
        (e: unknown) =>
          e instanceof UserError && /universe '\w+' is not supported/.test(e.message) && e.line !== undefined,
        name,
      );
      continue;
    }
    const plan = planSubmit(parseSubmitText(body, submitFile), options);
    const procs = expected.get(name);
    if (!procs) continue; // hold.sub has no expectations
    assert.ok(
      plan.procs.length >= procs.length,
      `${name}: ${plan.procs.length} procs, expected at least ${procs.length}`,
    );
    for (const [p, attrs] of procs.entries()) {
      for (const [attr, value] of Object.entries(attrs)) {
        if (!MODELLED.has(attr)) continue;
        const actual = plan.procs[p]!.classAd[attr];
        assert.ok(
          actual !== undefined && matches(value, actual),
          `${name} proc ${p}: ${attr} is ${actual}, expected ${value}`,
        );
        compared++;
      }
    }
  }
  assert.ok(compared >= 120, `only ${compared} attributes compared`);
});

function plan(text: string, extra: Partial<PlanOptions> = {}) {
  return planSubmit(parseSubmitText(text, 'job.sub'), {
    submitFile: 'job.sub',
    cwd: work,
    cluster: 42,
    env: process.env,
    ...extra,
  });
}

test("the template's own submit file: one proc, paths known before submitting", () => {
  const text = readFileSync(join(condorFixtures, 'submit-files', 'chtc_container_universe_docker_gpu.sub'), 'utf8');
  const before = plan(text, { cluster: null });
  assert.is(before.procs.length, 1);
  assert.is(before.universe, 'container');
  const after = plan(text, { append: ['container_image = docker://ghcr.io/a/b@sha256:' + 'a'.repeat(64)] });
  assert.match(after.procs[0]!.log!, /_42_0\.log\.txt$/);
  assert.ok(
    after.procs[0]!.containerImage!.startsWith('docker://ghcr.io/a/b@sha256:'),
    'the -append line overrides the file',
  );
});

test('localInputs: executable against cwd, inputs against initialdir, URLs and transfer_executable=false left out, one entry per path', () => {
  const text = [
    'executable = bin/run.sh',
    'initialdir = run$(Process)',
    'transfer_input_files = data.tar.gz, ../shared/, https://example.org/x.tgz, out_$(Cluster).txt',
    'queue 2',
  ].join('\n');
  const inputs = localInputs(plan(text, { cluster: null }));
  assert.equal(
    inputs.map((i) => [i.command, i.path, i.proc]),
    [
      ['executable', join(work, 'bin/run.sh'), 0],
      ['transfer_input_files', join(work, 'run0/data.tar.gz'), 0],
      ['transfer_input_files', join(work, 'shared'), 0],
      ['transfer_input_files', join(work, 'run1/data.tar.gz'), 1],
    ],
  );
  const remote = localInputs(plan('executable = /opt/tool\ntransfer_executable = false\nqueue', { cluster: null }));
  assert.equal(remote, []);
});

test('file lists: one pair of quotes around the whole value is taken off, as condor_submit does (trim_and_strip_quotes_in_place)', () => {
  const quoted = plan(
    'executable = /bin/true\ntransfer_input_files = "in1.txt, in2.txt"\ntransfer_output_files = " a.txt ,b.txt "\nqueue',
    {
      cluster: null,
    },
  );
  assert.equal(quoted.procs[0]!.transferInputFiles, ['in1.txt', 'in2.txt']);
  assert.equal(quoted.procs[0]!.transferOutputFiles, ['a.txt', 'b.txt']);
  assert.equal(
    plan('executable = /bin/true\ntransfer_output_files = ""\nqueue', { cluster: null }).procs[0]!.transferOutputFiles,
    [],
  );
});

test('should_transfer_files as condor_submit reads it: its words (TRUE is YES), refused when unknown or NO with files to transfer', () => {
  const ad = (value: string) =>
    plan(`executable = /bin/true\nshould_transfer_files = ${value}\nqueue`, { cluster: null }).procs[0]!.classAd
      .ShouldTransferFiles;
  assert.equal(['True', 'always', 'never', 'Auto', 'IF_NEEDED'].map(ad), [
    '"YES"',
    '"YES"',
    '"NO"',
    '"IF_NEEDED"',
    '"IF_NEEDED"',
  ]);
  assert.throws(() => ad('maybe'), /invalid value \(maybe\) for should_transfer_files/);
  // An empty value is no value (submit_param): $(STF) unset, and NO with an empty $(OUTS).
  assert.is(ad('$(STF)'), undefined);
  assert.ok(
    plan('executable = /bin/true\nshould_transfer_files = NO\ntransfer_output_files = $(OUTS)\nqueue', {
      cluster: null,
    }),
  );
  for (const lists of ['transfer_input_files = a.txt', 'transfer_output_files = ""']) {
    try {
      plan(`executable = /bin/true\nshould_transfer_files = NO\n${lists}\nqueue`, { cluster: null });
      assert.unreachable(lists);
    } catch (error) {
      assert.instance(error, UserError);
      assert.match((error as UserError).message, /but should_transfer_files = NO: condor_submit refuses that/);
      assert.is((error as UserError).line, 2);
    }
  }
});

test('lexical rules: case-insensitive keys, comments, continuation, +Attr, @= values, last assignment wins', () => {
  const { procs } = plan(
    [
      '# a comment',
      'EXECUTABLE = run.sh',
      'Arguments = a \\',
      '# skipped comment inside a continuation',
      '  b',
      '+Project = "x"',
      'MY.Other = 3',
      'request_memory = 1GB  # not a comment',
      'Log = first.log',
      'log = second.log',
      'transfer_input_files @=end',
      'a.txt, b.txt',
      '@end',
      'queue',
    ].join('\n'),
  );
  const p = procs[0]!;
  assert.equal(p.arguments, ['a', 'b']);
  assert.equal([p.classAd.Project, p.classAd.Other], ['"x"', '3']);
  assert.is(p.classAd.RequestMemory, undefined, 'the #... is part of the value, so it is not a size');
  assert.ok(p.log!.endsWith('second.log'));
  assert.equal(p.transferInputFiles, ['a.txt', 'b.txt']);
});

test('macros: $(X:default), Cluster/Process/Item/ItemIndex/Step, nested, $INT/$Fn/$ENV, $$() kept', () => {
  const { procs } = plan(
    [
      'executable = /bin/echo',
      'base = run',
      'n = $(Process) + 1',
      'arguments = $(base)-$INT(n,%03d) $(missing:def) $(Item) $(ItemIndex) $(Step) $(ClusterId).$(ProcId) $Fn(SUBMIT_FILE) $ENV(PIXI_CONDOR_TEST_ENV:none) $$(Memory)',
      'output = out_$(Cluster)_$(Process).txt',
      'queue 2 in (A, B)',
    ].join('\n'),
  );
  assert.equal(
    procs.map((p) => p.arguments.join(' ')),
    [
      'run-001 def A 0 0 42.0 job none $$(Memory)',
      'run-002 def A 0 1 42.1 job none $$(Memory)',
      'run-003 def B 1 0 42.2 job none $$(Memory)',
      'run-004 def B 1 1 42.3 job none $$(Memory)',
    ],
  );
  assert.ok(procs[3]!.output!.endsWith('out_42_3.txt'));
});

test('$(X:default): the default for an undefined X and for one assigned nothing, not for one whose value expands to nothing (config.cpp)', () => {
  const { procs } = plan(
    'executable = /bin/echo\ne =\nf = $(e)\narguments = a$(e:dflt)b c$(f:dflt)d g$(nothing:dflt)h i$(e)j\nqueue',
  );
  assert.equal(procs[0]!.arguments, ['adfltb', 'cd', 'gdflth', 'ij']);
});

test('as condor_submit reads them: X = $(X:dflt) after X =, an empty credential with a default, $ENV values expanded in turn, if defined of an empty macro', () => {
  const args = (text: string, env: NodeJS.ProcessEnv = {}) => {
    const p = plan(`executable = /bin/echo\n${text}\nqueue`, { env, cluster: 0 });
    return { args: p.procs[0]!.arguments, rules: p.warnings.map((w) => w.rule) };
  };
  assert.equal(args('X =\nX = $(X:dflt)\narguments = a$(X)b').args, ['adfltb']);
  // Nothing to mask in an empty token, and nothing reported.
  assert.equal(args('REGISTRY_TOKEN =\narguments = c$(REGISTRY_TOKEN:d)e'), { args: ['cde'], rules: [] });
  assert.equal(args('arguments = a$ENV(V)b', { V: '$(Process)' }).args, ['a0b']);
  // An unclosed `$(` in a variable is no macro, left as it is (a line of the file saying it is refused).
  assert.equal(args('arguments = a$ENV(W)b', { W: 'x$(y' }).args, ['ax$(yb']);
  // `if defined E`: false for E assigned nothing, and E is used (no unused-line warning for it).
  assert.equal(
    args(
      'E =\nif defined E\narguments = yes\nelse\narguments = no\nendif\nif defined true\nexecutable = /bin/true\nendif',
    ),
    { args: ['no'], rules: [] },
  );
});

test('$ENV of an unset variable is the word UNDEFINED, or its default (config.cpp evaluate_macro_func); of a set, empty one, empty', () => {
  const { procs, warnings } = plan(
    'executable = /bin/echo\narguments = a$ENV(NOT_SET)b c$ENV(NOT_SET:dflt)d e$ENV(EMPTY:dflt)f g$ENV(HIDDEN)h\nqueue',
    { env: { EMPTY: '' }, withheld: new Set(['HIDDEN']) },
  );
  assert.equal(procs[0]!.arguments, ['aUNDEFINEDb', 'cdfltd', 'ef', 'gUNDEFINEDh']);
  // Only the withheld variable is said (a secret condor_submit runs without).
  const withheld = warnings.filter((w) => w.rule === 'submit/secret-withheld');
  assert.is(withheld.length, 1);
  assert.match(
    withheld[0]!.message,
    /^\$ENV\(HIDDEN\) reads as unset \(its default where it has one, else the word UNDEFINED\): HIDDEN is a secret/,
  );
});

test('queue forms: N, in (one line and multi-line), from file and inline list with several vars, matching, slice', () => {
  mkdirSync(join(work, 'inputs'), { recursive: true });
  for (const f of ['b.dat', 'a.dat', 'c.txt']) writeFileSync(join(work, 'inputs', f), 'x');
  writeFileSync(join(work, 'items.txt'), 'x1, -a 1\nx2, -b 2\n');
  const exe = 'executable = /bin/true\narguments = $(Item)\n';
  assert.is(plan(exe + 'queue 3').procs.length, 3);
  assert.equal(
    plan(exe + 'queue in a b, c').procs.map((p) => p.arguments[0]),
    ['a', 'b', 'c'],
  );
  assert.equal(
    plan(exe + 'queue in (\n  a\n  b\n)').procs.map((p) => p.arguments[0]),
    ['a', 'b'],
  );
  assert.equal(
    plan('executable = /bin/true\narguments = $(x) $(y)\nqueue x, y from items.txt').procs.map((p) => p.arguments),
    [
      ['x1', '-a', '1'],
      ['x2', '-b', '2'],
    ],
  );
  assert.equal(
    plan('executable = /bin/true\narguments = "$(y)"\nqueue x, y from (\n  x1, -a 1\n  x2 -b 2\n)').procs.map(
      (p) => p.arguments,
    ),
    [
      ['-a', '1'],
      ['-b', '2'],
    ],
  );
  assert.equal(
    plan(exe + 'queue matching files inputs/*.dat').procs.map((p) => p.arguments[0]),
    ['inputs/a.dat', 'inputs/b.dat'],
  );
  assert.equal(
    plan(exe + 'queue in [1:3] (a, b, c, d)').procs.map((p) => p.arguments[0]),
    ['b', 'c'],
  );
  const continued = readFileSync(
    join(condorFixtures, 'submit-files', 'htcondor_queue_in_list_backslash_continuation.cmd'),
    'utf8',
  );
  assert.is(plan(continued).procs.length, 3);
});

test('every real submit file in the fixtures plans without error', () => {
  for (const name of [
    'chtc_container_universe_docker_gpu.sub',
    'chtc_container_universe_oras_apptainer_gpu.sub',
    'chtc_docker_universe_hello_gpu.sub',
    'chtc_docker_universe_require_gpus.sub',
    'chtc_docker_vllm_jobbatchname_attr_alias.sub',
    'chtc_vanilla_cudacapability_requirement.sub',
  ]) {
    const text = readFileSync(join(condorFixtures, 'submit-files', name), 'utf8');
    assert.ok(plan(text).procs.length >= 1, name);
  }
  const vllm = plan(
    readFileSync(join(condorFixtures, 'submit-files', 'chtc_docker_vllm_jobbatchname_attr_alias.sub'), 'utf8'),
  );
  assert.ok(vllm.procs[0]!.batchName, 'JobBatchName is an alias of batch_name');
});

test('what we do not support is a clear error naming the line', () => {
  const cases: [string, RegExp, number][] = [
    ['executable = /bin/true\nqueue from seq 1 3 |', /runs a command/, 2],
    ['executable = /bin/true\narguments = $RANDOM_CHOICE(a,b)\nqueue', /at random/, 2],
    ['executable = /bin/true\nif version >= 9.0\nendif\nqueue', /HTCondor version/, 2],
    ['include : ./make-lines.sh |\nqueue', /runs a command/, 1],
    ['executable = /bin/a\nqueue\nexecutable = /bin/b\nqueue', /second cluster/, 4],
    ['executable = /bin/true\nqueue x in (\n a\n', /no closing `\)`/, 2],
    ['this line is nonsense\nqueue', /cannot read this line/, 1],
    ['executable = /bin/true\narguments = $(', /unclosed/, 2],
  ];
  for (const [text, message, line] of cases) {
    assert.throws(
      () => plan(text.includes('queue') ? text : text + '\nqueue'),
      (e: unknown) => e instanceof UserError && message.test(e.message) && e.line === line,
      text,
    );
  }
  assert.throws(
    () => plan('executable = /bin/true\n'),
    (e: unknown) => e instanceof UserError && /no queue statement/.test(e.message),
  );
});

test('a macro an included .env assigned, put to use, is reported (submit/dotenv-in-job), once; not one left unused, nor one from another file', () => {
  writeFileSync(join(work, 'keys.env'), 'WANDB_API_KEY=abc123secret\nUNUSED_KEY=zzz\n');
  writeFileSync(join(work, 'common.inc'), 'OTHER=plain\n');
  const { procs, warnings } = plan(
    'executable = /bin/true\ninclude : keys.env\ninclude : common.inc\narguments = $(WANDB_API_KEY) $(WANDB_API_KEY) $(OTHER)\nqueue',
  );
  assert.equal(procs[0]!.arguments, ['abc123secret', 'abc123secret', 'plain'], 'the author asked for it: not masked');
  const said = warnings.filter((w) => w.rule === 'submit/dotenv-in-job');
  assert.is(said.length, 1);
  assert.match(said[0]!.message, /^\$\(WANDB_API_KEY\) comes from keys\.env: condor_submit writes it into the job ad/);
  assert.not.ok(said[0]!.message.includes('abc123secret'));
});

test('include and if/elif/else', () => {
  writeFileSync(join(work, 'common.inc'), 'request_gpus = 1\n');
  const { procs } = plan(
    'executable = /bin/true\ninclude : common.inc\nif defined FAST\n arguments = fast\nelif true\n arguments = slow\nelse\n arguments = never\nendif\nqueue',
    {},
  );
  assert.equal([procs[0]!.arguments, procs[0]!.classAd.RequestGPUs], [['slow'], '1']);
  const fast = plan('executable = /bin/true\nif defined FAST\n arguments = fast\nendif\nqueue', {
    defines: { FAST: '1' },
  });
  assert.equal(fast.procs[0]!.arguments, ['fast']);
});

test('fuzz (fixed seed): mutated submit files never crash with anything but a UserError, never hang', () => {
  const rand = seeded(11);
  const sources = [
    'chtc_container_universe_docker_gpu.sub',
    'osg_school_2025_generated_simple.dag.condor.sub',
    'htcondor_queue_in_list_backslash_continuation.cmd',
  ].map((n) => readFileSync(join(condorFixtures, 'submit-files', n), 'utf8'));
  const pieces = SUBMIT_MUTATION_PIECES;
  const started = Date.now();
  for (let i = 0; i < 300; i++) {
    let text = sources[randomInt(rand, 0, sources.length - 1)]!;
    for (let m = randomInt(rand, 1, 6); m > 0; m--) {
      const at = randomInt(rand, 0, text.length);
      text =
        rand() < 0.6
          ? text.slice(0, at) + pieces[randomInt(rand, 0, pieces.length - 1)] + text.slice(at)
          : text.slice(0, at) + text.slice(at + randomInt(rand, 1, 30));
    }
    try {
      plan(text, { maxProcs: 1000 });
    } catch (error) {
      assert.ok(error instanceof UserError, `not a UserError: ${(error as Error).stack}`);
    }
  }
  // A hang bound (stretched on a busy machine), not a speed check.
  assert.ok(Date.now() - started < bound(20_000), 'fuzzing took too long');
});

test.run();
