// The files of the build context a COPY/ADD source takes, as the daemon would see them after
// .dockerignore: a plain path (a file, or a folder taken whole) or a wildcard pattern matched
// against every context path the way Go's filepath.Match does (`*` stops at `/`).
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { UserError } from '../errors.ts';
import type { CopySource } from './dockerfile.ts';
import type { DockerIgnore } from './dockerignore.ts';
import { globRegex } from './glob.ts';

const WILDCARD = /[*?[]/;

/** A missing COPY source: pixi writes the lock (the template copies it); anything else is the user's. */
function missingSourceHint(source: string, keyword: string): string {
  if (source === 'pixi.lock') return 'run `pixi lock` to write pixi.lock (then commit it) and build again';
  return `create ${source} or remove it from the ${keyword} line`;
}

/** Clean a COPY source to a context-relative path; `.` is the whole context. */
function cleanSource(source: string, copy: CopySource, dockerfile: string): string {
  const cleaned = posix.normalize(source.replace(/^\/+/, '')).replace(/\/+$/, '') || '.';
  if (cleaned === '..' || cleaned.startsWith('../')) {
    throw new UserError(`${copy.keyword} source '${source}' is outside the build context`, {
      file: dockerfile,
      line: copy.line,
      hint: 'the build context is the workspace root: copy only files inside it',
    });
  }
  return cleaned;
}

/**
 * Every non-ignored file (or symlink) under `dir` (context-relative, `.` for the root),
 * pruning ignored folders that no exception can reach into.
 */
export async function walkContext(
  root: string,
  dir: string,
  ignore: DockerIgnore,
  visit?: (path: string, isDir: boolean) => void,
): Promise<string[]> {
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(join(root, rel), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const path = rel === '.' ? entry.name : `${rel}/${entry.name}`;
      const ignored = ignore.ignores(path);
      if (entry.isDirectory()) {
        visit?.(path, true);
        if (!ignored || ignore.mayReincludeUnder(path)) await walk(path);
      } else if (!ignored) {
        visit?.(path, false);
        files.push(path);
      }
    }
  };
  await walk(dir);
  return files;
}

/** The context files that the given COPY/ADD sources take, sorted and unique. */
export async function filesForSources(
  root: string,
  copies: CopySource[],
  ignore: DockerIgnore,
  dockerfile: string,
): Promise<string[]> {
  const found = new Set<string>();
  for (const copy of copies) {
    for (const source of copy.sources) {
      const cleaned = cleanSource(source, copy, dockerfile);
      let matched: string[];
      // A folder taken whole counts as found even when empty (Docker creates it).
      let isFolder = false;
      if (WILDCARD.test(cleaned)) {
        // Walk from the folder before the first wildcard; a matching folder counts whole.
        const parts = cleaned.split('/');
        const fixed =
          parts
            .slice(
              0,
              parts.findIndex((p) => WILDCARD.test(p)),
            )
            .join('/') || '.';
        const regex = globRegex(cleaned, { doubleStar: false });
        const dirs: string[] = [];
        matched = [];
        const all = await walkContext(root, fixed, ignore, (path, isDir) => {
          if (isDir && regex.test(path)) dirs.push(path);
        });
        for (const file of all) if (regex.test(file) || dirs.some((d) => file.startsWith(d + '/'))) matched.push(file);
      } else if (cleaned === '.') {
        isFolder = true;
        matched = await walkContext(root, '.', ignore);
      } else {
        const stats = await lstat(join(root, cleaned)).catch(() => null);
        if (!stats || ignore.ignores(cleaned)) {
          matched = [];
        } else {
          isFolder = stats.isDirectory();
          matched = isFolder ? await walkContext(root, cleaned, ignore) : [cleaned];
        }
      }
      if (matched.length === 0 && !isFolder) {
        const excluded = !WILDCARD.test(cleaned) && (await lstat(join(root, cleaned)).catch(() => null)) !== null;
        throw new UserError(
          `${copy.keyword} source '${source}' ${excluded ? 'is excluded by .dockerignore' : 'matches no file in the build context'}`,
          {
            file: dockerfile,
            line: copy.line,
            hint: excluded ? `add \`!${cleaned}\` to .dockerignore` : missingSourceHint(cleaned, copy.keyword),
          },
        );
      }
      for (const file of matched) found.add(file);
    }
  }
  return [...found].sort();
}
