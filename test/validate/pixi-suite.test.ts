// pixi's own manifest unit tests as the judge (test/fixtures/pixi-suite/cases.json, made by
// extract.ts from crates/pixi_manifest at the commit it names): every inline manifest a test
// loads gets pixi's verdict from validate's manifest checks; a refusal (and a warning pixi's
// snapshot shows) is located on the line pixi points at, or names what pixi's message names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateManifestSource } from '../../scripts/lib/validate/index.ts';
import type { Finding } from '../../scripts/lib/validate/types.ts';
import type { PixiCase } from '../fixtures/pixi-suite/extract.ts';
import { testFixtures } from '../helpers/paths.ts';

const suite = JSON.parse(readFileSync(join(testFixtures, 'pixi-suite', 'cases.json'), 'utf8')) as {
  commit: string;
  version: string;
  cases: PixiCase[];
};

/** The names pixi's message quotes ('…' or `…`): one of them must be in ours. */
function quoted(message: string): string[] {
  return [...message.matchAll(/'([^']+)'|`([^`]+)`/g)].map((m) => m[1] ?? m[2]!);
}

function located(c: PixiCase, found: Finding[]): boolean {
  if (c.lines) return found.some((f) => c.lines!.includes(f.line));
  const names = (c.messages ?? []).flatMap(quoted);
  return names.length === 0 || found.some((f) => names.some((name) => f.message.includes(name)));
}

test(`pixi ${suite.version}'s manifest tests (${suite.cases.length} manifests, prefix-dev/pixi ${suite.commit.slice(0, 12)})`, async () => {
  assert.ok(suite.cases.length >= 170, 'the extracted suite is all there');
  const disagree: string[] = [];
  for (const c of suite.cases) {
    const report = await validateManifestSource(c.text, c.kind === 'pyproject' ? 'pyproject.toml' : 'pixi.toml');
    const ours = report.errors.length > 0 ? 'refuse' : 'accept';
    const where = `${c.name} (${c.source}:${c.line})`;
    if (ours !== c.verdict) {
      const why = report.errors.map((f) => `${f.line}: ${f.message}`).join('; ');
      disagree.push(`${where}: pixi ${c.verdict}s, validate ${ours}s${why ? ` (${why})` : ''}`);
      continue;
    }
    if (c.verdict === 'refuse' && !located(c, report.errors))
      disagree.push(`${where}: refused, but not at pixi's ${c.lines ? `line ${c.lines}` : (c.messages ?? []).join()}`);
    if (c.warns && !located(c, report.warnings))
      disagree.push(`${where}: pixi warns (${c.messages?.[0]}); validate gives no such warning`);
  }
  assert.equal(disagree, [], disagree.join('\n'));
});

test.run();
