// What .pixi-condor/image.json carries besides the digest: the --build-arg overrides (part of
// the content hash, so submit must apply them to recompute it) and the digest of each input
// file (so submit can name the one that changed). build-image runs for real, on its up-to-date
// path, against an in-process registry stand-in that has every tag. No Docker needed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { computeContentHash } from '../../scripts/lib/image/content-hash.ts';
import { readImageRecord, type ImageRecord } from '../../scripts/lib/image-record.ts';
import { UserError } from '../../scripts/lib/errors.ts';
import { readManifest, templateConfig } from '../../scripts/lib/workspace.ts';
import { makeWorkspace, type TestWorkspace } from './workspace.ts';

const DIGEST = 'sha256:' + 'e'.repeat(64);
let registry: Server;
let address: string;
let ws: TestWorkspace;

test.before(async () => {
  registry = createServer((req, res) => {
    if (!/\/manifests\//.test(req.url ?? '')) return res.writeHead(404).end();
    const body = JSON.stringify({ schemaVersion: 2, config: { size: 100 }, layers: [{ size: 900 }] });
    res
      .writeHead(200, {
        'docker-content-digest': DIGEST,
        'content-type': 'application/vnd.docker.distribution.manifest.v2+json',
      })
      .end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
});
test.after(() => new Promise<void>((resolve) => registry.close(() => resolve())));
test.before.each(() => {
  ws = makeWorkspace(`${address}/test/record`);
});
test.after.each(() => ws.remove());

const sha256 = (path: string) => `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;

async function recordAfter(args: string[]): Promise<ImageRecord> {
  const result = await ws.buildImage(args);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /^up to date: /m);
  return JSON.parse(ws.read('.pixi-condor/image.json')) as ImageRecord;
}

test('the record holds the --build-arg overrides and the digest of every input file', async () => {
  const saved = await recordAfter([
    '--build-arg',
    'CUDA_VERSION=12.4',
    '--build-arg',
    'FINAL_IMAGE=example.org/base:noble',
  ]);
  assert.is(saved.digest, DIGEST);
  assert.equal(saved.buildArgOverrides, { CUDA_VERSION: '12.4', FINAL_IMAGE: 'example.org/base:noble' });
  assert.equal(saved.inputDigests, {
    Dockerfile: sha256(join(ws.root, 'Dockerfile')),
    'pixi.lock': sha256(join(ws.root, 'pixi.lock')),
    'pixi.toml': sha256(join(ws.root, 'pixi.toml')),
  });
  // With the overrides applied over pixi.toml's config (as submit does), the hash is the recorded one.
  const config = templateConfig((await readManifest(ws.root)).data);
  const again = await computeContentHash(ws.root, {
    ...config,
    buildArgs: { ...config.buildArgs, ...saved.buildArgOverrides },
  });
  assert.is(again.hash, saved.contentHash);
  assert.equal(again.digests, saved.inputDigests);
});

test('no overrides is an empty object; a changed input changes its digest only', async () => {
  const before = await recordAfter([]);
  assert.equal(before.buildArgOverrides, {});
  ws.write('pixi.lock', ws.read('pixi.lock') + '# re-locked\n');
  const after = await recordAfter([]);
  const changed = Object.keys(after.inputDigests!).filter(
    (file) => after.inputDigests![file] !== before.inputDigests![file],
  );
  assert.equal(changed, ['pixi.lock']);
});

test('--force never moves a content tag the registry has: it refuses, builds and pushes nothing', async () => {
  const before = await recordAfter([]);
  const result = await ws.buildImage(['--force']);
  assert.is(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(
      `^error: --force would point ${address.replace(/\./g, '\\.')}/test/record:${before.contentTag} at a new build, and a content tag names one image forever \\(it names ${DIGEST}\\)$`,
      'm',
    ),
  );
  assert.match(result.stderr, /^hint: .*--force --no-push/m);
  assert.not.match(result.stderr, /^(build|push) /m, 'nothing built or pushed');
  assert.equal(JSON.parse(ws.read('.pixi-condor/image.json')).digest, before.digest);
});

test('.pixi-condor/image.json a folder: reading and writing it are one-line errors', async () => {
  mkdirSync(join(ws.root, '.pixi-condor', 'image.json'), { recursive: true });
  try {
    await readImageRecord(ws.root);
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, UserError);
    assert.is((error as UserError).message, '.pixi-condor/image.json is a folder, not a file');
    assert.is((error as UserError).exitCode, 2);
  }
  const result = await ws.buildImage([]);
  assert.is(result.code, 1, result.stderr);
  assert.match(result.stderr, /^error: \.pixi-condor\/image\.json is a folder, not a file\nhint: remove the folder/m);
  assert.not.match(result.stderr, /\n\s+at /);
});

test.run();
