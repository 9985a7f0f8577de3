// The condor_submit command line: whatever the submit file is called, condor_submit must read
// it as its command file. `commandFileOf` follows the argument loop of condor_submit's main()
// (htcondor/htcondor src/condor_submit.V6/submit.cpp): an argument starting with `-` is an
// option (a bare `-` is stdin; `-file`, `-append`/`-a`, `-batch-name` take the next argument
// whatever it is; an unknown option prints the usage and exits 1); any other argument with `=`
// is a `name=value` definition; the rest is the command file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { condorSubmitArgv, submitFileArgs } from '../../scripts/lib/submit/condor-submit.ts';

/** The command file condor_submit would open for `argv` (without argv[0]), or why it would not. */
function commandFileOf(argv: string[]): { file: string | null; definitions: string[]; error?: string } {
  let file: string | null = null;
  const definitions: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('-')) {
      if (arg === '-') file = arg;
      else if (/^-fi(l(e)?)?$/.test(arg)) file = argv[++i] ?? null;
      else if (/^-a(p(p(e(n(d)?)?)?)?)?$/.test(arg) || /^-b(a(t(c(h(-(n(a(m(e)?)?)?)?)?)?)?)?)?$/.test(arg)) i++;
      else return { file, definitions, error: `usage: unknown option ${arg}` };
    } else if (arg.includes('=')) definitions.push(arg);
    else file = arg;
  }
  return { file, definitions };
}

const APPEND = ['container_image = docker://r/x@sha256:00', '+PixiCondorSubmitId = "id"'];

test('the template submit file is passed as it is', () => {
  const argv = condorSubmitArgv('mnist_gpu_docker.sub', APPEND, 'b');
  assert.equal(argv.slice(0, 2), ['condor_submit', 'mnist_gpu_docker.sub']);
  assert.equal(commandFileOf(argv.slice(1)), { file: 'mnist_gpu_docker.sub', definitions: [] });
});

for (const name of ['-x.sub', '-append', '--dry-run.sub', '-', '-dir/job.sub', 'a=b.sub', '-a=b.sub', 'runs/x=1.sub']) {
  test(`a submit file named ${JSON.stringify(name)} is read as the command file, never as an option or a definition`, () => {
    const argv = condorSubmitArgv(name, APPEND, '-batch-looking-name');
    const parsed = commandFileOf(argv.slice(1));
    assert.is(parsed.error, undefined, argv.join(' '));
    assert.equal(parsed.definitions, [], argv.join(' '));
    assert.ok(parsed.file === name || parsed.file === `./${name}`, `${argv.join(' ')} -> ${parsed.file}`);
  });
}

test('the fix is as small as it can be: ./ for a leading dash, -file only for a name with =', () => {
  assert.equal(submitFileArgs('job.sub'), ['job.sub']);
  assert.equal(submitFileArgs('-x.sub'), ['./-x.sub']);
  assert.equal(submitFileArgs('a=b.sub'), ['-file', 'a=b.sub']);
  assert.equal(submitFileArgs('/abs/-x.sub'), ['/abs/-x.sub']);
});

test.run();
