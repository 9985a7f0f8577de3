// A small client for the OCI distribution API, enough to ask "does this tag exist, and what
// is its digest and size?" without an engine or a pull: a manifest HEAD/GET with every Accept
// header a pushed image may carry (without them registry 2.x answers with a converted schema1
// manifest and a different digest), anonymous first, then Basic or Bearer auth as the
// registry's WWW-Authenticate asks.
import { UserError } from '../errors.ts';
import type { Credentials } from './credentials.ts';
import { HttpError, httpRequest, type HttpRequest, type HttpResponse } from './http.ts';
import type { ImageRef } from './naming.ts';

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

const INDEX_TYPES = new Set(MANIFEST_TYPES.slice(0, 2));

export interface ManifestInfo {
  digest: string;
  mediaType: string;
}

/** How the registry answered a tag lookup. */
export type TagLookup =
  /** sizeBytes: the compressed image size, when the lookup asked for it and the registry said. */
  | { state: 'found'; manifest: ManifestInfo; sizeBytes?: number }
  | { state: 'missing' }
  /** The registry wants credentials and none are configured. */
  | { state: 'needs-credentials' };

/** Loopback registries speak plain HTTP, as docker and the local test registries assume. */
export function registryBaseUrl(registry: string): string {
  const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const loopback = name === 'localhost' || /^127\./.test(name) || name === '::1';
  return `${loopback ? 'http' : 'https'}://${host}`;
}

function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } | null {
  if (!header) return null;
  const match = /^(\w+)\s*(.*)$/s.exec(header.trim());
  if (!match) return null;
  const params: Record<string, string> = {};
  for (const [, key, quoted, bare] of match[2]!.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g))
    params[key!.toLowerCase()] = quoted ?? bare ?? '';
  return { scheme: match[1]!.toLowerCase(), params };
}

interface ManifestBody {
  mediaType?: string;
  manifests?: { digest: string; platform?: { os?: string; architecture?: string; variant?: string } }[];
  config?: { size?: number };
  layers?: { size?: number }[];
}

export class RegistryClient {
  private authorization: string | null = null;
  /** 401 challenges being answered, by challenge text: lookups sent together share one token request. */
  private readonly answers = new Map<string, Promise<string | null>>();
  private readonly base: string;
  readonly ref: ImageRef;
  /** http(s)://host[:port] of the registry. */
  get baseUrl(): string {
    return this.base;
  }
  private readonly credentials: Credentials | null;
  private readonly timeoutMs: number;

  constructor(ref: ImageRef, credentials: Credentials | null, timeoutMs = 15_000) {
    this.ref = ref;
    this.credentials = credentials;
    this.timeoutMs = timeoutMs;
    this.base = registryBaseUrl(ref.registry);
  }

  private unreachable(cause: unknown): UserError {
    const code = cause instanceof HttpError ? cause.code : String(cause);
    return new UserError(
      `registry ${this.ref.registry} is unreachable (${code === 'TimeoutError' ? `no answer in ${this.timeoutMs / 1000} s` : code})`,
      {
        hint: `check the network and the registry host in [tool.pixi-condor] repository (${this.base})`,
      },
    );
  }

  private rejected(): UserError {
    return new UserError(`registry ${this.ref.registry} rejected the login of '${this.credentials?.username}'`, {
      hint: 'check REGISTRY_USER and REGISTRY_TOKEN in .env (for ghcr.io: a token with write:packages)',
    });
  }

  private async send(url: string, init: Omit<HttpRequest, 'timeoutMs'>): Promise<HttpResponse> {
    try {
      // A streamed upload (a SIF of gigabytes) gets an hour, not a manifest's seconds.
      return await httpRequest(url, { ...init, timeoutMs: init.stream ? 3_600_000 : this.timeoutMs });
    } catch (error) {
      throw this.unreachable(error);
    }
  }

  /** Turn a 401 challenge into an Authorization header; null when no credentials can answer it. */
  private async answer(challenge: ReturnType<typeof parseChallenge>): Promise<string | null> {
    const basic = this.credentials
      ? `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.token}`).toString('base64')}`
      : null;
    if (challenge?.scheme === 'basic') return basic;
    if (challenge?.scheme === 'bearer' && challenge.params.realm) {
      const url = new URL(challenge.params.realm);
      if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
      url.searchParams.set('scope', challenge.params.scope ?? `repository:${this.ref.path}:pull`);
      const response = await this.send(url.toString(), { headers: basic ? { authorization: basic } : {} });
      if (response.status === 401 || response.status === 403) {
        if (this.credentials) throw this.rejected();
        return null;
      }
      if (!response.ok)
        throw new UserError(`registry ${this.ref.registry} token service answered ${response.status}`, {
          hint: 'retry later',
        });
      const body = response.json() as { token?: string; access_token?: string };
      const token = body.token ?? body.access_token;
      return token ? `Bearer ${token}` : null;
    }
    return null;
  }

  /**
   * A request with auth handled; null when the registry wants credentials that are not configured.
   * `path` is under /v2/<repository>/, or a full URL (an upload's Location).
   */
  async request(
    method: 'GET' | 'HEAD' | 'PUT' | 'POST',
    path: string,
    upload?: { body: Buffer | (() => NodeJS.ReadableStream); type: string; length?: number },
  ): Promise<HttpResponse | null> {
    const url = /^https?:/.test(path) ? path : `${this.base}/v2/${this.ref.path}/${path}`;
    const headers: Record<string, string> = upload
      ? {
          'content-type': upload.type,
          ...(upload.length !== undefined ? { 'content-length': String(upload.length) } : {}),
        }
      : { accept: MANIFEST_TYPES.join(', ') };
    if (this.authorization) headers.authorization = this.authorization;
    const body = !upload ? {} : Buffer.isBuffer(upload.body) ? { body: upload.body } : { stream: upload.body };
    let response = await this.send(url, { method, headers, ...body });
    if (response.status === 401) {
      const challenge = response.headers.get('www-authenticate') ?? '';
      let answering = this.answers.get(challenge);
      if (!answering) {
        // Shared only while in flight: a later 401 (an expired token after a long push) asks anew.
        answering = this.answer(parseChallenge(challenge)).finally(() => this.answers.delete(challenge));
        this.answers.set(challenge, answering);
      }
      const authorization = await answering;
      if (!authorization) return null;
      this.authorization = authorization;
      response = await this.send(url, { method, headers: { ...headers, authorization }, ...body });
      if (response.status === 401) {
        if (this.credentials) throw this.rejected();
        return null;
      }
    }
    return response;
  }

  /**
   * Does `tag` exist, and with what manifest digest? Given a platform, the lookup is a GET that
   * also reads the image's compressed size from the manifest (one request instead of two).
   */
  async lookupTag(tag: string, sizeFor?: string): Promise<TagLookup> {
    const response = await this.request(sizeFor ? 'GET' : 'HEAD', `manifests/${tag}`);
    if (!response) return { state: 'needs-credentials' };
    // ghcr.io answers 403 for a package it does not know (or the token may not read).
    if (response.status === 404 || (response.status === 403 && !this.credentials)) return { state: 'missing' };
    if (response.status === 403) {
      throw new UserError(
        `registry ${this.ref.registry} denied '${this.credentials?.username}' access to ${this.ref.path}`,
        {
          hint: 'the token needs read and write access to this repository (for ghcr.io: write:packages)',
        },
      );
    }
    if (!response.ok) {
      throw new UserError(`registry ${this.ref.registry} answered ${response.status} for ${this.ref.path}:${tag}`, {
        hint: 'retry later, or check the repository name',
      });
    }
    const digest = response.headers.get('docker-content-digest');
    if (!digest || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw new UserError(`registry ${this.ref.registry} gave no manifest digest for ${this.ref.path}:${tag}`, {
        hint: 'this registry does not follow the distribution API',
      });
    }
    const manifest = { digest, mediaType: response.headers.get('content-type') ?? '' };
    if (!sizeFor) return { state: 'found', manifest };
    const sizeBytes = await this.sizeOf(response, sizeFor).catch(() => undefined);
    return { state: 'found', manifest, ...(sizeBytes !== undefined ? { sizeBytes } : {}) };
  }

  /** Compressed size (config + layers) of the image for `platform` in a manifest GET's answer. */
  private async sizeOf(response: HttpResponse, platform: string): Promise<number | undefined> {
    const body = response.json() as ManifestBody;
    const type = body.mediaType ?? response.headers.get('content-type') ?? '';
    if (INDEX_TYPES.has(type) || body.manifests) {
      const [os, architecture, variant] = platform.split('/');
      const entry = body.manifests?.find(
        (m) =>
          m.platform?.os === os &&
          m.platform?.architecture === architecture &&
          (!variant || m.platform?.variant === variant),
      );
      if (!entry) return undefined;
      const found = await this.lookupTag(entry.digest, platform);
      return found.state === 'found' ? found.sizeBytes : undefined;
    }
    if (!body.layers) return undefined;
    return (body.config?.size ?? 0) + body.layers.reduce((sum, layer) => sum + (layer.size ?? 0), 0);
  }

  /**
   * Point `tag` at the manifest `digest` already in this repository, the way `docker tag` plus
   * `docker push` would but without an engine or any layer transfer: the manifest's exact bytes
   * are read and put under the new tag, so the digest stays the same.
   */
  async retag(digest: string, tag: string): Promise<void> {
    const source = await this.request('GET', `manifests/${digest}`);
    if (!source?.ok)
      throw new UserError(`registry ${this.ref.registry} did not return manifest ${digest}`, {
        hint: 'run build-image with --force',
      });
    const upload = {
      body: source.body,
      type: source.headers.get('content-type') ?? MANIFEST_TYPES[3]!,
    };
    const response = await this.request('PUT', `manifests/${tag}`, upload);
    if (!response)
      throw new UserError(`registry ${this.ref.registry} needs credentials to move the tag ${tag}`, {
        hint: 'set REGISTRY_USER and REGISTRY_TOKEN in .env',
      });
    if (!response.ok) {
      throw new UserError(
        `registry ${this.ref.registry} refused the tag ${this.ref.path}:${tag} (${response.status})`,
        {
          hint: 'check that the token may write this repository (ghcr.io: write:packages) and that the registry allows this tag',
        },
      );
    }
  }

  /** Does the registry want credentials at all? (The answer to an anonymous /v2/.) */
  async requiresAuth(): Promise<boolean> {
    const response = await this.send(`${this.base}/v2/`, { method: 'GET' });
    return response.status === 401;
  }
}
