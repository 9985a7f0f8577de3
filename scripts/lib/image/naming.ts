// Image names: the repository (with `{owner}` filled in), the immutable content tag and the
// seed-style moving tag, and parsing a reference into registry host and repository path.
import { UserError } from '../errors.ts';
import { githubRepoFromRemote } from '../git.ts';
import { MANIFEST, type TemplateConfig } from '../workspace.ts';
import type { Explain } from './explain.ts';

/** Ubuntu and Debian release names, as the prefix-dev/pixi image tags carry them. */
const CODENAMES = ['plucky', 'noble', 'jammy', 'focal', 'bionic', 'trixie', 'bookworm', 'bullseye', 'buster'];

export interface ImageRef {
  /** Registry host as docker names it, e.g. ghcr.io, 127.0.0.1:5000 (docker.io for Docker Hub). */
  registry: string;
  /** Repository path inside the registry, e.g. alice/pixi-condor. */
  path: string;
}

/** Split `host[:port]/path` like docker does: the first part is a host only if it looks like one. */
/** `manifestFile`: where the repository was configured, for messages (pixi.toml or pyproject.toml). */
export function parseRepository(repository: string, manifestFile = MANIFEST): ImageRef {
  if (/[:@]/.test(repository.split('/').pop() ?? '') && !repository.split('/')[0]!.includes(':')) {
    throw new UserError(`image repository '${repository}' must not carry a tag or digest`, {
      file: manifestFile,
      hint: 'set [tool.pixi-condor] repository to e.g. ghcr.io/<owner>/<name>: build-image chooses the tags',
    });
  }
  const slash = repository.indexOf('/');
  const first = slash < 0 ? '' : repository.slice(0, slash);
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const ref = isHost
    ? { registry: first, path: repository.slice(slash + 1) }
    : { registry: 'docker.io', path: repository.includes('/') ? repository : `library/${repository}` };
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(ref.path)) {
    throw new UserError(`image repository '${repository}' is not a valid repository name`, {
      file: manifestFile,
      hint: 'use lower-case letters, digits, and . _ - separators, e.g. ghcr.io/alice/pixi-condor',
    });
  }
  return ref;
}

/**
 * Fill `{owner}` in the configured repository: $GITHUB_REPOSITORY_OWNER (set in Actions),
 * else the owner of the GitHub `origin` remote. Registries want lower case.
 */
export function resolveRepository(
  config: TemplateConfig,
  remoteUrl: string | null,
  env: NodeJS.ProcessEnv,
  explain: Explain,
  manifestFile = MANIFEST,
): string {
  let repository = config.repository;
  explain.note('repository template', repository, `[tool.pixi-condor] repository in ${manifestFile}`);
  if (repository.includes('{owner}')) {
    let owner = env.GITHUB_REPOSITORY_OWNER;
    let source = '$GITHUB_REPOSITORY_OWNER';
    if (!owner) {
      owner = githubRepoFromRemote(remoteUrl)?.owner;
      // (Without a `user:token@` the URL may carry: a token in a remote is a secret too.)
      source = `the git remote origin (${remoteUrl?.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1')})`;
    }
    if (!owner) {
      throw new UserError(`cannot fill {owner} in the image repository '${repository}': no GitHub remote`, {
        file: manifestFile,
        hint: 'set [tool.pixi-condor] repository to the full name, e.g. ghcr.io/alice/pixi-condor, or add a GitHub `origin` remote',
      });
    }
    explain.note('owner', owner.toLowerCase(), source);
    repository = repository.replaceAll('{owner}', owner.toLowerCase());
  }
  parseRepository(repository, manifestFile);
  explain.note('repository', repository, 'resolved');
  return repository;
}

/**
 * The OS release of the final base image, from its tag (`0.76.1-noble` -> noble). A base
 * whose tag names none gets its tag, cleaned (`latest`), so the tag still says what it ran on.
 */
export function codenameOf(image: string | null): string {
  const tag = image && /:([^/:@]+)(?:@.*)?$/.exec(image)?.[1];
  if (!tag) return 'latest';
  const parts = tag.toLowerCase().split(/[-_.]/);
  const known = CODENAMES.find((name) => parts.includes(name));
  return (
    known ??
    (tag
      .toLowerCase()
      .replace(/[^a-z0-9.]+/g, '-')
      .replace(/^[.-]+|[.-]+$/g, '') ||
      'latest')
  );
}

export interface TagValues {
  environment: string;
  codename: string;
  cuda: string;
  /** Full sha256 hex; tags carry its first 12 characters. */
  hash: string;
}

export const HASH_CHARS = 12;

/** Expand a tag template; the result must be a valid docker tag. */
export function expandTag(template: string, values: TagValues, key: string, manifestFile = MANIFEST): string {
  const tag = template.replace(/\{(environment|codename|cuda|hash)\}/g, (_, name: keyof TagValues) =>
    name === 'hash' ? values.hash.slice(0, HASH_CHARS) : values[name],
  );
  const unknown = /\{[^}]*\}/.exec(tag);
  if (unknown) {
    throw new UserError(`[tool.pixi-condor] ${key} uses unknown placeholder ${unknown[0]}`, {
      file: manifestFile,
      hint: 'placeholders: {environment} {codename} {cuda} {hash}',
    });
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
    throw new UserError(`[tool.pixi-condor] ${key} gives '${tag}', not a valid image tag`, {
      file: manifestFile,
      hint: 'a tag is up to 128 letters, digits, _ . - and must not start with . or -',
    });
  }
  return tag;
}
