// The shipped schema: the precompiled validator is current, [tool.pixi-condor] covers exactly
// the keys scripts/lib/workspace.ts reads, and errors read like TOML, not like JSON pointers.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateManifestSource } from '../../scripts/lib/validate/index.ts';
import { parse } from 'smol-toml';
import { manifestValidator } from '../../scripts/lib/validate/manifest-schema.ts';
import {
  COMPILED_VALIDATOR,
  compiledHash,
  compileValidator,
  schemaHash,
  TOOL_SCHEMA,
} from '../../scripts/lib/validate/schema-source.ts';
import { CONFIG_DEFAULTS, templateConfig } from '../../scripts/lib/workspace.ts';

test('schema/manifest-validator.cjs was compiled from the current schema files', () => {
  assert.is(
    compiledHash(readFileSync(COMPILED_VALIDATOR, 'utf8')),
    schemaHash(),
    'run: node scripts/run.mjs compile-schema',
  );
});

test('[tool.pixi-condor] schema keys are exactly the keys workspace.ts reads', () => {
  const tool = JSON.parse(readFileSync(TOOL_SCHEMA, 'utf8')) as {
    properties: Record<string, unknown>;
    additionalProperties: boolean;
  };
  const camel = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  assert.equal(Object.keys(tool.properties).map(camel).sort(), Object.keys(CONFIG_DEFAULTS).sort());
  assert.is(tool.additionalProperties, false);
  // Every key the schema accepts, templateConfig accepts too.
  const config = templateConfig({
    tool: { 'pixi-condor': { 'moving-tag': 'x', 'build-args': { A: 'b' }, 'submit-file': 'a.sub' } },
  });
  assert.is(config.movingTag, 'x');
});

test('the template defaults themselves satisfy the [tool.pixi-condor] schema', async () => {
  const values = {
    repository: CONFIG_DEFAULTS.repository,
    environment: CONFIG_DEFAULTS.environment,
    platform: CONFIG_DEFAULTS.platform,
    'submit-file': CONFIG_DEFAULTS.submitFile,
    dockerfile: CONFIG_DEFAULTS.dockerfile,
    tag: CONFIG_DEFAULTS.tag,
    'moving-tag': CONFIG_DEFAULTS.movingTag,
  };
  const toml = `[workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n[tool.pixi-condor]\n${Object.entries(
    values,
  )
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join('\n')}\n`;
  const report = await validateManifestSource(toml);
  assert.is(report.ok, true, JSON.stringify(report.errors));
});

test('[tool.pixi-condor] mistakes: unknown placeholder, upper-case repository, wrong platform', async () => {
  const base = '[workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n[tool.pixi-condor]\n';
  for (const bad of [
    'tag = "{env}-{hash}"',
    'repository = "ghcr.io/Alice/X"',
    'platform = "linux-amd64"',
    'build-args = { CUDA_VERSION = 12 }',
    'environment = "GPU"',
  ]) {
    const report = await validateManifestSource(base + bad + '\n');
    assert.is(report.ok, false, bad);
    assert.is(report.errors[0]!.line, 5, bad);
  }
});

test('anyOf noise folds into one message per mistake, in TOML words', async () => {
  const report = await validateManifestSource('[workspace]\nchannels = ["conda-forge"]\n[dependencies]\nnumpy = 3\n');
  assert.is(report.errors.length, 1);
  assert.match(report.errors[0]!.message, /must be a version spec string or a dependency table, not the integer 3/);
  assert.is(report.errors[0]!.line, 4);
  assert.is(report.errors[0]!.column, 9);
  const missing = await validateManifestSource('[workspace]\nname = "x"\n');
  assert.equal(
    missing.errors.map((e) => [e.rule, e.line]),
    [['schema/missing-key', 1]],
  );
  const none = await validateManifestSource('[tasks]\na = "b"\n');
  assert.match(none.errors[0]!.message, /no \[workspace\] table/);
});

test('homepage, repository and documentation must be URLs (pixi parses them as URLs; ajv-formats checks)', async () => {
  const base = '[workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n';
  const bad = await validateManifestSource(
    `${base}repository = "https://github.com/a/b"\nhomepage = "my project page"\n`,
  );
  assert.equal(
    bad.errors.map((e) => [e.rule, e.line, e.column]),
    [['schema/format', 5, 12]],
  );
  assert.match(bad.errors[0]!.message, /\[workspace\.homepage\] must be a URL, not the string "my project page"/);
  const good = await validateManifestSource(
    `${base}homepage = "https://example.org/x"\ndocumentation = "https://example.org/docs"\n`,
  );
  assert.is(good.ok, true, JSON.stringify(good.errors));
});

test("compiling the schema on the spot (no shipped validator) gives the shipped validator's answers", async () => {
  const shipped = await manifestValidator();
  const compiled = await compileValidator();
  const base = '[workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n';
  for (const text of [
    base,
    `${base}homepage = "not a url"\n`,
    `${base}[dependencies]\nnumpy = 3\n`,
    readFileSync('pixi.toml', 'utf8'),
  ]) {
    const data = parse(text);
    assert.is(compiled(data), shipped(data), text);
  }
});

test.run();
