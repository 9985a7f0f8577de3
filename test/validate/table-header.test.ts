// validate's quick locator for a finding on a whole top-level table (found by its header line,
// without the TOML syntax tree) must give exactly the position the full index gives, on real
// manifests, and must step aside whenever something else could define the table first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { locateTableHeader, TomlPositions } from '../../scripts/lib/validate/toml-positions.ts';
import { repoRoot, testFixtures } from '../helpers/paths.ts';

const manifests = [
  join(repoRoot, 'pixi.toml'),
  ...readdirSync(join(testFixtures, 'validate', 'manifests'))
    .filter((name) => name.endsWith('.toml'))
    .map((name) => join(testFixtures, 'validate', 'manifests', name)),
];

test('on every real manifest, each top-level table it locates is where the full index puts it', async () => {
  let located = 0;
  for (const path of manifests) {
    const text = readFileSync(path, 'utf8');
    let data: Record<string, unknown>;
    try {
      data = parse(text) as Record<string, unknown>;
    } catch {
      continue; // a fixture that is invalid on purpose
    }
    const index = await TomlPositions.build(text);
    assert.ok(index, path);
    for (const key of Object.keys(data)) {
      for (const at of ['key', 'value'] as const) {
        const quick = locateTableHeader(text, `/${key}`);
        if (quick === null) continue;
        located++;
        assert.equal(quick, index!.locate(`/${key}`, at), `${path} /${key} (${at})`);
      }
    }
  }
  assert.ok(located >= 20, `located ${located} tables`);
});

test('steps aside when the table may be defined before its header, or no plain header exists', () => {
  const cases = [
    'a = 1\nsystem-requirements.cuda = "12"\n[system-requirements]\nlibc = "2.28"\n',
    'system-requirements = { cuda = "12" }\n',
    'x = """\n[system-requirements]\n"""\n[system-requirements]\ncuda = "12"\n',
    '["system-requirements"]\ncuda = "12"\n',
    '[system-requirements.extra]\n',
  ];
  for (const text of cases) assert.is(locateTableHeader(text, '/system-requirements'), null, text);
  assert.is(locateTableHeader('[a]\n', '/a/b'), null, 'only one-segment pointers');
  assert.equal(locateTableHeader('# [x]\n[ x ]  # note\n', '/x'), { line: 2, column: 3 });
});

test.run();
