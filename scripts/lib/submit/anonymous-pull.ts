// Can the pinned image be pulled without credentials? Execute points pull container images
// anonymously, and ghcr.io makes a newly pushed package private: a first job would sit held
// on the image pull. The answer comes from an anonymous manifest HEAD on the pinned digest
// (RegistryClient without credentials: a Bearer realm gets an anonymous token, as `docker
// pull` asks for one). A registry that cannot be reached is "unknown", never a refusal.
import { isUserError } from '../errors.ts';
import { parseRepository, type ImageRef } from '../image/naming.ts';
import { RegistryClient } from '../image/registry.ts';

export type PullCheck =
  | { state: 'pullable' }
  | { state: 'not-pullable'; reason: string }
  | { state: 'unknown'; reason: string };

/** The check preflight calls: an image reference `repo@sha256:…` (or `repo:tag`) in, an answer out. */
export type AnonymousPullProbe = (reference: string) => Promise<PullCheck>;

export function splitReference(reference: string): { ref: ImageRef; repository: string; target: string } {
  const at = reference.indexOf('@');
  let repository: string;
  let target: string;
  if (at >= 0) {
    repository = reference.slice(0, at);
    target = reference.slice(at + 1);
  } else {
    const colon = reference.lastIndexOf(':');
    const tagged = colon > reference.lastIndexOf('/');
    repository = tagged ? reference.slice(0, colon) : reference;
    target = tagged ? reference.slice(colon + 1) : 'latest';
  }
  return { ref: parseRepository(repository), repository, target };
}

/** Anonymous manifest HEAD on the reference; bounded by `timeoutMs` per request. */
export async function probeAnonymousPull(reference: string, timeoutMs = 5000): Promise<PullCheck> {
  let parts: ReturnType<typeof splitReference>;
  try {
    parts = splitReference(reference);
  } catch (error) {
    return { state: 'unknown', reason: error instanceof Error ? error.message : String(error) };
  }
  const client = new RegistryClient(parts.ref, null, timeoutMs);
  try {
    const found = await client.lookupTag(parts.target);
    if (found.state === 'found') return { state: 'pullable' };
    if (found.state === 'needs-credentials')
      return { state: 'not-pullable', reason: `${parts.ref.registry} wants credentials to read ${parts.ref.path}` };
    return {
      state: 'not-pullable',
      reason: `${parts.ref.registry} does not show ${parts.ref.path}@${parts.target.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, '$1…')} to anonymous readers (private, or not there)`,
    };
  } catch (error) {
    // Unreachable, timed out, or an answer we cannot read: say so, let the submit go on.
    if (isUserError(error)) return { state: 'unknown', reason: error.message };
    return { state: 'unknown', reason: error instanceof Error ? error.message : String(error) };
  }
}

/** How to make the repository public, for the registries whose way we know. */
export function makePublicHint(reference: string): string {
  let parts: ReturnType<typeof splitReference>;
  try {
    parts = splitReference(reference);
  } catch {
    return 'make the image public in its registry: execute points pull it without credentials';
  }
  const { registry, path } = parts.ref;
  if (registry === 'ghcr.io') {
    const [owner, ...rest] = path.split('/');
    const pkg = encodeURIComponent(rest.join('/'));
    return (
      `ghcr.io makes a new package private: open https://github.com/users/${owner}/packages/container/${pkg}/settings ` +
      `(for an organisation: https://github.com/orgs/${owner}/packages/container/${pkg}/settings), ` +
      `"Change visibility" → Public; execute points pull the image without credentials`
    );
  }
  if (registry === 'docker.io')
    return `make the repository ${path} public on Docker Hub (its Settings → Visibility): execute points pull it without credentials`;
  return `make ${registry}/${path} readable without credentials: execute points pull it anonymously`;
}
