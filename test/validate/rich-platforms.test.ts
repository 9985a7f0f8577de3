// Rich platforms (pixi >= 0.71): `platforms = [{ platform = "linux-64", cuda = "12.9" }, …]`.
// The CUDA agreement reads the version there as from [system-requirements]; a declared
// __cuda_arch (`cuda = { driver, arch }`, docs/reference/cli/pixi/workspace/platform/add.md:28)
// must not be above the submit file's gpus_minimum_capability; [system-requirements] is reported
// deprecated where requires-pixi admits a pixi that warns about it (toml/manifest.rs:278).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateWorkspace } from '../../scripts/lib/validate/index.ts';
import { admitsAtLeast } from '../../scripts/lib/validate/manifest-semantics.ts';
import { byRule, lineOf, summary, tempWorkspace, type TempWorkspace } from './helpers.ts';

const RICH = 'platforms = [{ platform = "linux-64", cuda = "12.9" }, "linux-aarch64", "osx-arm64", "osx-64"]';

/** The template as it ships: rich platforms, as CHTC/templates-GPUs#43 moved its seed. */
function richTemplate(cuda = '"12.9"'): TempWorkspace {
  const ws = tempWorkspace();
  if (cuda !== '"12.9"') ws.edit('pixi.toml', RICH, RICH.replace('"12.9"', cuda));
  return ws;
}

/** The template in its earlier form: [system-requirements] and requires-pixi ">=0.43". */
function systemRequirementsTemplate(): TempWorkspace {
  const ws = tempWorkspace();
  ws.edit('pixi.toml', RICH, 'platforms = ["linux-64", "linux-aarch64", "osx-arm64", "osx-64"]');
  ws.edit('pixi.toml', 'requires-pixi = ">=0.71"', 'requires-pixi = ">=0.43"');
  ws.edit(
    'pixi.toml',
    '[target.linux-64.dependencies]',
    '[system-requirements]\ncuda = "12.9"\n\n[target.linux-64.dependencies]',
  );
  return ws;
}

test('requires-pixi ranges: which admit a pixi >= 0.71', () => {
  for (const spec of ['>=0.43', '>=0.71', '*', '>0.70,<1', '0.76.*', '==0.71.0', '>=0.40,<0.50|>=0.75'])
    assert.ok(admitsAtLeast(spec, '0.71'), spec);
  for (const spec of ['<0.71', '>=0.43,<0.71', '==0.70.1', '0.70.*', '<=0.70'])
    assert.not.ok(admitsAtLeast(spec, '0.71'), spec);
});

test('[system-requirements] is reported deprecated, with the rich form; not when requires-pixi excludes >= 0.71', async () => {
  const ws = systemRequirementsTemplate();
  try {
    const report = await validateWorkspace({ root: ws.root, saveCache: false });
    const [hit] = byRule(report, 'manifest/deprecated-key');
    assert.ok(hit && report.warnings.includes(hit), summary(report));
    assert.is(hit!.line, lineOf(ws.read('pixi.toml'), '[system-requirements]'));
    assert.match(
      hit!.hint,
      /platforms = \[\{ platform = "linux-64", cuda = "12\.9" \}, \{ platform = "linux-aarch64", cuda = "12\.9" \}, "osx-arm64", "osx-64"\]/,
    );
    assert.is(report.ok, true);
    ws.edit('pixi.toml', 'requires-pixi = ">=0.43"', 'requires-pixi = ">=0.43,<0.71"');
    const old = await validateWorkspace({ root: ws.root, saveCache: false });
    assert.equal(byRule(old, 'manifest/deprecated-key'), [], summary(old));
  } finally {
    ws.remove();
  }
});

test('with a rich platform, the CUDA checks read its cuda: clean as is, a Dockerfile mismatch still found', async () => {
  const ws = richTemplate();
  try {
    const report = await validateWorkspace({ root: ws.root, saveCache: false });
    assert.is(report.ok, true, summary(report));
    assert.equal(byRule(report, 'manifest/deprecated-key'), []);
    assert.equal(byRule(report, 'cuda/undeclared'), []);
    ws.edit('Dockerfile', 'ARG CUDA_VERSION="12.9"', 'ARG CUDA_VERSION="12.4"');
    const mismatch = await validateWorkspace({ root: ws.root, saveCache: false });
    assert.is(byRule(mismatch, 'cuda/dockerfile-mismatch').length, 1, summary(mismatch));
  } finally {
    ws.remove();
  }
});

test('__cuda_arch above gpus_minimum_capability is an error at the submit line; equal or below is fine', async () => {
  const ws = richTemplate('{ driver = "12.9", arch = "8.0" }');
  try {
    const report = await validateWorkspace({ root: ws.root, saveCache: false });
    const [hit] = byRule(report, 'cuda/capability-mismatch');
    assert.ok(hit, summary(report));
    assert.is(hit!.file, 'mnist_gpu_docker.sub');
    assert.is(hit!.line, lineOf(ws.read('mnist_gpu_docker.sub'), 'gpus_minimum_capability'));
    assert.match(hit!.message, /admits GPUs older than capability 8\.0/);
    ws.edit('mnist_gpu_docker.sub', /gpus_minimum_capability\s*=\s*7\.0/, 'gpus_minimum_capability = 8.0');
    const fixed = await validateWorkspace({ root: ws.root, saveCache: false });
    assert.equal(byRule(fixed, 'cuda/capability-mismatch'), [], summary(fixed));
  } finally {
    ws.remove();
  }
  // The raw virtual-package spelling is read too.
  const raw = richTemplate('"12.9", __cuda_arch = "9.0"');
  try {
    const report = await validateWorkspace({ root: raw.root, saveCache: false });
    assert.is(byRule(report, 'cuda/capability-mismatch').length, 1, summary(report));
  } finally {
    raw.remove();
  }
});

test.run();
