// The content hash covers exactly what decides the image: the Dockerfile, build args, platform
// and the context files its COPY/ADD lines take after .dockerignore, and nothing else.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeContentHash } from '../../scripts/lib/image/content-hash.ts';
import { UserError } from '../../scripts/lib/errors.ts';
import { CONFIG_DEFAULTS, type TemplateConfig } from '../../scripts/lib/workspace.ts';
import { makeWorkspace, type TestWorkspace } from './workspace.ts';

const config = (over: Partial<TemplateConfig> = {}): TemplateConfig => ({ ...CONFIG_DEFAULTS, buildArgs: {}, ...over });
let ws: TestWorkspace;

test.before.each(() => {
  ws = makeWorkspace('127.0.0.1:5000/unit/hash', { git: false });
});
test.after.each(() => ws.remove());

async function expectUserError(promise: Promise<unknown>, pattern: RegExp): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, UserError);
    assert.match((error as UserError).message, pattern);
    return error as UserError;
  }
  assert.unreachable(`expected a UserError matching ${pattern}`);
  throw new Error('unreachable');
}

test('the template image depends on pixi.toml and pixi.lock only', async () => {
  const { hash, files } = await computeContentHash(ws.root, config());
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.equal(files, ['pixi.lock', 'pixi.toml']);
  assert.is((await computeContentHash(ws.root, config())).hash, hash, 'same inputs, same hash');
});

test('each input file has its sha256: the Dockerfile and the copied files, nothing else', async () => {
  const sha = (file: string) =>
    `sha256:${createHash('sha256')
      .update(readFileSync(join(ws.root, file)))
      .digest('hex')}`;
  const { digests } = await computeContentHash(ws.root, config());
  assert.equal(digests, {
    Dockerfile: sha('Dockerfile'),
    'pixi.lock': sha('pixi.lock'),
    'pixi.toml': sha('pixi.toml'),
  });
  ws.write('pixi.toml', ws.read('pixi.toml') + '\n# touched\n');
  const after = (await computeContentHash(ws.root, config())).digests;
  assert.is(after['pixi.toml'], sha('pixi.toml'));
  assert.is.not(after['pixi.toml'], digests['pixi.toml']);
  assert.is(after['pixi.lock'], digests['pixi.lock']);
});

test('job code, README and .env do not change it', async () => {
  const before = (await computeContentHash(ws.root, config())).hash;
  ws.write('job/main.py', ws.read('job/main.py') + '\n# tuned the learning rate\n');
  ws.write('README.md', 'notes');
  ws.write('.env', 'REGISTRY_TOKEN=abcdef\n');
  assert.is((await computeContentHash(ws.root, config())).hash, before);
});

test('the lock, the manifest, the Dockerfile, build args, environment and platform each change it', async () => {
  const seen = new Set([(await computeContentHash(ws.root, config())).hash]);
  const expectNew = async (what: string, cfg = config()) => {
    const { hash } = await computeContentHash(ws.root, cfg);
    assert.not.ok(seen.has(hash), `${what} must change the hash`);
    seen.add(hash);
  };
  ws.write('pixi.lock', ws.read('pixi.lock') + '# touched\n');
  await expectNew('pixi.lock');
  ws.write('pixi.toml', ws.read('pixi.toml') + '\n# touched\n');
  await expectNew('pixi.toml');
  ws.write('Dockerfile', ws.read('Dockerfile') + '\n# touched\n');
  await expectNew('Dockerfile');
  await expectNew('a build arg', config({ buildArgs: { FINAL_IMAGE: 'example.org/base:noble' } }));
  await expectNew('the environment', config({ environment: 'cpu' }));
  await expectNew('the platform', config({ platform: 'linux/arm64' }));
  // Passing a default explicitly builds the same image: same hash.
  const explicit = await computeContentHash(ws.root, config({ buildArgs: { CUDA_VERSION: '12.9' } }));
  assert.is(explicit.hash, (await computeContentHash(ws.root, config())).hash);
});

test('the executable bit of a copied file counts', async () => {
  const before = (await computeContentHash(ws.root, config())).hash;
  chmodSync(join(ws.root, 'pixi.lock'), 0o755);
  assert.is.not((await computeContentHash(ws.root, config())).hash, before);
});

test('a missing COPY source is a one-line error at its Dockerfile line', async () => {
  ws.write(
    'Dockerfile',
    ws.read('Dockerfile').replace('COPY pixi.toml pixi.lock ./', 'COPY pixi.toml pixi.lock environment.yml ./'),
  );
  const line =
    ws
      .read('Dockerfile')
      .split('\n')
      .findIndex((l) => l.includes('environment.yml')) + 1;
  const error = await expectUserError(
    computeContentHash(ws.root, config()),
    /COPY source 'environment.yml' matches no file in the build context/,
  );
  assert.is(error.file, 'Dockerfile');
  assert.is(error.line, line);
  assert.match(error.hint ?? '', /environment\.yml/);
});

test('a source .dockerignore leaves out is named as such', async () => {
  ws.write('Dockerfile', ws.read('Dockerfile') + '\nCOPY job/main.py /app/job/main.py\n');
  const error = await expectUserError(
    computeContentHash(ws.root, config()),
    /'job\/main.py' is excluded by \.dockerignore/,
  );
  assert.match(error.hint ?? '', /!job\/main\.py/);
  ws.write('.dockerignore', ws.read('.dockerignore') + '!job/main.py\n');
  const { files } = await computeContentHash(ws.root, config());
  assert.equal(files, ['job/main.py', 'pixi.lock', 'pixi.toml']);
});

test('folders, wildcards and ARG references in sources; --from, heredocs and URLs are not context files', async () => {
  mkdirSync(join(ws.root, 'conf/sub'), { recursive: true });
  writeFileSync(join(ws.root, 'conf/a.yml'), 'a');
  writeFileSync(join(ws.root, 'conf/sub/b.yml'), 'b');
  writeFileSync(join(ws.root, 'conf/sub/skip.tmp'), 'x');
  writeFileSync(join(ws.root, 'extra-1.txt'), '1');
  writeFileSync(join(ws.root, 'extra-2.txt'), '2');
  writeFileSync(join(ws.root, '.dockerignore'), '.env\n**/*.tmp\n');
  ws.write(
    'Dockerfile',
    [
      'ARG CONF_DIR=conf',
      'FROM scratch AS one',
      'ARG CONF_DIR',
      'COPY ${CONF_DIR} /conf',
      'COPY extra-?.txt /',
      'ADD https://example.org/x.tar.gz /x',
      'COPY <<EOF /hello',
      'hi',
      'EOF',
      'FROM scratch',
      'COPY --from=one /conf /conf',
    ].join('\n'),
  );
  const { files } = await computeContentHash(ws.root, config());
  assert.equal(files, ['conf/a.yml', 'conf/sub/b.yml', 'extra-1.txt', 'extra-2.txt']);
  await expectUserError(
    computeContentHash(ws.root, config({ buildArgs: { CONF_DIR: 'nowhere' } })),
    /'nowhere' matches no file/,
  );
});

test('a build arg the Dockerfile does not declare, and a source outside the context, are refused', async () => {
  await expectUserError(
    computeContentHash(ws.root, config({ buildArgs: { BASE_IMAGE: 'x' } })),
    /build arg BASE_IMAGE is not an ARG in Dockerfile/,
  );
  ws.write('Dockerfile', 'FROM scratch\nCOPY ../secret /x\n');
  await expectUserError(computeContentHash(ws.root, config()), /outside the build context/);
});

test.run();
