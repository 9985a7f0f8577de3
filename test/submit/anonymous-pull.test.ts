// Preflight's "can the pinned image be pulled without credentials?" (execute points pull
// anonymously; ghcr.io makes a new package private). Against the local registries: the open
// one (127.0.0.1:5000) serves anonymously, the htpasswd one (127.0.0.1:5001) does not; a
// ghcr.io-like Bearer registry on a loopback port that gives no anonymous access; a closed
// port is "unknown" (a warning), never a refused submit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makePublicHint, probeAnonymousPull, splitReference } from '../../scripts/lib/submit/anonymous-pull.ts';
import { runScript, bound } from '../helpers/process.ts';
import { makeWorkspace } from '../condor/workspace.ts';
import { putTestImage } from '../image/services.ts';
import { CLOSED_REGISTRY, pointImageAt } from './helpers.ts';

const open = process.env.PIXI_CONDOR_TEST_REGISTRY;
const auth = process.env.PIXI_CONDOR_TEST_AUTH_REGISTRY;
const credentials = {
  user: process.env.PIXI_CONDOR_TEST_AUTH_USER ?? 'ciuser',
  password: process.env.PIXI_CONDOR_TEST_AUTH_PASSWORD ?? 'cipass',
};
const registrySkip =
  !open || !auth
    ? 'PIXI_CONDOR_TEST_REGISTRY or PIXI_CONDOR_TEST_AUTH_REGISTRY is not set (source .ci/services.sh)'
    : null;
if (registrySkip) console.log(`submit/anonymous-pull.test.ts: skipping the local-registry tests: ${registrySkip}`);
const registryTest = registrySkip ? test.skip : test;
const unique = `faults-pull-${process.pid}-${Date.now().toString(36)}`;

test('references split into registry, repository and digest or tag', () => {
  assert.equal(splitReference('ghcr.io/alice/pixi-condor@sha256:ab').ref, {
    registry: 'ghcr.io',
    path: 'alice/pixi-condor',
  });
  assert.is(splitReference('ghcr.io/alice/pixi-condor@sha256:ab').target, 'sha256:ab');
  assert.is(splitReference('127.0.0.1:5000/a/b:tag').target, 'tag');
  assert.is(splitReference('127.0.0.1:5000/a/b').target, 'latest');
});

test('the hint says how to make a ghcr.io package public', () => {
  assert.match(
    makePublicHint('ghcr.io/alice/pixi-condor@sha256:ab'),
    /https:\/\/github\.com\/users\/alice\/packages\/container\/pixi-condor\/settings/,
  );
  assert.match(makePublicHint('ghcr.io/alice/pixi-condor@sha256:ab'), /Change visibility" → Public/);
});

test('a closed port is "unknown", within the timeout', async () => {
  const started = Date.now();
  const answer = await probeAnonymousPull(`${CLOSED_REGISTRY}/a/b@sha256:${'0'.repeat(64)}`, 2000);
  assert.is(answer.state, 'unknown');
  // The probe's own 2 s limit holds (a closed port answers at once): stretched on a busy machine.
  assert.ok(Date.now() - started < bound(5000));
});

/** A ghcr.io-like registry: Bearer auth; the token service refuses anonymous readers (or the manifest does). */
async function bearerRegistry(refuse: 'token' | 'manifest'): Promise<{ address: string; server: Server }> {
  const server = createServer((req, res) => {
    const base = `http://${req.headers.host}`;
    if (req.url?.startsWith('/token')) {
      if (refuse === 'token') return void res.writeHead(401, { 'content-type': 'application/json' }).end('{}');
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"anonymous"}');
    }
    if (req.headers.authorization === 'Bearer anonymous' && refuse === 'manifest')
      return void res.writeHead(403, { 'content-type': 'application/json' }).end('{"errors":[{"code":"DENIED"}]}');
    res
      .writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="test",scope="repository:a/b:pull"` })
      .end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

for (const refuse of ['token', 'manifest'] as const) {
  test(`a Bearer registry that refuses anonymous readers (${refuse}) is "not pullable"`, async () => {
    const { address, server } = await bearerRegistry(refuse);
    try {
      const answer = await probeAnonymousPull(`${address}/a/b@sha256:${'1'.repeat(64)}`, 5000);
      assert.is(answer.state, 'not-pullable', JSON.stringify(answer));
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
}

registryTest(
  'the open registry serves the image anonymously: "pullable"; a digest it does not have is not',
  async () => {
    const digest = await putTestImage(open!, `${unique}/open`, 'v1', unique);
    assert.equal(await probeAnonymousPull(`${open}/${unique}/open@${digest}`), { state: 'pullable' });
    const absent = await probeAnonymousPull(`${open}/${unique}/open@sha256:${'2'.repeat(64)}`);
    assert.is(absent.state, 'not-pullable');
  },
);

registryTest('the htpasswd registry wants credentials: "not pullable", though the image is there', async () => {
  const digest = await putTestImage(auth!, `${unique}/private`, 'v1', unique, credentials);
  const answer = await probeAnonymousPull(`${auth}/${unique}/private@${digest}`);
  assert.is(answer.state, 'not-pullable');
  assert.match((answer as { reason: string }).reason, /wants credentials/);
});

registryTest(
  'submit --dry-run: ✓ for the open registry, ✗ with the fix for the private one, ! when unreachable',
  async () => {
    const ws = await makeWorkspace();
    try {
      const publicDigest = await putTestImage(open!, `${unique}/pub`, 'v1', `${unique}-pub`);
      await pointImageAt(ws, `${open}/${unique}/pub`, publicDigest);
      const ok = await runScript('submit.ts', ['--dry-run'], { env: ws.env, timeoutMs: 30_000 });
      assert.is(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /✓ image can be pulled without credentials/);

      const privateDigest = await putTestImage(auth!, `${unique}/priv`, 'v1', `${unique}-priv`, credentials);
      await pointImageAt(ws, `${auth}/${unique}/priv`, privateDigest);
      const refused = await runScript('submit.ts', ['--dry-run'], { env: ws.env, timeoutMs: 30_000 });
      assert.is(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(
        refused.stdout,
        /✗ image can be pulled without credentials — 127\.0\.0\.1:\d+ wants credentials to read/,
      );
      assert.match(
        refused.stdout,
        /hint: make 127\.0\.0\.1:\d+\/\S+ readable without credentials: execute points pull it anonymously/,
      );

      await pointImageAt(ws, `${CLOSED_REGISTRY}/${unique}/pub`, publicDigest);
      const unknown = await runScript('submit.ts', ['--dry-run'], { env: ws.env, timeoutMs: 30_000 });
      assert.is(unknown.code, 0, unknown.stdout + unknown.stderr);
      assert.match(unknown.stdout, /! image can be pulled without credentials — could not ask the registry/);
    } finally {
      ws.cleanup();
    }
  },
);

test.run();
