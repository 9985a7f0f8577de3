// Does a locked conda package satisfy a manifest spec? With conda's own version semantics from
// @conda-org/rattler (pre-releases, `.*`, epochs). A spec string is a version spec, whole (pixi
// reads it with VersionSpec::from_str and refuses a match spec there: pixi_spec/src/toml.rs
// parse_version_string); a build is only ever a table's `build`. A bare version ("12.9") is an
// exact match, as in rattler.
import { createRequire } from 'node:module';
import { isTable } from './text.ts';

export interface CondaRequirement {
  /** Version spec text; null matches any version. */
  version: string | null;
  /** Build string glob; null matches any build. */
  build: string | null;
}

/** The requirement a manifest value states, or null for source dependencies (path/git/url) that the lock pins differently. */
export function condaRequirement(spec: unknown, inherited?: unknown): CondaRequirement | null {
  if (typeof spec === 'string') return { version: versionOf(spec), build: null };
  if (!isTable(spec)) return null;
  if (spec.workspace === true) return inherited === undefined ? null : condaRequirement(inherited);
  if (['path', 'git', 'url'].some((key) => key in spec)) return null;
  const version = typeof spec.version === 'string' ? versionOf(spec.version) : null;
  const build = typeof spec.build === 'string' ? spec.build : null;
  return { version, build };
}

/** A spec string's version spec: the whole text (">=0.24.1, <0.25" has spaces), null for any. */
function versionOf(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === '*' || trimmed === '' ? null : trimmed;
}

/** Does a spec string look like a match spec, a version and a build ("3.12.* *_cpython")? pixi refuses one. */
export function isMatchSpecString(text: string): boolean {
  return /\S\s+[^\s,<>=!~]/.test(text);
}

interface Rattler {
  Version: new (v: string) => object;
  VersionSpec: new (s: string, strictness?: 'strict' | 'lenient') => { matches(v: object): boolean };
}

let rattler: Rattler | null = null;

function loadRattler(): Rattler {
  // The CommonJS build loads in ~20 ms; the ESM bundle, with its inlined WASM, takes ~50 ms.
  rattler ??= createRequire(import.meta.url)('@conda-org/rattler') as Rattler;
  return rattler;
}

export type SpecCheck =
  | { ok: true }
  | { ok: false; reason: 'version' | 'build' }
  | { ok: false; reason: 'invalid-spec'; detail: string };

const specCache = new Map<string, { matches(v: object): boolean } | string>();

/** Remembers rattler's answers between runs (see lock-cache.ts). */
export interface SpecAnswers {
  spec(spec: string, version: string): string | undefined;
  storeSpec(spec: string, version: string, answer: string): void;
}

export function satisfies(
  requirement: CondaRequirement,
  version: string,
  build: string | null,
  answers?: SpecAnswers,
): SpecCheck {
  if (requirement.version !== null) {
    let answer = answers?.spec(requirement.version, version);
    if (answer === undefined) {
      answer = versionAnswer(requirement.version, version);
      answers?.storeSpec(requirement.version, version, answer);
    }
    if (answer.startsWith('invalid:'))
      return { ok: false, reason: 'invalid-spec', detail: answer.slice('invalid:'.length) };
    if (answer !== 'ok') return { ok: false, reason: 'version' };
  }
  if (requirement.build !== null && build !== null && !globMatch(requirement.build, build))
    return { ok: false, reason: 'build' };
  return { ok: true };
}

/** 'ok', 'version' (does not match) or 'invalid:<why>' (the spec does not parse). */
function versionAnswer(specText: string, version: string): string {
  const { Version, VersionSpec } = loadRattler();
  let spec = specCache.get(specText);
  if (spec === undefined) {
    try {
      spec = new VersionSpec(specText, 'lenient');
    } catch (error) {
      // rattler throws nom traces, not Error objects: keep the first line.
      spec = String(error instanceof Error ? error.message : error).split('\n')[0]!;
    }
    specCache.set(specText, spec);
  }
  if (typeof spec === 'string') return `invalid:${spec}`;
  let locked: object;
  try {
    locked = new Version(version);
  } catch {
    return 'version';
  }
  return spec.matches(locked) ? 'ok' : 'version';
}

function globMatch(glob: string, text: string): boolean {
  const pattern = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(text);
}
