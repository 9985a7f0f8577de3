// One manifest reader for every script (scripts/lib/workspace.ts): what pixi refuses to load as
// TOML — invalid UTF-8, a syntax error, a key defined twice — is an error with its position, and
// reads the same in `validate` (a finding) as in build-image and submit (a UserError).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../scripts/lib/errors.ts';
import { validateManifestSource, validateWorkspace } from '../../scripts/lib/validate/index.ts';
import { readManifest } from '../../scripts/lib/workspace.ts';
import { tempWorkspace } from './helpers.ts';

const HEAD = '[workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n';

async function readError(text: string | Uint8Array): Promise<UserError> {
  const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-toml-'));
  try {
    writeFileSync(join(dir, 'pixi.toml'), text);
    await readManifest(dir);
  } catch (error) {
    assert.instance(error, UserError);
    return error as UserError;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error('readManifest accepted it');
}

test('a duplicate key names the key and its table, as pixi (toml_edit) words it', async () => {
  const report = await validateManifestSource(`${HEAD}[dependencies]\nnumpy = "1"\nnumpy = "2"\n`);
  assert.is(report.errors.length, 1);
  const [finding] = report.errors;
  assert.is(finding!.rule, 'toml/duplicate-key');
  assert.is(finding!.message, 'duplicate key `numpy` in table `dependencies`');
  assert.equal([finding!.line, finding!.column], [6, 1]);
  const root = await validateManifestSource('name = "a"\nname = "b"\n');
  assert.is(root.errors[0]!.message, 'duplicate key `name` in document root');
  const dotted = await validateManifestSource(
    `${HEAD}[feature.gpu]\ndependencies.torch = "*"\ndependencies.torch = "2"\n`,
  );
  assert.is(dotted.errors[0]!.message, 'duplicate key `torch` in table `feature.gpu.dependencies`');
  const table = await validateManifestSource(`${HEAD}[tasks]\na = "x"\n[tasks]\nb = "y"\n`);
  assert.is(table.errors[0]!.message, 'duplicate key `tasks` in document root');
});

test('one TOML error reads the same in validate and in build-image/submit (one reader, one message)', async () => {
  const cases = [`${HEAD}[dependencies]\nnumpy = "1"\nnumpy = "2"\n`, `${HEAD}name = "unclosed\n`, `${HEAD}[tasks\n`];
  for (const text of cases) {
    const [finding] = (await validateManifestSource(text)).errors;
    const error = await readError(text);
    assert.equal(
      [error.message, error.hint, error.line, error.column, error.exitCode],
      [finding!.message, finding!.hint, finding!.line, finding!.column, 1],
      text,
    );
  }
});

test('invalid UTF-8 in pixi.toml is an error at the bad byte (TOML is UTF-8; pixi refuses it)', async () => {
  const bytes = Buffer.concat([Buffer.from(`${HEAD}description = "caf`), Buffer.from([0xe9]), Buffer.from('"\n')]);
  const ws = tempWorkspace();
  try {
    writeFileSync(join(ws.root, 'pixi.toml'), bytes);
    const report = await validateWorkspace({ root: ws.root });
    assert.is(report.ok, false);
    const [finding] = report.errors;
    assert.is(finding!.rule, 'toml/encoding');
    assert.equal([finding!.line, finding!.column], [4, 19]);
    assert.match(finding!.message, /not valid UTF-8 \(byte 0xe9\)/);
  } finally {
    ws.remove();
  }
  const error = await readError(bytes);
  assert.match(error.located, /^pixi\.toml:4:19: the file is not valid UTF-8/);
});

test('a manifest that is not a regular file or is huge is refused before it is read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-toml-'));
  try {
    writeFileSync(join(dir, 'pixi.toml'), Buffer.alloc(9 * 1024 * 1024, 0x20));
    await readManifest(dir).then(
      () => assert.unreachable(),
      (error: UserError) => assert.match(error.message, /far smaller/),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
