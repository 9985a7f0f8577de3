// .dockerignore as Docker reads it (moby/patternmatcher): one pattern per line, `#` comments,
// `!` re-includes, `**` crosses folders, the last matching pattern wins, and a pattern that
// matches a folder matches everything under it. The Dockerfile and .dockerignore themselves
// are always sent (the docker CLI re-includes them), so they are never ignored here.
import { existsSync } from 'node:fs';
import { BoundedReadError, readBoundedText } from '../bounded-read.ts';
import { UserError } from '../errors.ts';
import { join, posix } from 'node:path';
import { globRegex } from './glob.ts';

export interface IgnorePattern {
  /** The cleaned pattern text, without `!`. */
  text: string;
  negated: boolean;
  regex: RegExp;
}

export function parseDockerignore(text: string): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let negated = false;
    if (line.startsWith('!')) {
      negated = true;
      line = line.slice(1).trim();
    }
    let cleaned = posix.normalize(line);
    cleaned = cleaned.replace(/^\/+/, '').replace(/\/+$/, '');
    if (cleaned === '' || cleaned === '.') continue;
    patterns.push({ text: cleaned, negated, regex: globRegex(cleaned, { doubleStar: true }) });
  }
  return patterns;
}

export class DockerIgnore {
  readonly patterns: IgnorePattern[];
  private readonly alwaysKept: Set<string>;

  constructor(patterns: IgnorePattern[], alwaysKept: string[] = []) {
    this.patterns = patterns;
    this.alwaysKept = new Set(alwaysKept);
  }

  /** Is this context-relative path (forward slashes) left out of the build context? */
  ignores(path: string): boolean {
    if (this.alwaysKept.has(path)) return false;
    const parts = path.split('/');
    let matched = false;
    for (const pattern of this.patterns) {
      // An exclusion can only change an unmatched path, an exception only a matched one.
      if (pattern.negated !== matched) continue;
      let hit = pattern.regex.test(path);
      for (let i = 1; !hit && i < parts.length; i++) hit = pattern.regex.test(parts.slice(0, i).join('/'));
      if (hit) matched = !pattern.negated;
    }
    return matched;
  }

  /**
   * May a folder that is itself ignored still hold re-included files? Only an exception
   * that reaches below it (or one with wildcards we cannot rule out) says yes.
   */
  mayReincludeUnder(dir: string): boolean {
    return this.patterns.some((p) => p.negated && (p.text.startsWith(dir + '/') || /[*?[\\]/.test(p.text)));
  }
}

/**
 * Ignore files an engine reads instead of `.dockerignore`: BuildKit a `<Dockerfile>.dockerignore`
 * beside the Dockerfile, podman and buildah a `.containerignore`. What the build sends (and the
 * .env check, and the content hash) is read from `.dockerignore` alone, so with either there
 * the engine could send what this read says it does not.
 */
function otherIgnoreFiles(root: string, dockerfile: string): string[] {
  return [`${posix.normalize(dockerfile)}.dockerignore`, '.containerignore'].filter((name) =>
    existsSync(join(root, name)),
  );
}

/** Read `<root>/.dockerignore` (absent = nothing ignored). */
export async function loadDockerignore(root: string, dockerfile: string): Promise<DockerIgnore> {
  const others = otherIgnoreFiles(root, dockerfile);
  if (others.length > 0)
    throw new UserError(
      `${others.join(' and ')}: an engine reads ${others.length === 1 ? 'it' : 'them'} instead of .dockerignore, which is the one pixi-condor checks (.env stays out, the content hash)`,
      { hint: `move its lines into .dockerignore and delete ${others.join(' and ')}`, exitCode: 2 },
    );
  let text = '';
  try {
    // A .dockerignore is a few lines; 1 MiB is far past any real one (and a FIFO is never waited on).
    text = readBoundedText(join(root, '.dockerignore'), 1 << 20);
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    if (error.problem !== 'missing')
      throw new UserError(`.dockerignore ${error.message}`, {
        hint: 'make .dockerignore a readable text file (the template lists what goes into the build context)',
        exitCode: 2,
      });
  }
  return new DockerIgnore(parseDockerignore(text), [posix.normalize(dockerfile), '.dockerignore']);
}
