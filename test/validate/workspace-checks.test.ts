// Cross-file checks on a copy of the template: each rule fires on its mistake, at its line,
// and the real template validates clean.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateWorkspace } from '../../scripts/lib/validate/index.ts';
import { CACHE_FILE } from '../../scripts/lib/validate/lock-cache.ts';
import { reportHuman } from '../../scripts/lib/validate/report.ts';
import { palette } from '../../scripts/lib/term.ts';
import { repoRoot } from '../helpers/paths.ts';
import { byRule, findings, lineOf, summary, tempWorkspace, type TempWorkspace } from './helpers.ts';

let ws: TempWorkspace;
test.before.each(() => {
  ws = tempWorkspace();
});
test.after.each(() => ws.remove());

test('the template validates clean, warning only about what the user must do (lock, data)', async () => {
  const report = await validateWorkspace({ root: repoRoot });
  assert.is(report.ok, true, summary(report));
  // `pixi lock` (tools and the laptop platforms), `pixi run prepare-data`, and a local .env.
  for (const w of report.warnings)
    assert.ok(
      ['lock/environment-missing', 'lock/platform-missing', 'submit/input-not-made', 'env/unknown-key'].includes(
        w.rule,
      ),
      summary(report),
    );
  // Nothing about the template's own manifest (rich platforms since templates-GPUs#43).
  assert.equal(
    report.warnings.filter((w) => w.file === 'pixi.toml'),
    [],
  );
  assert.ok(report.errors.length === 0);
});

test('cuda/pin-mismatch: a lower declared major cannot be solved (error); another minor, or a higher major, can (warning)', async () => {
  // cuda-version X.Y constrains __cuda >=X only (its record in pixi.lock).
  ws.edit('pixi.toml', 'cuda-version = "12.9.*"', 'cuda-version = "13.0.*"');
  const major = await validateWorkspace({ root: ws.root });
  const [hit] = byRule(major, 'cuda/pin-mismatch');
  assert.ok(hit, summary(major));
  assert.is(hit.line, lineOf(ws.read('pixi.toml'), 'cuda-version = "13.0.*"'));
  assert.ok(major.errors.includes(hit));
  ws.edit('pixi.toml', 'cuda-version = "13.0.*"', 'cuda-version = "12.8.*"');
  const minor = await validateWorkspace({ root: ws.root });
  const [soft] = byRule(minor, 'cuda/pin-mismatch');
  assert.ok(soft && minor.warnings.includes(soft), summary(minor));
  // cuda-version 11.8 needs __cuda >=11: the declared 12.9 meets it.
  ws.edit('pixi.toml', 'cuda-version = "12.8.*"', 'cuda-version = "11.8.*"');
  const higher = await validateWorkspace({ root: ws.root });
  const [above] = byRule(higher, 'cuda/pin-mismatch');
  assert.ok(above && higher.warnings.includes(above), summary(higher));
});

test('readme / license-file: pixi refuses the manifest when one is missing (error); one the Dockerfile does not copy breaks the image build (warning)', async () => {
  ws.edit('pixi.toml', /^\[workspace\]$/m, '[workspace]\nreadme = "NOTES.md"');
  const missing = await validateWorkspace({ root: ws.root });
  const [error] = byRule(missing, 'manifest/missing-file');
  assert.ok(error && missing.errors.includes(error), summary(missing));
  assert.is(error.line, lineOf(ws.read('pixi.toml'), 'readme = "NOTES.md"'));
  ws.write('NOTES.md', '# notes\n');
  const present = await validateWorkspace({ root: ws.root });
  assert.equal(byRule(present, 'manifest/missing-file'), []);
  const [warning] = byRule(present, 'template/file-not-in-image');
  assert.ok(warning && present.warnings.includes(warning), summary(present));
  ws.edit('Dockerfile', 'COPY pixi.toml pixi.lock ./', 'COPY pixi.toml pixi.lock NOTES.md ./');
  const copied = await validateWorkspace({ root: ws.root });
  assert.equal(byRule(copied, 'template/file-not-in-image'), [], summary(copied));
  const notCopied = (report: Awaited<ReturnType<typeof validateWorkspace>>) =>
    byRule(report, 'template/file-not-in-image').length;
  // Copied, but .dockerignore keeps it out of the build context (as the template's does).
  ws.write('.dockerignore', '*\n!pixi.toml\n!pixi.lock\n');
  assert.is(notCopied(await validateWorkspace({ root: ws.root })), 1, 'ignored by .dockerignore');
  ws.write('.dockerignore', '*\n!pixi.toml\n!pixi.lock\n!NOTES.md\n');
  assert.is(notCopied(await validateWorkspace({ root: ws.root })), 0);
  // The whole context copied, and a COPY continued over two lines, copy it too; another stage's does not.
  ws.edit('Dockerfile', 'COPY pixi.toml pixi.lock NOTES.md ./', 'COPY . .');
  assert.is(notCopied(await validateWorkspace({ root: ws.root })), 0, 'COPY . .');
  ws.edit('Dockerfile', 'COPY . .', 'COPY pixi.toml pixi.lock \\\n    NOTES.md ./');
  assert.is(notCopied(await validateWorkspace({ root: ws.root })), 0, 'a continued COPY');
  ws.edit(
    'Dockerfile',
    'COPY pixi.toml pixi.lock \\\n    NOTES.md ./',
    'COPY pixi.toml pixi.lock ./\nCOPY --from=build /NOTES.md ./',
  );
  assert.is(notCopied(await validateWorkspace({ root: ws.root })), 1, 'COPY --from another stage');
  // Copied, but not beside pixi.toml: pixi looks for it there.
  ws.edit('Dockerfile', 'COPY --from=build /NOTES.md ./', 'COPY NOTES.md /elsewhere/');
  assert.is(notCopied(await validateWorkspace({ root: ws.root })), 1, 'copied elsewhere');
  // A name from an ARG is the file once expanded.
  ws.edit('Dockerfile', 'COPY NOTES.md /elsewhere/', 'ARG NOTES=NOTES.md\nCOPY ${NOTES} .');
  assert.is(notCopied(await validateWorkspace({ root: ws.root })), 0, 'COPY ${NOTES} .');
  // A readme in a folder: the folder's contents land beside pixi.toml, not the folder.
  ws.edit('pixi.toml', 'readme = "NOTES.md"', 'readme = "docs/NOTES.md"');
  mkdirSync(join(ws.root, 'docs'));
  ws.write('docs/NOTES.md', '# notes\n');
  ws.write('.dockerignore', '*\n!pixi.toml\n!pixi.lock\n!docs\n');
  ws.edit('Dockerfile', 'ARG NOTES=NOTES.md\nCOPY ${NOTES} .', 'COPY docs/ ./');
  assert.is(notCopied(await validateWorkspace({ root: ws.root })), 1, 'COPY docs/ ./ puts NOTES.md beside pixi.toml');
  ws.edit('Dockerfile', 'COPY docs/ ./', 'COPY docs/ ./docs/');
  assert.is(notCopied(await validateWorkspace({ root: ws.root })), 0, 'COPY docs/ ./docs/');
});

test('cuda/dockerfile-mismatch: the Dockerfile CUDA_VERSION default disagrees', async () => {
  ws.edit('Dockerfile', 'ARG CUDA_VERSION="12.9"', 'ARG CUDA_VERSION="12.4"');
  const report = await validateWorkspace({ root: ws.root });
  const [hit] = byRule(report, 'cuda/dockerfile-mismatch');
  assert.ok(hit, summary(report));
  assert.is(hit.file, 'Dockerfile');
  assert.is(hit.line, lineOf(ws.read('Dockerfile'), 'ARG CUDA_VERSION='));
  assert.is(hit.column, 'ARG CUDA_VERSION="'.length + 1);
});

test('cuda/dockerfile-*: a CUDA_VERSION default declared only in a stage counts, as in build-image', async () => {
  ws.edit('Dockerfile', /^ARG CUDA_VERSION="12\.9"\n/m, '');
  ws.edit('Dockerfile', /^ARG CUDA_VERSION$/m, 'ARG CUDA_VERSION="12.9"');
  let report = await validateWorkspace({ root: ws.root });
  assert.is(byRule(report, 'cuda/dockerfile-arg-missing').length, 0, summary(report));
  assert.is(byRule(report, 'cuda/dockerfile-mismatch').length, 0, summary(report));
  ws.edit('Dockerfile', 'ARG CUDA_VERSION="12.9"', 'ARG CUDA_VERSION="12.4"');
  report = await validateWorkspace({ root: ws.root });
  const [hit] = byRule(report, 'cuda/dockerfile-mismatch');
  assert.is(hit?.line, lineOf(ws.read('Dockerfile'), 'ARG CUDA_VERSION="12.4"'), summary(report));
  ws.edit('Dockerfile', 'ARG CUDA_VERSION="12.4"', 'ARG CUDA_VERSION');
  report = await validateWorkspace({ root: ws.root });
  assert.ok(byRule(report, 'cuda/dockerfile-arg-missing')[0], summary(report));
});

test('cuda/dockerfile-mismatch: an ARG continued over lines is read, the default placed on its line', async () => {
  ws.edit('Dockerfile', 'ARG CUDA_VERSION="12.9"', 'ARG \\\n    CUDA_VERSION="12.4"');
  const report = await validateWorkspace({ root: ws.root });
  const [hit] = byRule(report, 'cuda/dockerfile-mismatch');
  assert.ok(hit, summary(report));
  assert.is(hit.line, lineOf(ws.read('Dockerfile'), '    CUDA_VERSION="12.4"'));
  assert.is(hit.column, '    CUDA_VERSION="'.length + 1);
  assert.is(byRule(report, 'cuda/dockerfile-arg-missing').length, 0);
});

test('cuda/dockerfile-mismatch: a build-args override in [tool.pixi-condor] is what counts', async () => {
  ws.edit(
    'pixi.toml',
    'submit-file = "mnist_gpu_docker.sub"',
    'submit-file = "mnist_gpu_docker.sub"\nbuild-args = { CUDA_VERSION = "13.0" }',
  );
  const report = await validateWorkspace({ root: ws.root });
  assert.is(byRule(report, 'cuda/dockerfile-mismatch')[0]?.file, 'pixi.toml', summary(report));
});

test('submit/syntax: a line the submit language does not allow is one finding at its line', async () => {
  ws.edit('mnist_gpu_docker.sub', 'request_cpus = 1', 'request_cpus = 1\nthis is not a command');
  const report = await validateWorkspace({ root: ws.root });
  const [hit] = byRule(report, 'submit/syntax');
  assert.ok(hit, summary(report));
  assert.is(hit.file, 'mnist_gpu_docker.sub');
  assert.is(hit.line, lineOf(ws.read('mnist_gpu_docker.sub'), 'this is not a command'));
  assert.match(hit.message, /cannot read this line/);
  assert.is(report.ok, false);
});

test('cuda/driver-requirement: the submit file requires a driver of another CUDA major', async () => {
  ws.edit(
    'mnist_gpu_docker.sub',
    'requirements = (GPUs_DriverVersion >= 12.0)',
    'requirements = (GPUs_DriverVersion >= 11.0)',
  );
  let report = await validateWorkspace({ root: ws.root });
  let [hit] = byRule(report, 'cuda/driver-requirement');
  assert.ok(hit, summary(report));
  assert.is(hit.line, lineOf(ws.read('mnist_gpu_docker.sub'), 'requirements ='));
  assert.is(hit.column, 'requirements = (GPUs_DriverVersion >= '.length + 1);
  ws.edit('mnist_gpu_docker.sub', 'GPUs_DriverVersion >= 11.0', 'GPUs_DriverVersion >= 13.0');
  report = await validateWorkspace({ root: ws.root });
  assert.ok(byRule(report, 'cuda/driver-requirement')[0], summary(report));
  ws.edit('mnist_gpu_docker.sub', /^requirements = .*$/m, '# no requirements');
  report = await validateWorkspace({ root: ws.root });
  [hit] = byRule(report, 'cuda/driver-requirement');
  assert.ok(hit?.message.includes('no GPUs_DriverVersion'), summary(report));
});

test('submit/request-gpus and submit/gpus-minimum-capability', async () => {
  ws.edit('mnist_gpu_docker.sub', /^request_gpus = 1$/m, '');
  ws.edit('mnist_gpu_docker.sub', /^gpus_minimum_capability = 7.0$/m, '');
  const report = await validateWorkspace({ root: ws.root });
  assert.ok(byRule(report, 'submit/request-gpus')[0], summary(report));
  assert.ok(byRule(report, 'submit/gpus-minimum-capability')[0], summary(report));
});

test('submit/missing-input and submit/missing-executable name the path; a task output is only a warning', async () => {
  ws.edit(
    'mnist_gpu_docker.sub',
    'transfer_input_files = job/main.py, MNIST_data.tar.gz',
    'transfer_input_files = job/mian.py, MNIST_data.tar.gz',
  );
  ws.edit('mnist_gpu_docker.sub', 'executable = job/mnist_gpu.sh', 'executable = job/missing.sh');
  const report = await validateWorkspace({ root: ws.root });
  const [input] = byRule(report, 'submit/missing-input');
  assert.ok(input?.message.includes('job/mian.py'), summary(report));
  assert.is(input!.column, 'transfer_input_files = '.length + 1);
  assert.ok(byRule(report, 'submit/missing-executable')[0]?.message.includes('job/missing.sh'));
  const [made] = byRule(report, 'submit/input-not-made');
  assert.ok(made?.message.includes("'prepare-data'"), summary(report));
});

test('a submit file in a subfolder: executable and inputs are relative to the workspace root, where condor_submit runs', async () => {
  mkdirSync(join(ws.root, 'condor'));
  renameSync(join(ws.root, 'mnist_gpu_docker.sub'), join(ws.root, 'condor', 'job.sub'));
  ws.edit('pixi.toml', 'submit-file = "mnist_gpu_docker.sub"', 'submit-file = "condor/job.sub"');
  const report = await validateWorkspace({ root: ws.root });
  assert.is(report.ok, true, summary(report));
  assert.equal(
    byRule(report, 'submit/input-not-made').map((f) => f.message.includes('MNIST_data.tar.gz')),
    [true],
    summary(report),
  );
  // A path written relative to the submit file's folder is what condor_submit would not find.
  ws.edit('condor/job.sub', 'executable = job/mnist_gpu.sh', 'executable = ../job/mnist_gpu.sh');
  const [hit] = byRule(await validateWorkspace({ root: ws.root }), 'submit/missing-executable');
  assert.ok(hit?.message.includes('relative to the workspace root'), hit?.message);
  assert.is(hit!.file, 'condor/job.sub');
  assert.is(hit!.line, lineOf(ws.read('condor/job.sub'), 'executable = ../job'));
  assert.is(hit!.column, 'executable = '.length + 1);
});

test('initialdir: transfer_input_files are relative to it; a missing one is named with it', async () => {
  mkdirSync(join(ws.root, 'run'));
  writeFileSync(join(ws.root, 'run', 'main.py'), '');
  ws.edit(
    'mnist_gpu_docker.sub',
    'transfer_input_files = job/main.py, MNIST_data.tar.gz',
    'initialdir = run\ntransfer_input_files = main.py',
  );
  let report = await validateWorkspace({ root: ws.root });
  assert.is(report.ok, true, summary(report));
  ws.edit('mnist_gpu_docker.sub', 'transfer_input_files = main.py', 'transfer_input_files = main.py, job/main.py');
  report = await validateWorkspace({ root: ws.root });
  const missing = byRule(report, 'submit/missing-input');
  assert.is(missing.length, 1, summary(report));
  assert.match(missing[0]!.message, /'job\/main\.py' does not exist \(relative to initialdir run\)/);
  assert.is(missing[0]!.column, 'transfer_input_files = main.py, '.length + 1);
});

test('submit/missing-input on a continued line, or made by a macro, is placed on its line', async () => {
  ws.edit(
    'mnist_gpu_docker.sub',
    'transfer_input_files = job/main.py, MNIST_data.tar.gz',
    'transfer_input_files = job/main.py, \\\n# a comment inside\n    job/absent.py, $(extra)\nextra = job/made_by_macro.py',
  );
  const text = ws.read('mnist_gpu_docker.sub');
  const report = await validateWorkspace({ root: ws.root });
  const missing = byRule(report, 'submit/missing-input');
  const absent = missing.find((f) => f.message.includes("'job/absent.py'"));
  const macro = missing.find((f) => f.message.includes("'job/made_by_macro.py'"));
  assert.ok(absent && macro && missing.length === 2, summary(report));
  assert.is(absent.line, lineOf(text, '    job/absent.py'));
  assert.is(absent.column, 5);
  // The expanded name is not written anywhere: the finding points at the command's value.
  assert.is(macro.line, lineOf(text, 'transfer_input_files ='));
  assert.is(macro.column, 'transfer_input_files = '.length + 1);
});

test('submit/plan: a submit file submit cannot plan is one finding', async () => {
  ws.edit('mnist_gpu_docker.sub', /^queue 1$/m, '');
  const report = await validateWorkspace({ root: ws.root });
  assert.match(byRule(report, 'submit/plan')[0]?.message ?? '', /no queue statement/, summary(report));
  assert.is(report.ok, false);
});

test('submit/image-repository: only compared when the submit file has a container_image line', async () => {
  let report = await validateWorkspace({ root: ws.root });
  assert.is(byRule(report, 'submit/image-repository').length, 0);
  ws.write(
    'mnist_gpu_docker.sub',
    ws
      .read('mnist_gpu_docker.sub')
      .replace('queue 1', 'container_image = docker://ghcr.io/alice/pixi-condor:default-noble-cuda12.9\nqueue 1'),
  );
  report = await validateWorkspace({ root: ws.root });
  assert.is(byRule(report, 'submit/image-repository').length, 0, '{owner} matches any owner');
  ws.edit('mnist_gpu_docker.sub', 'ghcr.io/alice/pixi-condor', 'docker.io/alice/other-image');
  report = await validateWorkspace({ root: ws.root });
  assert.ok(byRule(report, 'submit/image-repository')[0], summary(report));
});

test('template/environment-missing and template/image-platform', async () => {
  ws.edit('pixi.toml', 'environment = "default"', 'environment = "gpu"');
  let report = await validateWorkspace({ root: ws.root });
  assert.is(
    byRule(report, 'template/environment-missing')[0]?.line,
    lineOf(ws.read('pixi.toml'), 'environment = "gpu"'),
  );
  ws.edit('pixi.toml', 'environment = "gpu"', 'environment = "default"');
  ws.edit(
    'pixi.toml',
    'platforms = [{ platform = "linux-64", cuda = "12.9" }, "linux-aarch64", "osx-arm64", "osx-64"]',
    'platforms = ["linux-aarch64", "osx-arm64", "osx-64"]',
  );
  report = await validateWorkspace({ root: ws.root });
  assert.ok(byRule(report, 'template/image-platform')[0], summary(report));
});

test('template/dockerfile-missing and template/submit-file-missing', async () => {
  rmSync(join(ws.root, 'Dockerfile'));
  rmSync(join(ws.root, 'mnist_gpu_docker.sub'));
  const report = await validateWorkspace({ root: ws.root });
  assert.ok(byRule(report, 'template/dockerfile-missing')[0]);
  assert.ok(byRule(report, 'template/submit-file-missing')[0]);
});

test('lock/spec-unsatisfied: a spec the lock violates is an error on the manifest line', async () => {
  ws.edit('pixi.toml', 'pytorch-gpu = ">=2.9.1,<3"', 'pytorch-gpu = ">=2.10"');
  const report = await validateWorkspace({ root: ws.root });
  const [hit] = byRule(report, 'lock/spec-unsatisfied');
  assert.ok(hit?.message.includes('pytorch-gpu 2.9.1'), summary(report));
  assert.is(hit!.line, lineOf(ws.read('pixi.toml'), 'pytorch-gpu = ">=2.10"'));
  assert.match(hit!.hint, /pixi lock/);
});

test('lock/package-missing and lock/channels-mismatch', async () => {
  ws.edit('pixi.toml', 'cuda-version = "12.9.*"', 'cuda-version = "12.9.*"\nscipy = "*"');
  ws.edit('pixi.toml', 'channels = ["conda-forge"]', 'channels = ["conda-forge", "nvidia"]');
  const report = await validateWorkspace({ root: ws.root });
  assert.ok(byRule(report, 'lock/package-missing')[0]?.message.includes("'scipy'"), summary(report));
  assert.ok(byRule(report, 'lock/channels-mismatch')[0]?.message.includes("'nvidia'"), summary(report));
});

test('lock/environment-missing is an error for the image environment, lock/missing without a lock', async () => {
  ws.edit('pixi.lock', /^ {2}default:$/m, '  other:');
  let report = await validateWorkspace({ root: ws.root });
  const missing = byRule(report, 'lock/environment-missing');
  assert.ok(
    report.errors.some((e) => e.rule === 'lock/environment-missing' && e.message.includes("'default'")),
    summary(report),
  );
  assert.ok(missing.every((f) => f.file === 'pixi.lock'));
  rmSync(join(ws.root, 'pixi.lock'));
  report = await validateWorkspace({ root: ws.root });
  assert.ok(byRule(report, 'lock/missing')[0]);
});

test('the lock cache is used while pixi.lock is unchanged, and dropped when it changes or is garbage', async () => {
  const cachePath = join(ws.root, CACHE_FILE);
  assert.is((await validateWorkspace({ root: ws.root })).ok, true);
  const cached = readFileSync(cachePath, 'utf8');
  const { lockText, ...parsed } = JSON.parse(cached) as { lockText: string };
  assert.is(lockText, ws.read('pixi.lock'), 'the cache keeps the text it was parsed from');
  assert.not.match(JSON.stringify(parsed), /\.conda"/, 'the parsed lock keeps no package URLs');
  assert.not.match(cached, /\n/, 'the cache is compact JSON');
  // Tamper with the cached pytorch-gpu version: a run that reports it has read the cache, not the lock.
  const tampered = cached.replace(/\["conda","pytorch-gpu","2\.9\.1"/, '["conda","pytorch-gpu","2.8.0"');
  assert.ok(tampered !== cached, 'pytorch-gpu 2.9.1 is in the cache');
  writeFileSync(cachePath, tampered);
  let report = await validateWorkspace({ root: ws.root });
  assert.ok(byRule(report, 'lock/spec-unsatisfied')[0]?.message.includes('pytorch-gpu 2.8.0'), summary(report));
  // Any change to pixi.lock, even one of the same length, and the lock is read again.
  writeFileSync(cachePath, tampered);
  const lockBefore = ws.read('pixi.lock');
  const sameLength = lockBefore.replace(/(\n {2}md5: )[0-9a-f]/, (_, head: string) => `${head}x`);
  assert.ok(sameLength !== lockBefore && sameLength.length === lockBefore.length, 'a one-byte edit');
  ws.write('pixi.lock', sameLength);
  report = await validateWorkspace({ root: ws.root });
  assert.is(report.ok, true, summary(report));
  ws.write('pixi.lock', ws.read('pixi.lock') + '\n');
  report = await validateWorkspace({ root: ws.root });
  assert.is(report.ok, true, summary(report));
  writeFileSync(cachePath, '{"format": 4, "lockText": ');
  report = await validateWorkspace({ root: ws.root });
  assert.is(report.ok, true, summary(report));
  assert.match(readFileSync(cachePath, 'utf8'), /^\{"format":6,/);
});

test('saveCache: false (dry runs) reads the cache but writes nothing: no .pixi-condor is created', async () => {
  const stateDir = join(ws.root, '.pixi-condor');
  let report = await validateWorkspace({ root: ws.root, saveCache: false });
  assert.is(report.ok, true, summary(report));
  assert.is(existsSync(stateDir), false, 'a dry run created .pixi-condor');
  // With a cache present, saveCache: false still reads it (the tampered version is reported)...
  await validateWorkspace({ root: ws.root });
  const cachePath = join(ws.root, CACHE_FILE);
  const tampered = readFileSync(cachePath, 'utf8').replace(
    /\["conda","pytorch-gpu","2\.9\.1"/,
    '["conda","pytorch-gpu","2.8.0"',
  );
  writeFileSync(cachePath, tampered);
  report = await validateWorkspace({ root: ws.root, saveCache: false });
  assert.ok(byRule(report, 'lock/spec-unsatisfied')[0], summary(report));
  // ...and does not rewrite it when the lock changed.
  ws.write('pixi.lock', ws.read('pixi.lock') + '\n');
  report = await validateWorkspace({ root: ws.root, saveCache: false });
  assert.is(report.ok, true, summary(report));
  assert.is(readFileSync(cachePath, 'utf8'), tampered, 'the cache was rewritten');
});

test('lock/unreadable: broken YAML is reported with its line', async () => {
  ws.write('pixi.lock', 'version: 6\nenvironments:\n  default: [\n');
  const report = await validateWorkspace({ root: ws.root });
  const [hit] = byRule(report, 'lock/unreadable');
  assert.ok(hit && hit.line >= 3, summary(report));
});

test('env/unknown-key warns without printing the value', async () => {
  ws.write('.env', 'REGISTRY_USER=alice\nREGISTY_TOKEN=s3cr3t-value-123\nnot a line\n');
  const report = await validateWorkspace({ root: ws.root });
  const [hit] = byRule(report, 'env/unknown-key');
  assert.is(hit?.line, 2, summary(report));
  assert.match(hit!.hint, /REGISTRY_TOKEN/);
  assert.is(byRule(report, 'env/malformed-line')[0]?.line, 3);
  assert.not.ok(JSON.stringify(report).includes('s3cr3t'), 'a value leaked into the report');
  const human = reportHuman(report, { root: ws.root, paint: palette(false) });
  assert.ok(human.includes('REGISTY_TOKEN is not a setting'), human);
  assert.not.ok(human.includes('s3cr3t'), 'the human report shows the .env line with its value');
  assert.is(report.ok, true, 'warnings only');
});

test('--manifest alone skips the cross-file checks and says so', async () => {
  const report = await validateWorkspace({ root: ws.root, manifestPath: 'pixi.toml' });
  assert.is(report.ok, true, summary(report));
  assert.equal(report.skipped.map((s) => s.rule).sort(), ['cuda', 'lock', 'template']);
  assert.is(findings(report).filter((f) => f.file !== 'pixi.toml' && !f.file.endsWith('pixi.toml')).length, 0);
});

test.run();
