// pixi.lock files pixi refuses (rattler_lock, serde_yaml) are errors, never "valid", and none of
// them costs more than linear time: YAML aliases multiplying environments x platforms x packages,
// a lock cut short, an environment without `packages`, a lock that is a folder or a FIFO, and a
// validate cache of the right format but the wrong shape.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateWorkspace } from '../../scripts/lib/validate/index.ts';
import { isCacheData } from '../../scripts/lib/validate/lock-cache.ts';
import { LockFormatError, parseLockFile } from '../../scripts/lib/validate/lock-file.ts';
import { testFixtures } from '../helpers/paths.ts';
import { byRule, summary, tempWorkspace } from './helpers.ts';

const V6_LOCK = join(testFixtures, 'validate', 'locks', 'CHTC__templates-GPUs__containers_pixi', 'pixi.lock');

/** 26 KB of YAML whose aliases make 10^11 package entries (the issue's 28 s / 1.4 GB case, larger). */
function aliasBomb(): string {
  let text = 'version: 6\nenvironments:\n';
  for (let e = 0; e < 200; e++) text += `  e${e}: { channels: [], packages: { linux-64: *p9, osx-64: *p9 } }\n`;
  let anchors = 'p0: &p0 [{ conda: "https://x/linux-64/a-1-0.conda" }]\n';
  for (let i = 1; i < 10; i++)
    anchors += `p${i}: &p${i} [${Array(12)
      .fill(`*p${i - 1}`)
      .join(', ')}]\n`;
  return text.replace('environments:\n', `${anchors}environments:\n`);
}

test("aliases that repeat nodes past serde_yaml's limit (100 x events) are refused, at once", async () => {
  const bomb = aliasBomb();
  const started = performance.now();
  try {
    await parseLockFile(bomb);
    assert.unreachable('accepted an alias bomb');
  } catch (error) {
    assert.instance(error, LockFormatError);
    assert.match((error as Error).message, /repetition limit exceeded/);
  }
  // No wall-time assert: the bound is the count of node visits, linear in the file (see lock-file.ts).
  console.log(`alias bomb refused in ${(performance.now() - started).toFixed(0)} ms`);
  // A few honest aliases (as hand-written YAML may have) are fine.
  const fine =
    'version: 6\nch: &ch [{ url: "https://conda.anaconda.org/conda-forge/" }]\nenvironments:\n  a: { channels: *ch, packages: {} }\n  b: { channels: *ch, packages: {} }\n';
  assert.is((await parseLockFile(fine)).environments.size, 2);
  await parseLockFile('version: 6\na: &a [*a]\n').then(
    () => assert.unreachable(),
    (error: Error) => assert.match(error.message, /refer to themselves|undefined alias|unidentified alias/i),
  );
});

test('a lock cut short (selectors naming packages it no longer lists) is lock/unreadable, as rattler refuses it', async () => {
  const text = readFileSync(V6_LOCK, 'utf8');
  const packagesAt = text.indexOf('\npackages:');
  assert.ok(packagesAt > 0);
  for (const cut of [packagesAt + 1, Math.floor((packagesAt + text.length) / 2)]) {
    const ws = tempWorkspace();
    try {
      ws.write('pixi.lock', text.slice(0, cut));
      const report = await validateWorkspace({ root: ws.root, saveCache: false });
      const [finding] = byRule(report, 'lock/unreadable');
      assert.ok(finding, summary(report));
      assert.match(finding!.message, /refers to a package that does not exist/);
      assert.is(report.ok, false);
    } finally {
      ws.remove();
    }
  }
});

test('an environment without `packages` (missing field, rattler_lock deserialize.rs) is an error', async () => {
  const ws = tempWorkspace();
  try {
    ws.write(
      'pixi.lock',
      'version: 6\nenvironments:\n  default:\n    channels:\n    - url: https://conda.anaconda.org/conda-forge/\npackages: []\n',
    );
    const report = await validateWorkspace({ root: ws.root, saveCache: false });
    const [finding] = byRule(report, 'lock/unreadable');
    assert.ok(finding, summary(report));
    assert.match(finding!.message, /environment 'default' has no `packages`/);
    assert.is(finding!.line, 3);
  } finally {
    ws.remove();
  }
});

test('a pixi.lock that is a folder or a FIFO is unreadable, not missing, and reading it never blocks', async () => {
  for (const make of ['folder', 'fifo'] as const) {
    const ws = tempWorkspace();
    try {
      rmSync(join(ws.root, 'pixi.lock'));
      if (make === 'folder') mkdirSync(join(ws.root, 'pixi.lock'));
      else execFileSync('mkfifo', [join(ws.root, 'pixi.lock')]);
      const report = await validateWorkspace({ root: ws.root, saveCache: false });
      assert.equal(byRule(report, 'lock/missing'), [], summary(report));
      const [finding] = byRule(report, 'lock/unreadable');
      assert.ok(finding, summary(report));
      assert.match(finding!.message, /^pixi\.lock is not a regular file/);
    } finally {
      ws.remove();
    }
  }
});

test('a validate cache of the right format but the wrong shape is ignored and rebuilt', async () => {
  const ws = tempWorkspace();
  try {
    const first = await validateWorkspace({ root: ws.root });
    const cachePath = join(ws.root, '.pixi-condor', 'validate-cache.json');
    const good = JSON.parse(readFileSync(cachePath, 'utf8'));
    assert.ok(isCacheData(good), 'what storeLock writes is a cache');
    const shapes = [
      { ...good, lock: { ...good.lock, packages: 'x' } },
      { ...good, lock: { ...good.lock, environments: [['default', [], [['linux-64', [999999]]]]] } },
      { ...good, lock: { ...good.lock, platforms: {} } },
      { ...good, specs: [] },
      { ...good, lock: { ...good.lock, environments: {} } },
    ];
    for (const shape of shapes) {
      assert.is(isCacheData(shape), false);
      writeFileSync(cachePath, JSON.stringify(shape));
      const report = await validateWorkspace({ root: ws.root });
      assert.equal(summary(report), summary(first));
      assert.ok(isCacheData(JSON.parse(readFileSync(cachePath, 'utf8'))), 'the cache is rebuilt');
    }
  } finally {
    ws.remove();
  }
});

test.run();
