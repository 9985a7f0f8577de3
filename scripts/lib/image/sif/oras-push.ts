// A SIF as an `oras://` artifact, the way `apptainer push x.sif oras://…` stores it and
// `apptainer pull oras://…` accepts it: an OCI image manifest whose config is
// application/vnd.sylabs.sif.config.v1+json `{}` and whose one layer is the SIF itself
// (application/vnd.sylabs.sif.layer.v1.sif, digest = the file's sha256, titled with its file
// name). Apptainer's pull refuses any other layer count or media type. The manifest's created
// annotation is the image's, so pushing the same SIF twice gives the same manifest digest.
// Plain distribution API (blob HEAD, POST + monolithic PUT upload, manifest PUT): no oras CLI.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { UserError } from '../../errors.ts';
import type { RegistryClient } from '../registry.ts';

export const SIF_LAYER_TYPE = 'application/vnd.sylabs.sif.layer.v1.sif';
export const SIF_CONFIG_TYPE = 'application/vnd.sylabs.sif.config.v1+json';
export const OCI_MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const EMPTY_CONFIG = Buffer.from('{}');
const EMPTY_CONFIG_DIGEST = `sha256:${createHash('sha256').update(EMPTY_CONFIG).digest('hex')}`;

export interface SifFile {
  path: string;
  fileName: string;
  /** Hex, no prefix. */
  sha256: string;
  size: number;
}

/** The manifest's exact bytes (its digest is what gets pinned). */
export function sifManifest(sif: Omit<SifFile, 'path'>, created: string): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_TYPE,
    config: { mediaType: SIF_CONFIG_TYPE, digest: EMPTY_CONFIG_DIGEST, size: EMPTY_CONFIG.length, data: 'e30=' },
    layers: [
      {
        mediaType: SIF_LAYER_TYPE,
        digest: `sha256:${sif.sha256}`,
        size: sif.size,
        annotations: { 'org.opencontainers.image.title': sif.fileName },
      },
    ],
    annotations: { 'org.opencontainers.image.created': created },
  };
  return Buffer.from(JSON.stringify(manifest), 'utf8');
}

function needsCredentials(registry: RegistryClient, what: string): UserError {
  return new UserError(`registry ${registry.ref.registry} needs credentials to ${what} ${registry.ref.path}`, {
    hint:
      'set REGISTRY_USER and REGISTRY_TOKEN in .env (see .env.example)' +
      (registry.ref.registry === 'ghcr.io' ? ', or GITHUB_ACTOR/GITHUB_TOKEN' : ''),
  });
}

function refused(registry: RegistryClient, what: string, status: number): UserError {
  return new UserError(`registry ${registry.ref.registry} refused ${what} for ${registry.ref.path} (${status})`, {
    hint: 'check that the token may write this repository (ghcr.io: write:packages), then run build-image --sif again',
  });
}

async function hasBlob(registry: RegistryClient, digest: string): Promise<boolean> {
  const response = await registry.request('HEAD', `blobs/${digest}`);
  if (!response) throw needsCredentials(registry, 'read');
  return response.status === 200;
}

/** Upload one blob unless the repository has it: POST for a session, then one monolithic PUT. */
async function pushBlob(
  registry: RegistryClient,
  digest: string,
  size: number,
  body: Buffer | (() => NodeJS.ReadableStream),
): Promise<boolean> {
  if (await hasBlob(registry, digest)) return false;
  const start = await registry.request('POST', 'blobs/uploads/', {
    body: Buffer.alloc(0),
    type: 'application/octet-stream',
    length: 0,
  });
  if (!start) throw needsCredentials(registry, 'push to');
  const location = start.headers.get('location');
  if (start.status !== 202 || !location) throw refused(registry, 'a blob upload', start.status);
  const base = new URL(location, `${registry.baseUrl}/`);
  base.searchParams.set('digest', digest);
  const put = await registry.request('PUT', base.toString(), { body, type: 'application/octet-stream', length: size });
  if (!put) throw needsCredentials(registry, 'push to');
  if (put.status !== 201) throw refused(registry, `the blob ${digest.slice(0, 19)}…`, put.status);
  return true;
}

/** Push the SIF under `tag`; returns the manifest digest the registry serves. */
export async function pushSif(
  registry: RegistryClient,
  tag: string,
  sif: SifFile,
  created: string,
): Promise<{ digest: string; uploaded: boolean }> {
  await pushBlob(registry, EMPTY_CONFIG_DIGEST, EMPTY_CONFIG.length, EMPTY_CONFIG);
  const uploaded = await pushBlob(registry, `sha256:${sif.sha256}`, sif.size, () => createReadStream(sif.path));
  const manifest = sifManifest(sif, created);
  const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
  const put = await registry.request('PUT', `manifests/${tag}`, { body: manifest, type: OCI_MANIFEST_TYPE });
  if (!put) throw needsCredentials(registry, 'push to');
  if (put.status !== 201) throw refused(registry, `the manifest ${tag}`, put.status);
  const served = put.headers.get('docker-content-digest');
  if (served && served !== digest) {
    throw new UserError(`registry ${registry.ref.registry} stored the SIF manifest as ${served}, not ${digest}`, {
      hint: 'this registry rewrites OCI manifests; Apptainer could not pull the artifact by digest from it',
    });
  }
  return { digest, uploaded };
}

export type SifLookup =
  | { state: 'found'; digest: string; sha256: string; size: number; fileName: string }
  | { state: 'missing' }
  | { state: 'needs-credentials' }
  /** The tag names something that is not a SIF artifact Apptainer would pull. */
  | { state: 'not-sif'; reason: string };

/** What the registry has under `tag`: a one-layer SIF artifact, or not. */
export async function lookupSif(registry: RegistryClient, tag: string): Promise<SifLookup> {
  const response = await registry.request('GET', `manifests/${tag}`);
  if (!response) return { state: 'needs-credentials' };
  if (response.status === 404 || response.status === 403) return { state: 'missing' };
  if (!response.ok) throw refused(registry, `the manifest ${tag}`, response.status);
  const digest = `sha256:${createHash('sha256').update(response.body).digest('hex')}`;
  let body: {
    config?: { mediaType?: string };
    layers?: { mediaType?: string; digest?: string; size?: number; annotations?: Record<string, string> }[];
  };
  try {
    body = response.json() as typeof body;
  } catch {
    return { state: 'not-sif', reason: 'its manifest is not JSON' };
  }
  const layers = body.layers ?? [];
  const layer = layers[0];
  if (layers.length !== 1 || layer?.mediaType !== SIF_LAYER_TYPE || !/^sha256:[0-9a-f]{64}$/.test(layer.digest ?? ''))
    return { state: 'not-sif', reason: `${layers.length} layer(s), ${layer?.mediaType ?? 'no media type'}` };
  return {
    state: 'found',
    digest,
    sha256: layer.digest!.slice(7),
    size: layer.size ?? 0,
    fileName: layer.annotations?.['org.opencontainers.image.title'] ?? '',
  };
}
