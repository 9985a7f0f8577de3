// The task bundles (scripts/lib/bundles.ts) and how scripts/run.mjs picks between a bundle and
// the source: in a copy of the checkout, a fresh bundle runs (no scripts/*.ts loads) and says
// what the source says; an edit to any file it was built from sends the next run to the source;
// the V8 code cache is written by a full run only, is tied to one bundle, and a corrupt one is
// refused and written again; the bundle finds the checkout's files (schema/) from its place.
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUNDLE_DIR, buildBundles, INPUTS_FILE, type BundleInputs } from '../../scripts/lib/bundles.ts';
import { repoRoot } from '../helpers/paths.ts';
import { canTrace, copyCheckout, runTracedTask } from '../helpers/checkout-copy.ts';
import { runCommand } from '../helpers/process.ts';
import { tempWorkspace } from '../validate/helpers.ts';

/** As scripts/run.mjs decides: require() of ES modules without a warning (Node 20.19+, 22.13+, 23.5+). */
const bundlesRun = (() => {
  if (!process.features.require_module) return false;
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  return major >= 24 || (major === 23 && minor >= 5) || (major === 22 && minor >= 13) || (major === 20 && minor >= 19);
})();
const checkout = copyCheckout('pixi-condor-bundles-');
const ws = tempWorkspace();
const trace = join(checkout, 'trace.json');
test.after(() => {
  rmSync(checkout, { recursive: true, force: true });
  ws.remove();
});

const bundleDir = join(checkout, BUNDLE_DIR);
const caches = () =>
  readdirSync(bundleDir).filter((name) => name.startsWith('validate.cjs.') && name.endsWith('.v8cache'));

// Where a run's modules cannot be traced (canTrace), a run's code cache tells a bundled run.
const clearCaches = () => {
  for (const name of caches()) rmSync(join(bundleDir, name));
};

/**
 * `node scripts/run.mjs validate ARGS` of the copy, in the template workspace; `fromSource`:
 * whether scripts/validate.ts loaded (null where Node cannot trace modules).
 */
async function validate(args: string[], env: Record<string, string> = {}) {
  const { loaded, ...result } = await runTracedTask(checkout, trace, 'validate', args, {
    cwd: ws.root,
    env: { PIXI_PROJECT_ROOT: undefined, ...env },
    timeoutMs: 30_000,
  });
  const fromSource = loaded ? loaded.some((url) => url.endsWith('/scripts/validate.ts')) : null;
  return { ...result, fromSource };
}

test('every task script is bundled, with the size and mtime of each file it was built from', async () => {
  const result = await buildBundles(checkout);
  assert.ok(result, 'esbuild is a dev dependency');
  assert.ok(result!.tasks.includes('validate') && result!.tasks.includes('submit'), result!.tasks.join(', '));
  assert.not.ok(result!.tasks.includes('bundle'), 'the bundler is not bundled');
  const inputs = JSON.parse(readFileSync(join(bundleDir, INPUTS_FILE), 'utf8')) as BundleInputs;
  const files = inputs.tasks.validate!;
  assert.ok(files.some(([path]) => path === 'scripts/validate.ts'));
  assert.ok(
    files.some(([path]) => path === 'schema/manifest-validator.cjs'),
    'the validator is inlined',
  );
  for (const [path, size, mtimeMs] of files) {
    const stat = statSync(join(checkout, path));
    assert.equal([stat.size, stat.mtimeMs], [size, mtimeMs], path);
  }
  assert.ok(existsSync(join(bundleDir, 'validate.cjs')));
  assert.is(readdirSync(join(checkout, '.build')).length, 1, 'no temporary folder is left');
});

test("pixi's _install task reruns when any file a bundle was built from changes: its inputs cover them all", () => {
  const manifest = parse(readFileSync(join(repoRoot, 'pixi.toml'), 'utf8')) as {
    feature: { tools: { tasks: { _install: { inputs: string[] } } } };
  };
  // pixi's globs here: `**` any folders, `*` any name part.
  const globs = manifest.feature.tools.tasks._install.inputs.map(
    (glob) =>
      new RegExp(
        `^${glob
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\//g, '\u0000')
          .replace(/\*/g, '[^/]*')
          .replaceAll('\u0000', '(?:.+/)?')}$`,
      ),
  );
  const inputs = JSON.parse(readFileSync(join(bundleDir, INPUTS_FILE), 'utf8')) as BundleInputs;
  const uncovered = [...new Set(Object.values(inputs.tasks).flatMap((files) => files.map(([path]) => path)))].filter(
    (path) => !globs.some((glob) => glob.test(path)),
  );
  assert.equal(uncovered, []);
});

test('a fresh bundle runs, and prints exactly what the source prints', async () => {
  if (!bundlesRun) {
    console.log(`  skipped: Node ${process.version} has no require() of ES modules, so run.mjs runs the source`);
    return;
  }
  clearCaches();
  const bundled = await validate(['--json']);
  assert.is(bundled.code, 0, bundled.stderr);
  assert.is(caches().length, 1, 'the bundle ran (and wrote its code cache)');
  if (canTrace) assert.is(bundled.fromSource, false, 'no TypeScript loaded');
  clearCaches();
  const source = await validate(['--json'], { PIXI_CONDOR_FROM_SOURCE: '1' });
  assert.equal(caches(), [], 'the source ran');
  if (canTrace) assert.is(source.fromSource, true);
  assert.is(bundled.stdout, source.stdout);
  assert.is(bundled.stderr, source.stderr);
});

test('the code cache: written by a full run, not by --help, tied to its bundle, rewritten when corrupt', async () => {
  if (!bundlesRun) return;
  clearCaches();
  const help = await validate(['--help']);
  assert.is(help.code, 0);
  assert.equal(caches(), [], '--help compiles too little to be cached');
  await validate([]);
  const [cache] = caches();
  const { size, mtimeMs } = statSync(join(bundleDir, 'validate.cjs'));
  assert.is(cache, `validate.cjs.${size}-${mtimeMs}.v8cache`);
  writeFileSync(join(bundleDir, cache!), 'not a code cache');
  const again = await validate(['--json']);
  assert.is(again.code, 0, again.stderr);
  if (canTrace) assert.is(again.fromSource, false);
  assert.ok(statSync(join(bundleDir, cache!)).size > 1000, 'V8 refused the garbage and the run wrote a cache');
});

test("an invalid manifest through the bundle: the schema files are found from the bundle's place", async () => {
  if (!bundlesRun) return;
  const bad = tempWorkspace();
  try {
    bad.edit('pixi.toml', '[workspace]', '[workspace]\nchanels = ["conda-forge"]');
    const result = await runCommand(process.execPath, [join(checkout, 'scripts', 'run.mjs'), 'validate'], {
      cwd: bad.root,
      timeoutMs: 30_000,
    });
    assert.is(result.code, 1, result.stderr);
    assert.match(result.stdout, /unknown key 'chanels'.*\n.*\n.*\n.*did you mean 'channels'\?/);
  } finally {
    bad.remove();
  }
});

test('an edit to any file a bundle was built from sends the next run to the source', async () => {
  if (!bundlesRun) return;
  const validator = join(checkout, 'schema', 'manifest-validator.cjs');
  const validatorMtime = statSync(validator).mtimeMs;
  const text = join(checkout, 'scripts', 'lib', 'validate', 'text.ts');
  writeFileSync(text, `${readFileSync(text, 'utf8')}// edited\n`);
  clearCaches();
  const edited = await validate([]);
  assert.is(edited.code, 0, edited.stderr);
  assert.equal(caches(), [], 'a stale bundle must not run');
  if (canTrace) assert.is(edited.fromSource, true);
  assert.is(statSync(validator).mtimeMs, validatorMtime, 'running validate never rewrites the compiled validator');
  await buildBundles(checkout);
  await validate([]);
  assert.is(caches().length, 1, 'bundled again, the bundle runs');
});

test('a script esbuild cannot build: an error, or with --best-effort (pixi) a warning; the other bundles still run', async () => {
  if (!bundlesRun) return;
  await buildBundles(checkout);
  const cancel = join(checkout, 'scripts', 'cancel.ts');
  const before = readFileSync(cancel, 'utf8');
  writeFileSync(cancel, `${before}\nconst broken = ;\n`);
  try {
    const bundle = (args: string[]) =>
      runCommand(process.execPath, [join(checkout, 'scripts', 'run.mjs'), 'bundle', ...args], { timeoutMs: 60_000 });
    const strict = await bundle([]);
    assert.is(strict.code, 1);
    assert.match(strict.stderr, /^error: could not bundle the task scripts[^\n]*\n[\s\S]*scripts\/cancel\.ts:\d+:\d+/);
    const lenient = await bundle(['--best-effort']);
    assert.is(lenient.code, 0, lenient.stderr);
    assert.match(lenient.stderr, /^warning: could not bundle/);
    clearCaches();
    assert.is((await validate([])).code, 0);
    assert.is(caches().length, 1, "validate's bundle, built before, still runs: none of its sources changed");
  } finally {
    writeFileSync(cancel, before);
  }
});

test('builds at once (two terminals after one edit) all succeed, and leave one whole set', async () => {
  const runs = await Promise.all(
    [1, 2, 3, 4, 5, 6].map(() =>
      runCommand(process.execPath, [join(checkout, 'scripts', 'run.mjs'), 'bundle', '--json'], { timeoutMs: 120_000 }),
    ),
  );
  for (const run of runs) assert.is(run.code, 0, run.stderr);
  assert.equal(readdirSync(join(checkout, '.build')), ['bundles'], 'no temporary or set-aside folder is left');
  const inputs = JSON.parse(readFileSync(join(bundleDir, INPUTS_FILE), 'utf8')) as BundleInputs;
  assert.ok(inputs.tasks.validate && existsSync(join(bundleDir, 'validate.cjs')));
});

test('`bundle --dry-run` writes nothing', async () => {
  rmSync(join(checkout, '.build'), { recursive: true, force: true });
  const dry = await runCommand(
    process.execPath,
    [join(checkout, 'scripts', 'run.mjs'), 'bundle', '--dry-run', '--json'],
    {
      timeoutMs: 30_000,
    },
  );
  assert.is(dry.code, 0, dry.stderr);
  assert.is(JSON.parse(dry.stdout).dryRun, true);
  assert.not.ok(existsSync(join(checkout, '.build')));
});

test.run();
