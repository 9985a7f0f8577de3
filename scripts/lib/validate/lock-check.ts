// Is pixi.lock still what pixi would accept for this manifest (pixi.md §c.3)? For every
// environment and platform in the lock, each direct dependency must be matched by a locked
// package whose version satisfies the spec, and the manifest's channels must be the lock's.
// An environment or platform the lock lacks is a warning (pixi locks it on first run), except
// the image's environment on linux-64: `pixi install --locked` in the image build needs it.
import { BoundedReadError, readBounded } from '../bounded-read.ts';
import { firstInvalidUtf8, positionOfByte } from '../utf8.ts';
import { join } from 'node:path';
import { condaRequirement, isMatchSpecString, satisfies, type SpecAnswers } from './conda-spec.ts';
import { LockCache } from './lock-cache.ts';
import { LockPlatforms, type ChangedPlatform } from './lock-platforms.ts';
import {
  LockFormatError,
  lockLine,
  lockPlatformLine,
  parseLockFile,
  type LockFile,
  type LockedEnvironment,
  type LockedPackage,
  normalizePypiName,
} from './lock-file.ts';
import type { EnvironmentView, FeatureView, ManifestModel, PlatformEntry } from './manifest-model.ts';
import { IMAGE_PLATFORM, lenientConfig } from './template-checks.ts';
import { asTable, isTable } from './text.ts';
import type { IssueList } from './types.ts';

export const LOCK_FILE = 'pixi.lock';
const RELOCK = 'run `pixi lock` to update pixi.lock (the image build installs with --locked and would fail)';

export interface LockContext {
  root: string;
  model: ManifestModel;
  manifestFile: string;
  issues: IssueList;
  /** Write the cache of parsed lock and spec answers (false: read it only). */
  saveCache?: boolean;
}

export async function checkLock(context: LockContext): Promise<void> {
  const { root, issues } = context;
  const read = await readLockText(join(root, LOCK_FILE));
  if ('encoding' in read) {
    issues.error({
      file: LOCK_FILE,
      pointer: '',
      line: read.encoding.line,
      column: read.encoding.column,
      rule: 'lock/encoding',
      message: read.encoding.message,
      hint: 'restore pixi.lock from git, or run `pixi lock` to write it again',
    });
    return;
  }
  if ('problem' in read) {
    if (read.problem === 'ENOENT') {
      issues.error({
        file: LOCK_FILE,
        pointer: '',
        line: 0,
        column: 0,
        rule: 'lock/missing',
        message: 'there is no pixi.lock',
        hint: 'run `pixi lock` and commit pixi.lock: the image is built from it with --locked',
      });
    } else {
      issues.error({
        file: LOCK_FILE,
        pointer: '',
        line: 0,
        column: 0,
        rule: 'lock/unreadable',
        message:
          read.problem === 'not a regular file'
            ? 'pixi.lock is not a regular file (a folder, FIFO or device)'
            : /^[A-Z]+$/.test(read.problem)
              ? `pixi.lock is unreadable (${read.problem})`
              : `pixi.lock is ${read.problem}`,
        hint:
          read.problem === 'EACCES' || read.problem === 'EPERM'
            ? 'give yourself read permission (chmod u+r pixi.lock)'
            : 'pixi.lock must be a regular file: restore it from git, or run `pixi lock`',
      });
    }
    return;
  }
  if ('tooLarge' in read) {
    issues.warning({
      file: LOCK_FILE,
      pointer: '',
      line: 0,
      column: 0,
      rule: 'lock/not-checked',
      message: `pixi.lock (${read.tooLarge} bytes) is larger than validate reads (${MAX_LOCK_BYTES} bytes): it is not checked`,
      hint: '`pixi install --locked` in `pixi run build-image` checks it',
    });
    return;
  }
  const { text } = read;
  const tooLarge = lockTooLargeToCheck(text);
  if (tooLarge) {
    issues.warning({ file: LOCK_FILE, pointer: '', line: 0, column: 0, rule: 'lock/not-checked', ...tooLarge });
    return;
  }
  const cache = LockCache.open(root);
  let lock = cache.lock(text);
  if (!lock) {
    try {
      lock = await parseLockFile(text);
    } catch (error) {
      if (!(error instanceof LockFormatError)) throw error;
      issues.error({
        file: LOCK_FILE,
        pointer: '',
        line: error.line,
        column: error.column,
        rule: 'lock/unreadable',
        message: error.message,
        hint: 'restore pixi.lock from git, or run `pixi lock` to write it again',
      });
      return;
    }
    cache.storeLock(text, lock);
  }
  checkLockAgainstManifest(context, lock, text, cache);
  if (context.saveCache !== false) await cache.save();
}

/** A lock is a few MB at most; refuse what no lock is (and FIFOs, devices, folders) before reading. */
export const MAX_LOCK_BYTES = 64 * 1024 * 1024;

/**
 * The largest lock validate parses and checks against the manifest: parsing costs about 0.25 s
 * and 35 MB per MB of lock (bench/limits). pixi itself reads any size (rattler_lock has no limit
 * but serde_yaml's alias guard), so a larger lock is not an error; the largest real lock we hold
 * is 0.3 MB with 1,100 package records.
 */
const MAX_CHECKED_LOCK_BYTES = 16 * 1024 * 1024;
export const MAX_CHECKED_LOCK_PACKAGES = 20_000;

/** Why the lock is too large to check, counted before any parsing (its package records by a scan). */
function lockTooLargeToCheck(text: string): { message: string; hint: string } | null {
  const packagesAt = text.indexOf('\npackages:');
  let records = 0;
  if (packagesAt >= 0)
    for (let i = text.indexOf('\n- ', packagesAt); i >= 0; i = text.indexOf('\n- ', i + 3)) records++;
  if (text.length <= MAX_CHECKED_LOCK_BYTES && records <= MAX_CHECKED_LOCK_PACKAGES) return null;
  const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return {
    message: `pixi.lock (${mb(text.length)}, ${records} package records) is larger than validate checks (${mb(MAX_CHECKED_LOCK_BYTES)}, ${MAX_CHECKED_LOCK_PACKAGES} records): its fit to the manifest is not checked`,
    hint: '`pixi install --locked` in `pixi run build-image` checks it; `pixi lock` rewrites it if it no longer fits',
  };
}

/** A character pixi cannot read in its lock, where it is. */
export interface LockEncodingProblem {
  message: string;
  offset: number;
  line: number;
  column: number;
}

/**
 * Invalid UTF-8, or a character outside YAML's printable set, as pixi refuses them; null when the
 * bytes are fine. rattler_lock parses a UTF-8 `str` with serde_yaml, whose libyaml reader refuses
 * control characters (yaml_parser_update_buffer in reader.c: "control characters are not
 * allowed"); js-yaml stops at a NUL as at the end of input, so it cannot be left to the parser.
 */
export function lockEncodingProblem(bytes: Uint8Array): LockEncodingProblem | null {
  const bad = firstInvalidUtf8(bytes);
  if (bad !== null) {
    const byte = bytes[bad] ?? 0;
    return {
      message: `pixi.lock is not valid UTF-8 (byte 0x${byte.toString(16).padStart(2, '0')} at offset ${bad}): pixi refuses it`,
      offset: bad,
      ...positionOfByte(bytes, bad),
    };
  }
  const at = firstControlCharacter(bytes);
  if (at === null) return null;
  const code = at.code.toString(16).toUpperCase().padStart(4, '0');
  return {
    message: `pixi.lock holds the control character U+${code} at byte offset ${at.offset}: YAML does not allow it, and pixi refuses the lock`,
    offset: at.offset,
    ...positionOfByte(bytes, at.offset),
  };
}

/**
 * The first character of valid UTF-8 outside YAML's printable set: C0 controls but tab, LF and
 * CR; DEL; C1 controls but NEL (U+0085, bytes C2 80..9F); U+FFFE and U+FFFF (EF BF BE/BF). A
 * byte loop: about ten times faster than a regular expression over the decoded text.
 */
function firstControlCharacter(bytes: Uint8Array): { offset: number; code: number } | null {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20) {
      if (b !== 0x09 && b !== 0x0a && b !== 0x0d) return { offset: i, code: b };
    } else if (b === 0x7f) return { offset: i, code: b };
    else if (b === 0xc2) {
      const next = bytes[i + 1]!;
      if (next >= 0x80 && next <= 0x9f && next !== 0x85) return { offset: i, code: next };
    } else if (b === 0xef && bytes[i + 1] === 0xbf && (bytes[i + 2] === 0xbe || bytes[i + 2] === 0xbf))
      return { offset: i, code: 0xfffe + bytes[i + 2]! - 0xbe };
  }
  return null;
}

/**
 * The lock's text, or why it cannot be read: an errno code or 'not a regular file'; its size when
 * it is over the read limit; or the first byte pixi would refuse (invalid UTF-8, a control character).
 */
export async function readLockText(
  path: string,
): Promise<{ text: string } | { problem: string } | { encoding: LockEncodingProblem } | { tooLarge: number }> {
  let bytes: Buffer;
  try {
    bytes = readBounded(path, MAX_LOCK_BYTES);
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    if (error.problem === 'not-a-file') return { problem: 'not a regular file' };
    if (error.problem === 'too-large') return { tooLarge: error.size ?? MAX_LOCK_BYTES + 1 };
    return { problem: error.code ?? 'unreadable' };
  }
  const encoding = lockEncodingProblem(bytes);
  return encoding ? { encoding } : { text: bytes.toString('utf8') };
}

// `pixi run` fills these in by itself, but the image build's `pixi install --locked` checks
// the whole lock, so the gap matters before build-image.
const PARTIAL_LOCK_HINT =
  'run `pixi lock` and commit pixi.lock before `pixi run build-image` (the image build installs with --locked)';

export function checkLockAgainstManifest(
  context: LockContext,
  lock: LockFile,
  text: string,
  answers?: SpecAnswers,
): void {
  const { model, manifestFile, issues } = context;
  const imageEnvironment = lenientConfig(model.data).environment;
  const workspaceDeps = asTable(model.workspace.dependencies);
  const channels = new ManifestChannels(model);
  const lockPlatforms = new LockPlatforms(lock, model.platforms());
  /** Stale lock rows reported (true: as an error). */
  const reportedChanges = new Map<string, boolean>();
  for (const env of model.environments()) {
    const locked = lock.environments.get(env.name);
    const isImage = env.name === imageEnvironment;
    if (!locked) {
      const finding = {
        file: LOCK_FILE,
        pointer: `/environments/${env.name}`,
        line: lockLine(text),
        column: 1,
        rule: 'lock/environment-missing',
        message: `environment '${env.name}' is not in pixi.lock; pixi will lock it on first run`,
        hint: isImage ? RELOCK : PARTIAL_LOCK_HINT,
      };
      if (isImage)
        issues.error({
          ...finding,
          message: `environment '${env.name}', the one the image ships, is not in pixi.lock`,
        });
      else issues.warning(finding);
      continue;
    }
    checkChannels(model, channels, env, locked, text, context);
    for (const platform of model.environmentPlatforms(env)) {
      const needed = isImage && platform.subdir === IMAGE_PLATFORM;
      const changed = lockPlatforms.changed(platform);
      if (changed) {
        // Once per stale row (an error where the image environment needs it), not per environment.
        const seen = reportedChanges.get(changed.lockName);
        if (seen === undefined || (needed && !seen)) {
          reportChanged(changed, env.name, needed, text, lock, context);
          reportedChanges.set(changed.lockName, needed);
        }
        continue;
      }
      const packages = lockPlatforms.packagesOf(locked, platform);
      if (!packages) {
        const finding = {
          file: LOCK_FILE,
          pointer: `/environments/${env.name}/packages/${platform.name}`,
          line: lockLine(text, env.name),
          column: 3,
          rule: 'lock/platform-missing',
          message: `platform ${platform.name} of environment '${env.name}' is not in pixi.lock; pixi will lock it on first run`,
          hint: needed ? RELOCK : PARTIAL_LOCK_HINT,
        };
        if (needed)
          issues.error({
            ...finding,
            message: `platform ${platform.name} of environment '${env.name}', which the image is built from, is not in pixi.lock`,
          });
        else issues.warning(finding);
        continue;
      }
      checkDependencies(model, env, platform, packages, workspaceDeps, manifestFile, issues, answers);
    }
  }
}

/** A row of the platform's name solved for another subdir or other virtual packages: pixi re-solves it. */
function reportChanged(
  changed: ChangedPlatform,
  env: string,
  needed: boolean,
  text: string,
  lock: LockFile,
  context: LockContext,
): void {
  const { platform, lockName, found } = changed;
  const list = (vps: string[]) => (vps.length > 0 ? vps.join(', ') : 'no virtual package beyond its defaults');
  const finding = {
    file: LOCK_FILE,
    pointer: `/platforms/${[...lock.platforms.keys()].indexOf(lockName)}`,
    line: lockPlatformLine(text, lockName) ?? lockLine(text, env),
    column: 3,
    rule: 'lock/platform-changed',
    message: `platform ${platform.name} of environment '${env}' is locked${lockName === platform.name ? '' : ` (as ${lockName})`} for ${found.subdir} with ${list(found.customised)}; the manifest declares ${platform.subdir} with ${list(platform.customised)}: pixi re-solves it${needed ? ', and the image build (`pixi install --locked`) refuses the lock' : ''}`,
    hint: needed ? RELOCK : PARTIAL_LOCK_HINT,
  };
  if (needed) context.issues.error(finding);
  else context.issues.warning(finding);
}

function checkDependencies(
  model: ManifestModel,
  env: EnvironmentView,
  platform: PlatformEntry,
  packages: LockedPackage[],
  workspaceDeps: Record<string, unknown>,
  manifestFile: string,
  issues: IssueList,
  answers: SpecAnswers | undefined,
): void {
  const conda = new Map<string, LockedPackage>();
  const pypi = new Map<string, LockedPackage>();
  // PyPI names conda packages supply (their purls): pixi counts a PyPI dependency met by one
  // (satisfiability/platform.rs, the conda packages' purls).
  const condaPypi = new Set<string>();
  // Conda names compare without case (rattler's PackageName), PyPI names normalized (PEP 503).
  for (const pkg of packages) {
    if (pkg.kind === 'pypi') pypi.set(normalizePypiName(pkg.name), pkg);
    else {
      conda.set(pkg.name.toLowerCase(), pkg);
      for (const name of pkg.pypiNames ?? []) condaPypi.add(name);
    }
  }
  for (const dependency of model.dependencies(env, platform)) {
    const where = `environment '${env.name}' on ${platform.name}`;
    if (dependency.kind === 'pypi') {
      if (
        isTable(dependency.spec) &&
        ('path' in dependency.spec || 'git' in dependency.spec || 'url' in dependency.spec)
      )
        continue;
      const wanted = normalizePypiName(dependency.name);
      if (!pypi.has(wanted) && !condaPypi.has(wanted) && !conda.has(dependency.name.toLowerCase())) {
        issues.error({
          file: manifestFile,
          pointer: dependency.pointer,
          rule: 'lock/package-missing',
          message: `PyPI dependency '${dependency.name}' of ${where} is not in pixi.lock`,
          hint: RELOCK,
          at: 'key',
        });
      }
      continue;
    }
    // A dependency with a `when` condition is locked only where it holds (pixi skips it otherwise).
    if (isTable(dependency.spec) && 'when' in dependency.spec) continue;
    const requirement = condaRequirement(dependency.spec, workspaceDeps[dependency.name]);
    if (!requirement) continue;
    const locked = conda.get(dependency.name.toLowerCase());
    if (!locked) {
      issues.error({
        file: manifestFile,
        pointer: dependency.pointer,
        rule: 'lock/package-missing',
        message: `'${dependency.name}' (${where}) is not in pixi.lock`,
        hint: RELOCK,
        at: 'key',
      });
      continue;
    }
    const result = satisfies(requirement, locked.version, locked.build, answers);
    if (result.ok) continue;
    if (result.reason === 'invalid-spec') {
      issues.error({
        file: manifestFile,
        pointer: dependency.pointer,
        rule: 'manifest/invalid-spec',
        message: `'${requirement.version}' is not a valid conda version spec for '${dependency.name}' (${result.detail})`,
        hint: isMatchSpecString(requirement.version ?? '')
          ? 'a string is a version spec only: put a build in a table, { version = "3.12.*", build = "*_cpython" }'
          : 'write a spec such as "1.2.*", ">=1.2,<2" or "*"',
      });
      continue;
    }
    const wanted = result.reason === 'version' ? requirement.version : `build ${requirement.build}`;
    issues.error({
      file: manifestFile,
      pointer: dependency.pointer,
      rule: 'lock/spec-unsatisfied',
      message: `pixi.lock has ${dependency.name} ${locked.version}${locked.build ? ` (${locked.build})` : ''} for ${where}, which does not satisfy '${wanted}'`,
      hint: RELOCK,
    });
  }
}

interface ManifestChannel {
  name: string;
  key: string;
  pointer: string;
}

/** The channels the workspace and each feature list, read once: every environment asks. */
class ManifestChannels {
  private readonly byFeature = new Map<FeatureView, ManifestChannel[]>();
  readonly workspace: ManifestChannel[];

  constructor(model: ManifestModel) {
    this.workspace = ManifestChannels.read(model.workspace.channels, `/${model.workspaceKey ?? 'workspace'}/channels`);
  }

  of(feature: FeatureView): ManifestChannel[] {
    let list = this.byFeature.get(feature);
    if (!list)
      this.byFeature.set(
        feature,
        (list = ManifestChannels.read(feature.table.channels, `${feature.pointer}/channels`)),
      );
    return list;
  }

  private static read(list: unknown, pointer: string): ManifestChannel[] {
    if (!Array.isArray(list)) return [];
    return list.flatMap((c, i) => {
      const name = typeof c === 'string' ? c : isTable(c) && typeof c.channel === 'string' ? c.channel : null;
      return name ? [{ name, key: channelKey(name), pointer: `${pointer}/${i}` }] : [];
    });
  }
}

/** Every channel of the environment in the manifest must be one the lock was solved with. */
function checkChannels(
  model: ManifestModel,
  channels: ManifestChannels,
  env: EnvironmentView,
  locked: LockedEnvironment,
  text: string,
  context: LockContext,
): void {
  if (locked.channels.length === 0) return;
  const lockedKeys = new Set(locked.channels.map(channelKey));
  const wanted = [...channels.workspace];
  for (const feature of model.environmentFeatures(env))
    if (feature.name !== 'default') wanted.push(...channels.of(feature));
  for (const channel of wanted) {
    if (lockedKeys.has(channel.key)) continue;
    context.issues.error({
      file: context.manifestFile,
      pointer: channel.pointer,
      rule: 'lock/channels-mismatch',
      message: `channel '${channel.name}' of environment '${env.name}' is not among the channels pixi.lock was solved with (line ${lockLine(text, env.name)} of pixi.lock)`,
      hint: RELOCK,
    });
  }
}

/** conda-forge, https://conda.anaconda.org/conda-forge/ and .../conda-forge compare equal. */
function channelKey(channel: string): string {
  const trimmed = channel.trim().replace(/\/+$/, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return trimmed.toLowerCase();
  return `https://conda.anaconda.org/${trimmed}`.toLowerCase();
}
