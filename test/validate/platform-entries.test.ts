// Workspace platform entries as pixi (>= 0.71) reads them, and the lock rows that hold each.
// The judge is pixi's own code and tests (prefix-dev/pixi, crates/pixi_manifest/src/toml/platform.rs
// synthesize_name_string and its tests; crates/pixi_core/src/lock_file/platform_rename.rs
// align_platform_names; satisfiability/platform.rs resolve_lock_platform_for;
// satisfiability/environment.rs PlatformDefinitionChanged).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'smol-toml';
import { validateManifestSource, validateWorkspace } from '../../scripts/lib/validate/index.ts';
import { CONDA_SUBDIRS, ManifestModel } from '../../scripts/lib/validate/manifest-model.ts';
import { readPlatformEntry } from '../../scripts/lib/validate/rich-platform.ts';
import { byRule, summary, tempWorkspace } from './helpers.ts';

/** The name pixi gives an entry written as `text` (a TOML inline table). */
function nameOf(text: string): string | null {
  const { p } = parse(`p = ${text}`) as { p: unknown };
  return readPlatformEntry(p, CONDA_SUBDIRS)?.name ?? null;
}

test("an unnamed entry's name, as pixi derives it (toml/platform.rs tests)", () => {
  const cases: [string, string][] = [
    // glibc 2.28 is linux's default: left out of the name (1110), whatever the order (1176).
    ['{ platform = "linux-64", cuda = "12.0", glibc = "2.28" }', 'linux-64-cuda-12-0'],
    ['{ platform = "linux-64", glibc = "2.28", cuda = "12.0" }', 'linux-64-cuda-12-0'],
    // Friendly keys in pixi's order, not the manifest's.
    ['{ platform = "linux-64", glibc = "2.31", cuda = "12.9" }', 'linux-64-cuda-12-9-glibc-2-31'],
    ['{ platform = "linux-64", archspec = "x86_64_v3" }', 'linux-64-archspec-x86-64-v3'], // 1132
    ['{ platform = "linux-64", __future_pkg = "1.2" }', 'linux-64-future-pkg-1-2'], // 1250
    ['{ platform = "linux-64", cuda = { driver = "12.0", arch = "8.6" } }', 'linux-64-cuda-12-0-cuda-arch-8-6'], // 1269
    ['{ platform = "linux-64", cuda = { driver = "12.0" } }', 'linux-64-cuda-12-0'], // 1296
    ['{ platform = "osx-arm64", osx = "13.5" }', 'osx-arm64-macos-13-5'], // 1215: osx is macos
    ['{ platform = "osx-arm64", macos = "13.5" }', 'osx-arm64-macos-13-5'],
    // Raw packages after the friendly ones, sorted by name; the version as rattler shows it.
    ['{ platform = "linux-64", __zz = "1", __aa = "2", cuda = "12.09" }', 'linux-64-cuda-12-9-aa-2-zz-1'],
    ['{ platform = "linux-64" }', 'linux-64'],
    ['{ name = "gpu", platform = "linux-64", cuda = "12" }', 'gpu'],
  ];
  for (const [entry, name] of cases) assert.is(nameOf(entry), name, entry);
});

test('a feature names a rich entry by the name pixi derives: the right one loads, the old guess is an error', async () => {
  const manifest = (named: string) =>
    `[workspace]\nchannels = []\nplatforms = [{ platform = "linux-64", cuda = { driver = "12.0", arch = "8.6" } }]\n[feature.gpu]\nplatforms = ["${named}"]\n[environments]\ngpu = ["gpu"]\n`;
  const right = await validateManifestSource(manifest('linux-64-cuda-12-0-cuda-arch-8-6'));
  assert.equal(right.errors, [], summary(right));
  const guessed = await validateManifestSource(manifest('linux-64-cuda-12-0'));
  assert.equal(
    guessed.errors.map((e) => `${e.rule}@${e.line}`),
    ['manifest/unknown-platform@5'],
  );
  // Two entries that differ only in their arch are two platforms, not one name twice.
  const two = await validateManifestSource(
    '[workspace]\nchannels = []\nplatforms = [{ platform = "linux-64", cuda = { driver = "12.0", arch = "8.6" } },\n { platform = "linux-64", cuda = { driver = "12.0", arch = "9.0" } }]\n',
  );
  assert.equal(two.errors, [], summary(two));
  // The same packages in another order are one name twice.
  const same = await validateManifestSource(
    '[workspace]\nchannels = []\nplatforms = [{ platform = "linux-64", cuda = "12.0", glibc = "2.31" },\n { platform = "linux-64", glibc = "2.31", cuda = "12.0" }]\n',
  );
  assert.equal(
    same.errors.map((e) => e.rule),
    ['manifest/duplicate-platform'],
  );
});

test('entries pixi refuses to load are errors at their key (toml/platform.rs, platform.rs)', async () => {
  const refused: [string, RegExp][] = [
    ['{ name = "gpu-box" }', /'gpu-box' is not a conda subdir; set 'platform'/],
    ['{ cuda = "12.9" }', /must set at least one of 'name' or 'platform'/],
    ['{ platform = "linux-64", glibc = "2.28" }', /special subdir platform/], // only a default: named linux-64
    ['{ name = "linux-64", platform = "linux-64", cuda = "12" }', /special subdir platform/],
    ['{ platform = "linux-64", __cuda_arch = "8.0" }', /`__cuda_arch` requires `__cuda`/],
    ['{ platform = "linux-64", cuda = "12", __cuda = "12" }', /'__cuda' is declared more than once/],
    ['{ platform = "osx-arm64", macos = "14", osx = "14" }', /'osx' is an alias for 'macos'; set only one/],
    ['{ platform = "linux-64", cuda = { arch = "8.0" } }', /`cuda.arch` requires `cuda.driver`/],
    ['{ platform = "linux-64", cuda = {} }', /`cuda` table must set `driver`/],
    ['{ platform = "linux-64", glibc = "2..31" }', /'2\.\.31' is not a valid version/],
    // archspec's names have `_`, never `-` (platform.rs test validate_archspec_name_rejects_unknown_names).
    [
      '{ platform = "linux-64", archspec = "x86-64-v3" }',
      /'x86-64-v3' is not a known archspec microarchitecture: archspec's names are written with '_'/,
    ],
    ['{ platform = "linux-64", __archspec = "1=x86-64-v3" }', /not a known archspec microarchitecture/],
    ['{ platform = "linux-64", cuda = "12.*" }', /'12\.\*' is not a valid version/],
    ['{ platform = "linux-64", glibc = "1-2_3" }', /'1-2_3' is not a valid version/],
    // 2.28.0 is glibc's default 2.28 (rattler pads versions): only defaults, named linux-64.
    ['{ platform = "linux-64", glibc = "2.28.0" }', /special subdir platform/],
    // aarch64 is linux-armv7l's default archspec (rattler's Archspec::from_platform).
    ['{ platform = "linux-armv7l", archspec = "aarch64" }', /special subdir platform/],
    ['{ name = "linux", platform = "linux-64", cuda = "12" }', /is a platform family/],
    ['{ name = "bad name", platform = "linux-64", cuda = "12" }', /is not a valid platform name/],
    [
      '{ platform = "linux-aarch64", cuda = "12.9.1", glibc = "2.39", linux = "6.8.0", __future_pkg = "1.2.3" }',
      /auto-derived platform name 'linux-aarch64-cuda-12-9-1-glibc-2-39-linux-6-8-0-future-pkg-1-2-3' is longer than 64 bytes; set 'name' explicitly/,
    ],
  ];
  for (const [entry, message] of refused) {
    const report = await validateManifestSource(`[workspace]\nchannels = []\nplatforms = [${entry}]\n`);
    const entries = report.errors.filter((e) => e.rule === 'manifest/platform-entry');
    assert.is(entries.length, 1, `${entry}: ${summary(report)}`);
    assert.match(entries[0]!.message, message, entry);
    assert.is(entries[0]!.line, 3, entry);
  }
  // What pixi takes: a subdir as a table, a named subdir, a named rich entry.
  const fine = await validateManifestSource(
    '[workspace]\nchannels = []\nplatforms = [{ platform = "linux-64" }, { name = "osx-arm64" }, { name = "gpu", platform = "linux-64", cuda = "12.9" }, { platform = "linux-64", glibc = "2.31_" }]\n',
  );
  assert.equal(fine.errors, [], summary(fine));
});

test('[system-requirements] beside table entries that are plain subdirs is fine (toml/manifest.rs test 1088)', async () => {
  const report = await validateManifestSource(
    '[workspace]\nchannels = []\nplatforms = [{ name = "linux-64" }, { platform = "osx-arm64" }]\n[system-requirements]\ncuda = "12"\n',
  );
  assert.equal(byRule(report, 'manifest/system-requirements-with-platforms'), [], summary(report));
  // A feature's new subdir beside them is added, as beside strings (extend_originals_with_referenced_subdirs).
  const added = await validateManifestSource(
    '[workspace]\nchannels = []\nplatforms = [{ platform = "linux-64" }]\n[feature.mac]\nplatforms = ["osx-arm64"]\n[environments]\nmac = ["mac"]\n',
  );
  assert.equal(added.errors, [], summary(added));
  assert.equal(
    added.warnings.map((w) => w.rule),
    ['manifest/feature-platform'],
  );
  const rich = await validateManifestSource(
    '[workspace]\nchannels = []\nplatforms = [{ platform = "linux-64", cuda = "12" }]\n[system-requirements]\ncuda = "12"\n',
  );
  assert.is(byRule(rich, 'manifest/system-requirements-with-platforms').length, 1, summary(rich));
});

test("an environment's platforms: a feature takes a platform by name or subdir; an exactly named one narrows its subdir (features_ext.rs, pixi#6493)", () => {
  const model = new ManifestModel(
    parse(`[workspace]
channels = []
platforms = ["linux-64", { name = "linux-64-cuda", platform = "linux-64", cuda = "12" }, "osx-arm64"]
[feature.cpu]
platforms = ["linux-64", "osx-arm64"]
[feature.cuda]
platforms = ["linux-64-cuda"]
[environments]
cpu = ["cpu"]
cuda = ["cuda"]
both = ["cpu", "cuda"]
`) as Record<string, unknown>,
  );
  const names = (env: string) => model.environmentPlatforms(model.environment(env)!).map((p) => p.name);
  assert.equal(names('default'), ['linux-64', 'linux-64-cuda', 'osx-arm64']);
  assert.equal(names('cpu'), ['linux-64', 'osx-arm64'], 'linux-64 named exactly: its cuda variant stays out');
  assert.equal(names('cuda'), ['linux-64-cuda']);
  assert.equal(names('both'), ['linux-64-cuda'], 'cpu takes linux-64-cuda by its subdir; cuda names it');
});

test('[target."cuda-*"] applies to the platforms its glob names: their dependencies must be locked', async () => {
  const ws = tempWorkspace();
  try {
    ws.edit(
      'pixi.toml',
      '{ platform = "linux-64", cuda = "12.9" }',
      '{ name = "cuda-a", platform = "linux-64", cuda = "12.9" }',
    );
    ws.write('pixi.toml', `${ws.read('pixi.toml')}\n[target."cuda-*".dependencies]\nnot-in-the-lock = "*"\n`);
    const report = await validateWorkspace({ root: ws.root, saveCache: false });
    const missing = byRule(report, 'lock/package-missing');
    assert.is(missing.length, 1, summary(report));
    assert.match(missing[0]!.message, /not-in-the-lock/);
  } finally {
    ws.remove();
  }
});

test('[target."linux-["]: a selector with a bracket is refused as pixi refuses it, not a crash of validate', async () => {
  for (const selector of ['linux-[', 'linux-[ab', 'linux-[z-a]']) {
    const report = await validateManifestSource(
      `[workspace]\nchannels = []\nplatforms = ["linux-64"]\n[target."${selector}".dependencies]\nfoo = "*"\n`,
    );
    const unknown = report.errors.filter((e) => e.rule === 'manifest/unknown-platform');
    assert.is(unknown.length, 1, selector);
    assert.match(unknown[0]!.message, /a glob may hold only letters, digits, - and \*/);
  }
});

/** The template's v6 lock as pixi >= 0.71 writes it: version 7, its rich linux-64 row named `p1`. */
function v7Lock(lock: string, virtualPackages: string[], rowName = 'p1'): string {
  const platforms = [
    'platforms:',
    `- name: ${rowName}`,
    ...(rowName === 'linux-64' ? [] : ['  subdir: linux-64']),
    '  virtual-packages:',
    ...virtualPackages.map((vp) => `  - ${vp}`),
  ].join('\n');
  return lock.replace(/^version: 6\n/, `version: 7\n${platforms}\n`).replace(/^ {6}linux-64:$/m, `      ${rowName}:`);
}

const DEFAULTS = ['__unix=0=0', '__linux=4.18', '__glibc=2.28', '__archspec=0=x86_64'];

test('a v7 lock: the rich platform finds its `p1` rows by identity; a row of other packages is not its', async () => {
  const ws = tempWorkspace();
  try {
    const v6 = ws.read('pixi.lock');
    // As pixi writes the template's lock once relocked (align_platform_names matches p1 by identity).
    ws.write('pixi.lock', v7Lock(v6, ['__cuda=12.9', ...DEFAULTS]));
    const relocked = await validateWorkspace({ root: ws.root, saveCache: false });
    assert.equal(relocked.errors, [], summary(relocked));
    // pixi finds the row by identity, packages compared as rattler compares them (12.9.0 is
    // 12.9: compute_renames), then finds its text changed (PlatformDefinitionChanged compares
    // the strings): the row is the platform's, and stale.
    ws.write('pixi.lock', v7Lock(v6, ['__cuda=12.9.0', ...DEFAULTS]));
    const padded = await validateWorkspace({ root: ws.root, saveCache: false });
    assert.equal(
      padded.errors.map((e) => e.rule),
      ['lock/platform-changed'],
      summary(padded),
    );
    assert.equal(
      byRule(relocked, 'lock/platform-missing').filter((f) => f.message.includes('linux-64-cuda')),
      [],
    );
    // Locked for CUDA 12.8: no row is the platform's (the linux-64 subdir row would need __cuda=12.9).
    ws.write('pixi.lock', v7Lock(v6, ['__cuda=12.8', ...DEFAULTS]));
    const other = await validateWorkspace({ root: ws.root, saveCache: false });
    assert.equal(
      other.errors.map((e) => e.rule),
      ['lock/platform-missing'],
      summary(other),
    );
    // A bare linux-64 row solved without __cuda is not the CUDA platform's either (resolve_lock_platform_for).
    ws.write('pixi.lock', v7Lock(v6, DEFAULTS, 'linux-64'));
    const bare = await validateWorkspace({ root: ws.root, saveCache: false });
    assert.equal(
      bare.errors.map((e) => e.rule),
      ['lock/platform-missing'],
      summary(bare),
    );
  } finally {
    ws.remove();
  }
});

test("a v7 row of the platform's own name solved for other packages is stale (PlatformDefinitionChanged)", async () => {
  const ws = tempWorkspace();
  try {
    ws.edit(
      'pixi.toml',
      '{ platform = "linux-64", cuda = "12.9" }',
      '{ name = "gpu", platform = "linux-64", cuda = "12.9" }',
    );
    const v6 = ws.read('pixi.lock');
    ws.write('pixi.lock', v7Lock(v6, ['__cuda=12.9', ...DEFAULTS], 'gpu'));
    const same = await validateWorkspace({ root: ws.root, saveCache: false });
    assert.equal(same.errors, [], summary(same));
    ws.write('pixi.lock', v7Lock(v6, ['__cuda=12.8', ...DEFAULTS], 'gpu'));
    const changed = await validateWorkspace({ root: ws.root, saveCache: false });
    assert.equal(
      changed.errors.map((e) => e.rule),
      ['lock/platform-changed'],
      summary(changed),
    );
    assert.match(
      changed.errors[0]!.message,
      /locked for linux-64 with __cuda=12\.8; the manifest declares linux-64 with __cuda=12\.9/,
    );
    // At the lock's entry for the row (its line in the top-level platforms list).
    assert.is(changed.errors[0]!.line, 3);
  } finally {
    ws.remove();
  }
});

test.run();
