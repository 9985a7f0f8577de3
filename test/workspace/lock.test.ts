// pixi.lock is assembled from real data (pixi and conda-forge are out of reach here): its
// default environment's linux-64 packages must be exactly those of CHTC's containers/pixi lock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot, testFixtures } from '../helpers/paths.ts';

type Lock = {
  version: number;
  environments: Record<string, { packages: Record<string, { conda?: string; pypi?: string }[]> }>;
  packages: { conda?: string; pypi?: string; sha256?: string; md5?: string }[];
};

const readLock = (path: string) => load(readFileSync(path, 'utf8')) as Lock;
const template = readLock(join(repoRoot, 'pixi.lock'));
const seed = readLock(join(testFixtures, 'workspace', 'chtc-containers-pixi.lock'));

/** url -> "sha256 md5" of every package the default env locks for linux-64. */
function defaultLinuxPackages(lock: Lock): Map<string, string> {
  const byUrl = new Map(lock.packages.map((p) => [p.conda ?? p.pypi ?? '', `${p.sha256} ${p.md5 ?? ''}`]));
  const selected = lock.environments.default?.packages['linux-64'] ?? [];
  return new Map(
    selected.map((s) => {
      const url = s.conda ?? s.pypi ?? '';
      return [url, byUrl.get(url) ?? 'MISSING FROM packages:'];
    }),
  );
}

test('the lock is format v6', () => {
  assert.is(template.version, 6);
});

test("default/linux-64 locks exactly the seed's packages, with the same hashes", () => {
  const mine = defaultLinuxPackages(template);
  const theirs = defaultLinuxPackages(seed);
  assert.ok(theirs.size > 100, `the seed lock should have >100 packages, has ${theirs.size}`);
  const onlyMine = [...mine.keys()].filter((url) => !theirs.has(url));
  const onlyTheirs = [...theirs.keys()].filter((url) => !mine.has(url));
  assert.equal(onlyMine, [], 'packages the seed does not lock');
  assert.equal(onlyTheirs, [], 'seed packages missing from pixi.lock');
  const differing = [...mine].filter(([url, hashes]) => theirs.get(url) !== hashes).map(([url]) => url);
  assert.equal(differing, [], 'packages whose hashes differ from the seed');
});

test('every package an environment selects is described in packages:', () => {
  const described = new Set(template.packages.map((p) => p.conda ?? p.pypi));
  for (const [env, body] of Object.entries(template.environments)) {
    for (const [platform, selected] of Object.entries(body.packages)) {
      const missing = selected.map((s) => s.conda ?? s.pypi).filter((url) => !described.has(url));
      assert.equal(missing, [], `${env}/${platform}`);
    }
  }
});

test('the locked CUDA stack matches the manifest: pytorch CUDA 12.9 build, cuda-version 12.9', () => {
  const urls = [...defaultLinuxPackages(template).keys()];
  assert.ok(
    urls.some((u) => /\/pytorch-2\.9\.\d+-cuda129_/.test(u)),
    'a pytorch 2.9 cuda129 build',
  );
  assert.ok(
    urls.some((u) => /\/cuda-version-12\.9-/.test(u)),
    'cuda-version 12.9',
  );
  assert.ok(
    urls.some((u) => /\/torchvision-0\.24\.\d+-/.test(u)),
    'torchvision 0.24',
  );
});

test.run();
