// Which rows of pixi.lock hold a manifest platform's packages, as pixi finds them. Since 0.71
// pixi writes a rich platform's rows as `p1`, `p2`, … (platform_rename.rs
// shorten_platform_names) and on load renames each locked platform to the manifest entry of the
// same identity, its subdir and its non-default virtual packages (align_platform_names); then a
// platform's rows are its name's, else its subdir's when those record no virtual packages (every
// lock before v7) or all of the platform's (satisfiability/platform.rs resolve_lock_platform_for).
// A row of a manifest platform's name solved for another subdir or other packages is stale
// (satisfiability/environment.rs PlatformDefinitionChanged).
import type { PlatformEntry } from './manifest-model.ts';
import type { LockedEnvironment, LockedPackage, LockFile, LockedPlatform } from './lock-file.ts';
import { customisedOf, parseVirtualPackage, sameVirtualPackage, type VirtualPackage } from './rich-platform.ts';

/** A manifest platform whose lock row of its name was solved for another subdir or other packages. */
export interface ChangedPlatform {
  platform: PlatformEntry;
  lockName: string;
  found: { subdir: string; customised: string[] };
}

export class LockPlatforms {
  /** The aligned name -> the locked name (to read the environments' rows, which keep the lock's names). */
  private readonly lockNameOf = new Map<string, string>();
  private readonly lock: LockFile;
  /** Each locked platform's virtual packages, read once (by the locked name). */
  private readonly parsedRows = new Map<string, VirtualPackage[]>();

  constructor(lock: LockFile, manifestPlatforms: readonly PlatformEntry[]) {
    this.lock = lock;
    for (const [name, locked] of lock.platforms) this.parsedRows.set(name, parsedAll(locked.virtualPackages));
    const aligned = renames(lock, this.parsedRows, manifestPlatforms);
    for (const name of lock.platforms.keys()) this.lockNameOf.set(aligned.get(name) ?? name, name);
  }

  /** The platform's packages in `env` (null: the lock has no rows for it). */
  packagesOf(env: LockedEnvironment, platform: PlatformEntry): LockedPackage[] | null {
    const byName = this.rows(env, platform.name);
    if (byName) return byName;
    if (!platform.subdir) return null;
    const bySubdir = this.rows(env, platform.subdir);
    if (!bySubdir) return null;
    // (Counted as written: a row whose packages do not read still records some.)
    if ((this.platform(platform.subdir)?.virtualPackages.length ?? 0) === 0) return bySubdir;
    const recorded = this.parsed(platform.subdir);
    return platform.virtualPackages.every((vp) => recorded.some((r) => sameVirtualPackage(r, vp))) ? bySubdir : null;
  }

  /** A row of the platform's name that holds another subdir or other virtual packages; null when it agrees. */
  changed(platform: PlatformEntry): ChangedPlatform | null {
    const locked = this.platform(platform.name);
    if (!locked || !platform.subdir) return null;
    const customised = customisedOf(this.parsed(platform.name), platform.subdir);
    const same =
      locked.subdir === platform.subdir &&
      customised.length === platform.customised.length &&
      customised.every((vp, i) => vp === platform.customised[i]);
    if (same) return null;
    return {
      platform,
      lockName: this.lockNameOf.get(platform.name)!, // this.platform() found it by that name
      found: { subdir: locked.subdir, customised },
    };
  }

  /** The virtual packages of the lock's platform of this aligned name, read (none when it has no row). */
  private parsed(name: string): VirtualPackage[] {
    const lockName = this.lockNameOf.get(name);
    return (lockName === undefined ? undefined : this.parsedRows.get(lockName)) ?? [];
  }

  /** The lock's platform of this aligned name (a lock before v7 lists none: null). */
  private platform(name: string): LockedPlatform | undefined {
    const lockName = this.lockNameOf.get(name);
    return lockName === undefined ? undefined : this.lock.platforms.get(lockName);
  }

  private rows(env: LockedEnvironment, name: string): LockedPackage[] | null {
    // A locked name aligned away no longer answers to itself.
    const lockName = this.lockNameOf.get(name) ?? (this.lock.platforms.has(name) ? undefined : name);
    return lockName === undefined ? null : (env.platforms.get(lockName) ?? null);
  }
}

/**
 * align_platform_names' renames (compute_renames): each locked platform whose identity matches
 * exactly one manifest platform takes its name, unless that name is taken in the lock or the
 * locked name is already some manifest platform's.
 */
function renames(
  lock: LockFile,
  parsedRows: ReadonlyMap<string, VirtualPackage[]>,
  manifest: readonly PlatformEntry[],
): Map<string, string> {
  const result = new Map<string, string>();
  const manifestNames = new Set(manifest.map((p) => p.name));
  for (const [lockName, locked] of lock.platforms) {
    const identity = customisedOf(parsedRows.get(lockName)!, locked.subdir);
    // Compared as packages (GenericVirtualPackage's equality: rattler's versions pad, 2.31 is 2.31.0).
    const matching = manifest.filter((p) => p.subdir === locked.subdir && sameSet(p.customised, identity));
    if (matching.length !== 1) continue;
    const target = matching[0]!.name;
    if (target === lockName || lock.platforms.has(target) || manifestNames.has(lockName)) continue;
    result.set(lockName, target);
  }
  return result;
}

function parsedAll(texts: readonly string[]): VirtualPackage[] {
  return texts.flatMap((text) => {
    const vp = parseVirtualPackage(text);
    return vp ? [vp] : [];
  });
}

/** The same virtual packages, in any order, each compared as sameText does. */
function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const left = [...b];
  return a.every((vp) => {
    const at = left.findIndex((other) => sameText(vp, other));
    return at >= 0 && left.splice(at, 1).length === 1;
  });
}

/** Two virtual packages' texts the same once read (`__cuda=12.09` is `__cuda=12.9`, `2.31` is `2.31.0`). */
function sameText(a: string, b: string): boolean {
  if (a === b) return true;
  const x = parseVirtualPackage(a);
  const y = parseVirtualPackage(b);
  return x !== null && y !== null && sameVirtualPackage(x, y);
}
