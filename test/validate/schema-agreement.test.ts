// Our manifest validator against ajv with pixi's official v0.77 schema (a copy kept in
// test/fixtures/validate, so the test runs in a fork without ../shared), over every real manifest
// in the repository's fixtures (and the shared corpus when it is beside the clone): they must
// agree on valid/invalid, except where pixi.md §a.5 says the official schema is wrong about pixi
// (the table below, with reasons).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'smol-toml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateManifestSource } from '../../scripts/lib/validate/index.ts';
import { hasShared, sharedFixtures, testFixtures } from '../helpers/paths.ts';

/** Files where we deliberately differ from the official schema, and why. */
const KNOWN_DIFFERENCES: Record<string, { official: boolean; ours: boolean; reason: string }> = {
  'manifests/rerun-io__rerun__pixi.toml': {
    official: false,
    ours: true,
    reason:
      'activation.env value "" (EXECUTABLE_EXTENSION): pixi accepts empty values, the official schema demands minLength 1 (pixi.md §a.5)',
  },
};

// ajv-formats is CommonJS: under NodeNext its default import is module.exports, whose .default is the plugin.
type AddFormats = (ajv: Ajv) => Ajv;
const formatsExport = addFormatsModule as unknown as AddFormats | { default: AddFormats };
const addFormats: AddFormats = typeof formatsExport === 'function' ? formatsExport : formatsExport.default;

const OFFICIAL_SCHEMA = join(testFixtures, 'validate', 'pixi-manifest-v0.77.0.official.schema.json');
const LOCAL = join(testFixtures, 'validate');

function corpus(): { name: string; path: string }[] {
  const files: { name: string; path: string }[] = [];
  const add = (dir: string, lockDir: string) => {
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.toml')))
      if (!files.some((x) => x.name === `manifests/${f}`)) files.push({ name: `manifests/${f}`, path: join(dir, f) });
    for (const d of readdirSync(lockDir).filter((d) => existsSync(join(lockDir, d, 'pixi.toml'))))
      if (!files.some((x) => x.name === `locks/${d}/pixi.toml`))
        files.push({ name: `locks/${d}/pixi.toml`, path: join(lockDir, d, 'pixi.toml') });
  };
  add(join(LOCAL, 'manifests'), join(LOCAL, 'locks'));
  if (hasShared) add(join(sharedFixtures, 'pixi', 'manifests'), join(sharedFixtures, 'pixi', 'locks'));
  else console.log("schema agreement: ../shared/fixtures is absent; the repository's own fixtures only");
  return files;
}

test('our validator agrees with the official pixi schema on every real manifest', async () => {
  const official = JSON.parse(readFileSync(OFFICIAL_SCHEMA, 'utf8'));
  const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
  addFormats(ajv);
  const validateOfficial = ajv.compile(official);
  const files = corpus();
  if (hasShared) assert.ok(files.length >= 26, `expected the 20 manifests and 6 lock pairs, found ${files.length}`);
  else assert.ok(files.length >= 7, `expected the repository's own fixtures, found ${files.length}`);
  const disagreements: string[] = [];
  for (const file of files) {
    const text = readFileSync(file.path, 'utf8');
    const officialOk = validateOfficial(parse(text)) as boolean;
    const ours = await validateManifestSource(text, file.name);
    const known = KNOWN_DIFFERENCES[file.name];
    if (known) {
      assert.is(
        officialOk,
        known.official,
        `${file.name}: the official schema changed its mind; update KNOWN_DIFFERENCES`,
      );
      assert.is(ours.ok, known.ours, `${file.name}: ${ours.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    if (officialOk !== ours.ok) {
      disagreements.push(
        `${file.name}: official ${officialOk ? 'valid' : 'invalid'}, ours ${ours.ok ? 'valid' : `invalid (${ours.errors.map((e) => `${e.rule} ${e.message}`).join('; ')})`}`,
      );
    }
  }
  assert.equal(disagreements, []);
});

test('each case where pixi and the official schema differ is decided as pixi does', async () => {
  const official = JSON.parse(readFileSync(OFFICIAL_SCHEMA, 'utf8'));
  const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
  addFormats(ajv);
  const validateOfficial = ajv.compile(official);
  const base = '[workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n';
  // officialAccepts records what pixi.md §a.5 measured; pixiAccepts is what pixi does and we must do.
  const cases: { name: string; toml: string; pixiAccepts: boolean; officialAccepts: boolean; rule?: string }[] = [
    {
      name: 'unknown platform',
      toml: base.replace('"linux-64"', '"linux-65"'),
      pixiAccepts: false,
      officialAccepts: true,
      rule: 'manifest/unknown-platform',
    },
    {
      name: 'environment name with capitals',
      toml: `${base}[feature.a]\n[environments]\nMyEnv = ["a"]\n`,
      pixiAccepts: false,
      officialAccepts: true,
      rule: 'manifest/environment-name',
    },
    {
      name: 'task name with a space',
      toml: `${base}[tasks]\n"bad name" = "echo"\n`,
      // pixi reads any task name (pixi_manifest task.rs: TaskName's FromStr is Infallible); its
      // docs say no spaces: a warning.
      pixiAccepts: true,
      officialAccepts: true,
      rule: 'manifest/task-name',
    },
    {
      name: 'undefined feature',
      toml: `${base}[environments]\nfoo = ["nope"]\n`,
      pixiAccepts: false,
      officialAccepts: true,
      rule: 'manifest/undefined-feature',
    },
    {
      name: 'depends-on a missing task',
      toml: `${base}[tasks]\na = { cmd = "echo", depends-on = ["nope"] }\n`,
      // pixi loads it; `pixi run a` fails (pixi_task/src/task_graph.rs:485-486): a warning.
      pixiAccepts: true,
      officialAccepts: true,
      rule: 'manifest/missing-task',
    },
    {
      name: 'empty activation env value',
      toml: `${base}[activation.env]\nEMPTY = ""\n`,
      pixiAccepts: true,
      officialAccepts: false,
    },
    {
      name: 'deprecated depends_on (warning only)',
      toml: `${base}[tasks]\nb = "echo"\na = { cmd = "echo", depends_on = ["b"] }\n`,
      pixiAccepts: true,
      officialAccepts: true,
      rule: 'manifest/deprecated-key',
    },
  ];
  for (const c of cases) {
    const data = parse(c.toml);
    const ours = await validateManifestSource(c.toml);
    assert.is(ours.ok, c.pixiAccepts, `${c.name}: ours ${JSON.stringify(ours.errors)}`);
    assert.is(validateOfficial(data) as boolean, c.officialAccepts, `${c.name}: the official schema's answer changed`);
    if (c.rule)
      assert.ok(
        [...ours.errors, ...ours.warnings].some((f) => f.rule === c.rule),
        `${c.name}: expected ${c.rule}, got ${JSON.stringify([...ours.errors, ...ours.warnings].map((f) => f.rule))}`,
      );
  }
});

test.run();
