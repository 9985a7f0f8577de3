// The registry client's auth handshake and error mapping. The Basic-auth and open cases run
// against the real registries in docker.test.ts; the Bearer (token service) handshake that
// ghcr.io uses is exercised here against a small in-process server that speaks it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../../scripts/lib/errors.ts';
import { MANIFEST_TYPES, RegistryClient, registryBaseUrl } from '../../scripts/lib/image/registry.ts';

const DIGEST = 'sha256:' + 'c'.repeat(64);
let server: Server;
let port: number;
const seen: { accept?: string; authorization?: string; scope?: string }[] = [];

test.before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1`);
    seen.push({
      accept: req.headers.accept,
      authorization: req.headers.authorization,
      scope: url.searchParams.get('scope') ?? undefined,
    });
    if (url.pathname === '/token') {
      const ok = req.headers.authorization === `Basic ${Buffer.from('me:right').toString('base64')}`;
      const anonymous = !req.headers.authorization;
      if (!ok && !anonymous) return res.writeHead(401).end();
      return res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token: ok ? 'pushy' : 'anon' }));
    }
    if (req.headers.authorization !== 'Bearer pushy' && req.headers.authorization !== 'Bearer anon') {
      return res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="test",scope="repository:me/img:pull"`,
        })
        .end();
    }
    if (url.pathname === '/v2/me/img/manifests/there' && req.headers.authorization === 'Bearer pushy') {
      return res.writeHead(200, { 'docker-content-digest': DIGEST, 'content-type': MANIFEST_TYPES[3]! }).end();
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
test.after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const ref = () => ({ registry: `127.0.0.1:${port}`, path: 'me/img' });

test('loopback registries are plain HTTP, others HTTPS', () => {
  assert.is(registryBaseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
  assert.is(registryBaseUrl('localhost:5000'), 'http://localhost:5000');
  assert.is(registryBaseUrl('ghcr.io'), 'https://ghcr.io');
  assert.is(registryBaseUrl('docker.io'), 'https://registry-1.docker.io');
});

test('Bearer: fetches a token with the credentials and finds the tag, sending every manifest Accept type', async () => {
  seen.length = 0;
  const client = new RegistryClient(ref(), { username: 'me', token: 'right' });
  const found = await client.lookupTag('there');
  assert.equal(found, { state: 'found', manifest: { digest: DIGEST, mediaType: MANIFEST_TYPES[3] } });
  const tokenRequest = seen.find((s) => s.scope);
  assert.is(tokenRequest?.scope, 'repository:me/img:pull');
  for (const type of MANIFEST_TYPES) assert.ok(seen[0]!.accept?.includes(type), type);
  assert.equal(await client.lookupTag('absent'), { state: 'missing' });
});

test('Bearer: a wrong token is "rejected the login"', async () => {
  const client = new RegistryClient(ref(), { username: 'me', token: 'wrong' });
  try {
    await client.lookupTag('there');
    assert.unreachable();
  } catch (error) {
    assert.instance(error, UserError);
    assert.match((error as UserError).message, /rejected the login of 'me'/);
    assert.not.match((error as UserError).message, /wrong/);
  }
});

test('a closed port is "unreachable" within the timeout', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const client = new RegistryClient({ registry: `127.0.0.1:${closedPort}`, path: 'me/img' }, null, 3000);
  try {
    await client.lookupTag('x');
    assert.unreachable();
  } catch (error) {
    assert.instance(error, UserError);
    assert.match((error as UserError).message, /registry 127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\)/);
  }
});

test.run();
