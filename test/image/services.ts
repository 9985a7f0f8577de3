// The real parts the Docker tests use: the engine and registries .ci/services.sh starts, the
// test base image (busybox + stand-in pixi), and extra registry instances a test may start and
// stop itself. Every wait here is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import { runCommand } from '../helpers/process.ts';

export const TEST_BASE_IMAGE = 'localhost/pixi-condor-test-pixi:busybox';

/** Why the Docker tests cannot run here, or null when they can. */
export async function dockerSkipReason(): Promise<string | null> {
  if (!process.env.PIXI_CONDOR_TEST_DOCKER)
    return 'PIXI_CONDOR_TEST_DOCKER is not set (source .ci/services.sh to run them)';
  const version = await runCommand('docker', ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 20_000 });
  if (version.code !== 0) return `docker is unreachable: ${version.stderr.trim().split('\n').pop() ?? version.code}`;
  for (const name of ['PIXI_CONDOR_TEST_REGISTRY', 'PIXI_CONDOR_TEST_AUTH_REGISTRY', 'PIXI_CONDOR_TEST_BUSYBOX']) {
    if (!process.env[name]) return `${name} is not set (source .ci/services.sh)`;
  }
  return null;
}

/** Build the base image the template's Dockerfile gets as BUILD_IMAGE and FINAL_IMAGE. */
export async function buildTestBaseImage(): Promise<void> {
  const result = await runCommand(
    'docker',
    [
      'build',
      '-q',
      '--build-arg',
      `BUSYBOX=${process.env.PIXI_CONDOR_TEST_BUSYBOX}`,
      '-t',
      TEST_BASE_IMAGE,
      join(repoRoot, 'test/image/base-image'),
    ],
    { timeoutMs: 60_000 },
  );
  if (result.code !== 0) throw new Error(`test base image build failed: ${result.stderr}`);
}

export const baseImageArgs = [
  '--build-arg',
  `BUILD_IMAGE=${TEST_BASE_IMAGE}`,
  '--build-arg',
  `FINAL_IMAGE=${TEST_BASE_IMAGE}`,
];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Manifest digest of `repo:tag` as the registry serves it (HEAD with the v2/OCI Accept types), or null. */
export async function registryDigest(
  registry: string,
  path: string,
  tag: string,
  auth?: { user: string; password: string },
): Promise<string | null> {
  const headers: Record<string, string> = {
    accept:
      'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json',
  };
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  const response = await fetch(`http://${registry}/v2/${path}/manifests/${tag}`, {
    method: 'HEAD',
    headers,
    signal: AbortSignal.timeout(10_000),
  });
  return response.ok ? response.headers.get('docker-content-digest') : null;
}

/** A docker-registry instance of our own on a free loopback port, to stop at will. */
export class ExtraRegistry {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'pixi-condor-registry-'));
  address = '';

  async start(options: { readOnly?: boolean } = {}): Promise<void> {
    const port = await freePort();
    this.address = `127.0.0.1:${port}`;
    const config = [
      'version: 0.1',
      'log: {level: error}',
      'storage:',
      `  filesystem: {rootdirectory: ${join(this.dir, 'data')}}`,
      ...(options.readOnly ? ['  maintenance: {readonly: {enabled: true}}'] : []),
      `http: {addr: ${this.address}}`,
    ].join('\n');
    writeFileSync(join(this.dir, 'config.yml'), config + '\n');
    this.child = spawn('docker-registry', ['serve', join(this.dir, 'config.yml')], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const ok = await fetch(`http://${this.address}/v2/`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.stop();
    throw new Error(`docker-registry did not answer on ${this.address} within 10 s`);
  }

  /** Stop it by its PID and wait (bounded) until it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

type BasicAuth = { user: string; password: string };

const basicHeader = (auth: BasicAuth) => `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;

/**
 * Put a small image (one config blob, one layer blob; `seed` makes it unique) under `tag`
 * through the distribution API, without an engine. Returns the manifest digest.
 */
export async function putTestImage(
  registry: string,
  path: string,
  tag: string,
  seed: string,
  auth?: BasicAuth,
): Promise<string> {
  const headers: Record<string, string> = auth ? { authorization: basicHeader(auth) } : {};
  const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const upload = async (bytes: Buffer): Promise<{ digest: string; size: number }> => {
    const digest = sha(bytes);
    const start = await fetch(`http://${registry}/v2/${path}/blobs/uploads/`, {
      method: 'POST',
      headers,
      signal: AbortSignal.timeout(10_000),
    });
    if (start.status !== 202) throw new Error(`blob upload start: ${start.status}`);
    const location = new URL(start.headers.get('location')!, `http://${registry}`);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(bytes),
      signal: AbortSignal.timeout(10_000),
    });
    if (put.status !== 201) throw new Error(`blob upload: ${put.status}`);
    return { digest, size: bytes.length };
  };
  const layer = await upload(Buffer.from(`layer ${seed}`));
  const config = await upload(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
        config: { Labels: { seed } },
      }),
    ),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...layer }],
    }),
  );
  const response = await fetch(`http://${registry}/v2/${path}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' },
    body: new Uint8Array(manifest),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 201) throw new Error(`manifest upload: ${response.status} ${await response.text()}`);
  return sha(manifest);
}

/**
 * A registry anyone may read but only credentials may write, as a public ghcr.io package is:
 * a loopback proxy in front of the htpasswd registry that adds the credentials to reads
 * (GET, HEAD) that come without any, and passes everything else through as it came.
 */
export class PublicReadProxy {
  private server: Server | null = null;
  address = '';

  private readonly upstream: string;
  private readonly auth: BasicAuth;

  constructor(upstream: string, auth: BasicAuth) {
    this.upstream = upstream;
    this.auth = auth;
  }

  async start(): Promise<void> {
    const [host, port] = [this.upstream.replace(/:\d+$/, ''), Number(this.upstream.split(':').pop())];
    this.server = createHttpServer((req, res) => {
      const headers = { ...req.headers, host: this.upstream };
      if ((req.method === 'GET' || req.method === 'HEAD') && !headers.authorization)
        headers.authorization = basicHeader(this.auth);
      const forward = httpRequest(
        { host, port, method: req.method, path: req.url, headers, timeout: 10_000 },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.writeHead(502).end());
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.address = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
