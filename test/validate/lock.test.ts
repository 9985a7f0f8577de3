// pixi.lock v5, v6 and v7 against their own manifests (real pairs: all satisfied), the same
// pairs with a spec the lock violates (an error per format), and conda version semantics.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { condaRequirement, satisfies } from '../../scripts/lib/validate/conda-spec.ts';
import { validateWorkspace } from '../../scripts/lib/validate/index.ts';
import { parseCondaFileName, parseLockFile } from '../../scripts/lib/validate/lock-file.ts';
import { hasShared, sharedFixtures, testFixtures } from '../helpers/paths.ts';
import { summary } from './helpers.ts';

const LOCAL = join(testFixtures, 'validate', 'locks');
const pairs = (): { name: string; dir: string }[] => {
  const list = readdirSync(LOCAL).map((d) => ({ name: d, dir: join(LOCAL, d) }));
  if (hasShared) {
    const shared = join(sharedFixtures, 'pixi', 'locks');
    for (const d of readdirSync(shared))
      if (existsSync(join(shared, d, 'pixi.lock')) && !list.some((p) => p.name === d))
        list.push({ name: d, dir: join(shared, d) });
  } else {
    console.log('lock tests: ../shared/fixtures is absent; using the three copied lock pairs (v5, v6, v7)');
  }
  return list;
};

function copyPair(dir: string): string {
  const root = mkdtempSync(join(tmpdir(), 'pixi-condor-lock-'));
  cpSync(join(dir, 'pixi.toml'), join(root, 'pixi.toml'));
  cpSync(join(dir, 'pixi.lock'), join(root, 'pixi.lock'));
  return root;
}

test('the three formats parse into environments, platforms and packages', async () => {
  const v6 = await parseLockFile(
    readFileSync(join(LOCAL, 'CHTC__templates-GPUs__containers_pixi', 'pixi.lock'), 'utf8'),
  );
  assert.is(v6.version, 6);
  const torch = v6.environments
    .get('default')!
    .platforms.get('linux-64')!
    .find((p) => p.name === 'pytorch-gpu');
  assert.equal([torch?.version], ['2.9.1']);
  const v5 = await parseLockFile(
    readFileSync(join(LOCAL, 'pavelzw__pixi-docker-example__4-prod-environment', 'pixi.lock'), 'utf8'),
  );
  assert.is(v5.version, 5);
  assert.ok(
    v5.environments
      .get('prod')!
      .platforms.get('linux-64')!
      .some((p) => p.name === 'python'),
  );
  const v7 = await parseLockFile(readFileSync(join(LOCAL, '2003cy__specml', 'pixi.lock'), 'utf8'));
  assert.is(v7.version, 7);
  assert.ok(v7.platforms.has('osx-arm64'));
  assert.ok(
    v7.environments
      .get('default')!
      .platforms.get('linux-64')!
      .some((p) => p.kind === 'pypi'),
  );
});

test('file names give name, version and build', () => {
  assert.equal(parseCondaFileName('https://x/linux-64/cuda-version-12.9-h4f385c5_3.conda'), {
    name: 'cuda-version',
    version: '12.9',
    build: 'h4f385c5_3',
  });
  assert.equal(parseCondaFileName('https://x/noarch/_openmp_mutex-4.5-2_gnu.tar.bz2'), {
    name: '_openmp_mutex',
    version: '4.5',
    build: '2_gnu',
  });
  assert.is(parseCondaFileName('https://x/wheel.whl'), null);
});

test('every real lock pair is satisfied by its own lock (no lock/* finding)', async () => {
  for (const pair of pairs()) {
    const root = copyPair(pair.dir);
    try {
      const report = await validateWorkspace({ root });
      const lockFindings = [...report.errors, ...report.warnings].filter((f) => f.rule.startsWith('lock/'));
      assert.equal(lockFindings, [], `${pair.name}: ${summary(report)}`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
});

test('a spec the lock violates is lock/spec-unsatisfied in every format', async () => {
  for (const pair of pairs()) {
    const root = copyPair(pair.dir);
    try {
      const text = readFileSync(join(root, 'pixi.toml'), 'utf8');
      const deps = (parse(text) as { dependencies?: Record<string, unknown> }).dependencies ?? {};
      const name = Object.keys(deps).find(
        (n) => typeof deps[n] === 'string' && new RegExp(`^${n}\\s*=`, 'm').test(text),
      );
      if (!name) continue;
      writeFileSync(join(root, 'pixi.toml'), text.replace(new RegExp(`^${name}\\s*=.*$`, 'm'), `${name} = ">=9999"`));
      const report = await validateWorkspace({ root });
      const hit = report.errors.find(
        (e) => e.rule === 'lock/spec-unsatisfied' && e.message.startsWith(`pixi.lock has ${name} `),
      );
      assert.ok(hit, `${pair.name} (${name}): ${summary(report)}`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
});

/** A copy of the lock pair `name` with its pixi.toml edited by `edit`: the validate report of it. */
async function editedPair(name: string, edit: (text: string) => string, runs = 1) {
  const root = copyPair(join(LOCAL, name));
  try {
    writeFileSync(join(root, 'pixi.toml'), edit(readFileSync(join(root, 'pixi.toml'), 'utf8')));
    // A second run reads the lock from the validate cache.
    let report = await validateWorkspace({ root });
    for (let run = 1; run < runs; run++) report = await validateWorkspace({ root });
    return report;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('as pixi reads them: a spec with spaces around its comma, a name in another case, a dependency with a `when` condition (no lock/* finding)', async () => {
  const report = await editedPair('CHTC__templates-GPUs__containers_pixi', (text) => {
    assert.match(text, /^torchvision = ">=0\.24\.1,<0\.25"$/m);
    return text
      .replace(/^torchvision = ">=0\.24\.1,<0\.25"$/m, 'TorchVision = ">=0.24.1, <0.25"')
      .replace(
        /^pytorch-gpu = ">=2\.9\.1,<3"$/m,
        'pytorch-gpu = ">=2.9.1 ,<3"\npywin32 = { version = "*", when = "__win" }',
      );
  });
  const findings = [...report.errors, ...report.warnings].filter(
    (f) => f.rule.startsWith('lock/') || f.rule === 'manifest/invalid-spec',
  );
  assert.equal(findings, [], summary(report));
});

test('a PyPI dependency a locked conda package supplies (its purl, pkg:pypi/torch) is in the lock, as pixi counts it', async () => {
  const edit = (text: string) => text.replace(/^\[pypi-dependencies\]$/m, '[pypi-dependencies]\ntorch = "*"');
  // Read fresh, then from the validate cache (the purls are kept there too).
  for (const runs of [1, 2]) {
    const report = await editedPair('2003cy__specml', edit, runs);
    assert.equal(
      report.errors.filter((e) => e.rule === 'lock/package-missing'),
      [],
      `${runs} run(s): ${summary(report)}`,
    );
  }
});

test('conda version semantics (rattler): .*, ranges (spaces around commas too), pre-releases, exact bare versions, build globs in a table; a match spec in a string is refused, as pixi refuses it', () => {
  const check = (spec: string, version: string, build: string | null = null) =>
    satisfies(condaRequirement(spec)!, version, build).ok;
  assert.is(check('12.9.*', '12.9.79'), true);
  assert.is(check('12.9.*', '12.10.1'), false);
  assert.is(check('>=2.9.1,<3', '2.10.0'), true);
  assert.is(check('>=2.9.1,<3', '3.0.0'), false);
  assert.is(check('>=2.9.1,<3', '3.0.0a1'), true);
  assert.is(check('12.9', '12.9'), true);
  assert.is(check('12.9', '12.9.79'), false);
  assert.is(check('*', '0.0.1'), true);
  assert.is(check('>=0.24.1, <0.25', '0.24.2'), true);
  assert.is(check('>=2.9.1 ,<3', '2.10.0'), true);
  assert.is(check('>=2.9.1 ,<3', '3.0.0'), false);
  // pixi reads a string as a version spec only (pixi_spec toml.rs parse_version_string).
  const matchSpec = satisfies(condaRequirement('3.12.* *_cpython')!, '3.12.1', '8_cpython');
  assert.is((matchSpec as { reason?: string }).reason, 'invalid-spec');
  const table = (build: string) =>
    satisfies(condaRequirement({ version: '3.12.*', build: '*_cpython' })!, '3.12.1', build).ok;
  assert.is(table('8_cpython'), true);
  assert.is(table('h123_pypy'), false);
  const invalid = satisfies(condaRequirement('>=>=1')!, '1.0', null);
  assert.is(invalid.ok, false);
  assert.is((invalid as { reason: string }).reason, 'invalid-spec');
  assert.is(condaRequirement({ path: '.' }), null);
  assert.equal(condaRequirement({ version: '>=1', build: 'py*' }), { version: '>=1', build: 'py*' });
});

test.run();
