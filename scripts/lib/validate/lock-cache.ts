// A cache of what is slow in the lock check: the parsed lock (js-yaml, ~30 ms on a 1,600-line
// lock) kept with the very text it was parsed from, and rattler's spec/version answers (loading its WASM costs
// ~20 ms). With both cached, `validate` neither loads js-yaml nor rattler. The cache lives in
// .pixi-condor/ (git-ignored); a missing, stale or unwritable cache only costs time.
import { readBoundedText } from '../bounded-read.ts';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';
import { STATE_DIR } from '../workspace.ts';
import type { LockFile, LockedPackage } from './lock-file.ts';

export const CACHE_FILE = join(STATE_DIR, 'validate-cache.json');
const FORMAT = 6;
/** The cache holds the lock's text (at most 64 MiB, lock-check.ts) and its parse: never read past this. */
const MAX_CACHE_BYTES = 256 << 20;

type PackageRow = [
  kind: 'conda' | 'pypi',
  name: string,
  version: string,
  build: string | null,
  pypiNames: string[] | null,
];

interface CacheData {
  format: number;
  /**
   * The lock text the entry was parsed from, compared whole (a native string compare: ~0.05 ms
   * for the template's lock). Not a hash: sha256 would load node:crypto (~10 ms, a tenth of a
   * whole validate), and a hash in JavaScript runs interpreted on this one call (~2 ms per 64 KB).
   */
  lockText: string;
  lock: {
    version: number;
    /** name, subdir, virtual packages (LockFile.platforms). */
    platforms: [name: string, subdir: string, virtualPackages: string[]][];
    /** Each distinct package once: environments share most of theirs. */
    packages: PackageRow[];
    /** name, channels, and per platform the indexes of its packages. */
    environments: [name: string, channels: string[], platforms: [string, number[]][]][];
  };
  /** `${spec}\u0000${version}` -> 'ok' | 'version' | 'invalid:<detail>' */
  specs: Record<string, string>;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Is this what storeLock writes? A cache with the right format number but another shape (edited,
 * cut short, written by a buggy build) is ignored and rebuilt, never trusted into a TypeError.
 */
export function isCacheData(value: unknown): value is CacheData {
  if (!isRecord(value) || value.format !== FORMAT || !isString(value.lockText)) return false;
  if (!isRecord(value.specs) || !Object.values(value.specs).every(isString)) return false;
  const lock = value.lock;
  if (!isRecord(lock) || typeof lock.version !== 'number') return false;
  const { platforms, packages, environments } = lock;
  if (
    !Array.isArray(platforms) ||
    !platforms.every(
      (p) => Array.isArray(p) && p.length === 3 && isString(p[0]) && isString(p[1]) && isStringList(p[2]),
    )
  )
    return false;
  if (
    !Array.isArray(packages) ||
    !packages.every(
      (row) =>
        Array.isArray(row) &&
        row.length === 5 &&
        (row[0] === 'conda' || row[0] === 'pypi') &&
        isString(row[1]) &&
        isString(row[2]) &&
        (row[3] === null || isString(row[3])) &&
        (row[4] === null || isStringList(row[4])),
    )
  )
    return false;
  const count = packages.length;
  return (
    Array.isArray(environments) &&
    environments.every(
      (env) =>
        Array.isArray(env) &&
        env.length === 3 &&
        isString(env[0]) &&
        isStringList(env[1]) &&
        Array.isArray(env[2]) &&
        env[2].every(
          (platform: unknown) =>
            Array.isArray(platform) &&
            platform.length === 2 &&
            isString(platform[0]) &&
            Array.isArray(platform[1]) &&
            platform[1].every((i: unknown) => Number.isInteger(i) && (i as number) >= 0 && (i as number) < count),
        ),
    )
  );
}

export class LockCache {
  private data: CacheData | null;
  private dirty = false;

  private readonly path: string;

  private constructor(path: string, data: CacheData | null) {
    this.path = path;
    this.data = data;
  }

  static open(root: string): LockCache {
    const path = join(root, CACHE_FILE);
    let data: CacheData | null = null;
    try {
      const parsed: unknown = JSON.parse(readBoundedText(path, MAX_CACHE_BYTES));
      if (isCacheData(parsed)) data = parsed;
    } catch {
      data = null;
    }
    return new LockCache(path, data);
  }

  /** The parsed lock cached for exactly this text, or null. */
  lock(text: string): LockFile | null {
    if (!this.data || this.data.lockText !== text) return null;
    const { lock } = this.data;
    const packages = lock.packages.map(
      ([kind, name, version, build, pypiNames]): LockedPackage => ({
        kind,
        name,
        version,
        build,
        ...(pypiNames ? { pypiNames } : {}),
      }),
    );
    return {
      version: lock.version,
      platforms: new Map(lock.platforms.map(([name, subdir, virtualPackages]) => [name, { subdir, virtualPackages }])),
      environments: new Map(
        lock.environments.map(([name, channels, platforms]) => [
          name,
          { channels, platforms: new Map(platforms.map(([p, rows]) => [p, rows.map((i) => packages[i]!)])) },
        ]),
      ),
    };
  }

  storeLock(text: string, lock: LockFile): void {
    const packages: PackageRow[] = [];
    const indexes = new Map<string, number>();
    const indexOf = (p: LockedPackage): number => {
      const key = `${p.kind}\u0000${p.name}\u0000${p.version}\u0000${p.build ?? ''}\u0000${p.pypiNames?.join(',') ?? ''}`;
      let index = indexes.get(key);
      if (index === undefined) {
        index = packages.push([p.kind, p.name, p.version, p.build, p.pypiNames ?? null]) - 1;
        indexes.set(key, index);
      }
      return index;
    };
    this.data = {
      format: FORMAT,
      lockText: text,
      lock: {
        version: lock.version,
        platforms: [...lock.platforms].map(([name, p]) => [name, p.subdir, p.virtualPackages]),
        environments: [...lock.environments].map(([name, env]) => [
          name,
          env.channels,
          [...env.platforms].map(([p, list]) => [p, list.map(indexOf)]),
        ]),
        packages,
      },
      specs: this.data?.specs ?? {},
    };
    this.dirty = true;
  }

  spec(spec: string, version: string): string | undefined {
    return this.data?.specs[`${spec}\u0000${version}`];
  }

  storeSpec(spec: string, version: string, answer: string): void {
    if (!this.data) return;
    this.data.specs[`${spec}\u0000${version}`] = answer;
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty || !this.data) return;
    try {
      // Compact: a lock with many environments makes a large cache, read on every run.
      await writeFileAtomic(this.path, JSON.stringify(this.data));
    } catch {
      // read-only checkout, full disk: the next run just recomputes
    }
    this.dirty = false;
  }
}
