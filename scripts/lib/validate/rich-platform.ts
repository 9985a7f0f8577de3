// A workspace platform entry as pixi (>= 0.71) reads it: its name (given, or derived from the
// subdir and the virtual packages it declares), its subdir, the virtual packages it declares with
// the subdir's defaults merged under them, and what pixi refuses in it. pixi_manifest's
// toml/platform.rs (TomlPixiPlatform, take_cuda_entry, synthesize_name_string,
// classify_virtual_packages) and platform.rs (new_with_defaults, subdir_default_virtual_packages,
// PixiPlatformName), whose unit tests pin the names this module derives.
import { isTable } from './text.ts';

/** A conda virtual package as pixi holds it: `__cuda` 12.9, `__archspec` 0 build x86_64. */
export interface VirtualPackage {
  name: string;
  version: string;
  build: string;
}

/** Something pixi refuses in an entry: where (a key of the entry, or the entry itself) and why. */
export interface EntryProblem {
  key: string | null;
  message: string;
}

export interface PlatformEntryRead {
  /** null when the entry has none pixi would give it (see problems). */
  name: string | null;
  /** Its conda subdir (null: none that pixi knows). */
  subdir: string | null;
  /** Every virtual package it stands for: the declared ones over the subdir's defaults. */
  virtualPackages: readonly VirtualPackage[];
  /** The declared ones that are not a subdir default (its identity beside the subdir), sorted as text. */
  customised: string[];
  /** name == subdir and nothing but the defaults: a plain subdir platform. */
  isSubdir: boolean;
  problems: EntryProblem[];
}

/**
 * Friendly keys in pixi's order (FRIENDLY_VIRTUAL_PACKAGES: "Order is load-bearing", the derived
 * name follows it whatever order the manifest writes them in). `macos` has the alias `osx`.
 */
const FRIENDLY: { key: string; aliases: string[]; conda: string; microarch: boolean }[] = [
  { key: 'cuda', aliases: [], conda: '__cuda', microarch: false },
  { key: 'archspec', aliases: [], conda: '__archspec', microarch: true },
  { key: 'glibc', aliases: [], conda: '__glibc', microarch: false },
  { key: 'linux', aliases: [], conda: '__linux', microarch: false },
  { key: 'macos', aliases: ['osx'], conda: '__osx', microarch: false },
  { key: 'windows', aliases: [], conda: '__win', microarch: false },
];

/** Longest platform name pixi takes (platform.rs MAX_PLATFORM_NAME_BYTES). */
/** pixi's PixiPlatformName: at most this many bytes, a letter, then letters, digits and -, not ending in -. */
export const MAX_NAME_BYTES = 64;
export const PLATFORM_NAME = /^[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
/** Family selectors: no platform may be named after one (PixiPlatformName::try_from). */
const RESERVED_NAMES = ['linux', 'unix', 'win', 'osx', 'macos'];

/** rattler's minimal microarchitecture per subdir (Archspec::from_platform), for the subdir defaults. */
const SUBDIR_ARCHSPEC: Record<string, string> = {
  'linux-32': 'x86',
  'win-32': 'x86',
  'linux-64': 'x86_64',
  'osx-64': 'x86_64',
  'win-64': 'x86_64',
  'linux-aarch64': 'aarch64',
  'linux-armv6l': 'aarch64',
  'linux-armv7l': 'aarch64',
  'win-arm64': 'aarch64',
  'osx-arm64': 'm1',
  'linux-ppc64le': 'ppc64le',
  'linux-ppc64': 'ppc64',
  'linux-s390x': 's390x',
  'linux-riscv32': 'riscv32',
  'linux-riscv64': 'riscv64',
};

/**
 * The virtual packages pixi assumes of a subdir (subdir_default_virtual_packages; versions from
 * pixi_default_versions): `__unix`, `__linux` 4.18 and `__glibc` 2.28 on linux, `__win` 10.0,
 * `__osx` 13.0, `__archspec` at the subdir's baseline. `__cuda` is never a default.
 */
function subdirDefaults(subdir: string): readonly VirtualPackage[] {
  let defaults = DEFAULTS_BY_SUBDIR.get(subdir);
  if (!defaults) DEFAULTS_BY_SUBDIR.set(subdir, (defaults = readDefaults(subdir)));
  return defaults;
}

/** subdirDefaults' answers: asked for every package of every entry and lock row. */
const DEFAULTS_BY_SUBDIR = new Map<string, readonly VirtualPackage[]>();

function readDefaults(subdir: string): readonly VirtualPackage[] {
  const defaults: VirtualPackage[] = [];
  if (subdir.startsWith('linux-') || subdir.startsWith('osx-'))
    defaults.push({ name: '__unix', version: '0', build: '0' });
  if (subdir.startsWith('linux-')) {
    defaults.push({ name: '__linux', version: '4.18', build: '' });
    defaults.push({ name: '__glibc', version: '2.28', build: '' });
  }
  if (subdir.startsWith('win-')) defaults.push({ name: '__win', version: '10.0', build: '' });
  if (subdir.startsWith('osx-')) defaults.push({ name: '__osx', version: '13.0', build: '' });
  const arch = SUBDIR_ARCHSPEC[subdir];
  if (arch) defaults.push({ name: '__archspec', version: '0', build: arch });
  return defaults;
}

/** A virtual package as rattler writes it (GenericVirtualPackage's Display, a v7 lock's `virtual-packages`). */
function virtualPackageText(vp: VirtualPackage): string {
  return vp.build ? `${vp.name}=${vp.version}=${vp.build}` : `${vp.name}=${vp.version}`;
}

/** `__cuda=12.9`, `__archspec=0=x86_64` (a lock's text) as a package; null when it is none. */
export function parseVirtualPackage(text: string): VirtualPackage | null {
  const [name, version, ...build] = text.split('=');
  if (!name?.startsWith('__') || version === undefined) return null;
  const shown = condaVersionText(version);
  return shown === null ? null : { name: name.toLowerCase(), version: shown, build: build.join('=') };
}

function isDefault(vp: VirtualPackage, subdir: string): boolean {
  return subdirDefaults(subdir).some((d) => sameVirtualPackage(d, vp));
}

/** GenericVirtualPackage's equality: the name, the version as rattler compares it, the build. */
export function sameVirtualPackage(a: VirtualPackage, b: VirtualPackage): boolean {
  return a.name === b.name && sameVersion(a.version, b.version) && a.build === b.build;
}

/** Equal as rattler compares versions: trailing zero parts do not count (`2.28.0` is `2.28`). */
function sameVersion(a: string, b: string): boolean {
  const trimmed = (v: string) => v.replace(/(?:[._-]0+)+(?=$|\+)/, '');
  return a === b || trimmed(a) === trimmed(b);
}

/** The identity of a set of virtual packages on `subdir`: the non-default ones as text, sorted. */
export function customisedOf(packages: readonly VirtualPackage[], subdir: string): string[] {
  return packages
    .filter((vp) => !isDefault(vp, subdir))
    .map(virtualPackageText)
    .sort();
}

const U64_MAX = 2n ** 64n - 1n;

/**
 * A conda version as rattler shows it (Version's Display): lower case, numbers without leading
 * zeros, separators kept (`12.09` → `12.9`, `1.2A` → `1.2a`); null when rattler refuses it.
 */
function condaVersionText(text: string): string | null {
  // Parts joined by one of `.`, `_`, `-` (not both `_` and `-`), a trailing `_` or `-` allowed,
  // an epoch before `!`, a local part after one `+`; no number past u64.
  const segment = '[a-z0-9]+(?:[._-][a-z0-9]+)*[_-]?';
  if (!new RegExp(`^(?:[0-9]+!)?${segment}(?:\\+${segment})?$`, 'i').test(text)) return null;
  if (text.includes('_') && text.includes('-')) return null;
  if ((text.match(/[0-9]+/g) ?? []).some((digits) => BigInt(digits) > U64_MAX)) return null;
  return text.toLowerCase().replace(/[0-9]+/g, (digits) => String(BigInt(digits)));
}

/** Non-alphanumeric runs as one `-`, none at either end (sanitize_name_segment). */
function nameSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

/**
 * The name pixi derives for an unnamed entry (synthesize_name_string): the subdir, then each
 * friendly package that is not a default in FRIENDLY's order (`-cuda-12-9`), then the other
 * packages sorted by conda name, leading `_` trimmed (`-cuda-arch-8-6`).
 */
function derivedPlatformName(subdir: string, declared: readonly VirtualPackage[]): string {
  const customised = declared.filter((vp) => !isDefault(vp, subdir));
  const parts = [subdir];
  const consumed = new Set<string>();
  for (const entry of FRIENDLY) {
    const vp = customised.find((p) => p.name === entry.conda);
    if (!vp) continue;
    const fits = entry.microarch ? vp.version === '0' && vp.build !== '' : vp.build === '' || vp.build === '0';
    if (!fits) continue;
    consumed.add(entry.conda);
    parts.push(`${entry.key}-${nameSegment(entry.microarch ? vp.build : vp.version)}`);
  }
  const rest = customised
    .filter((vp) => !consumed.has(vp.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const vp of rest) {
    const value = vp.build === '' || vp.build === '0' ? vp.version : `${vp.version}=${vp.build}`;
    parts.push(`${nameSegment(vp.name.replace(/^_+/, ''))}-${nameSegment(value)}`);
  }
  return parts.join('-');
}

/** Why `name` is no platform name pixi takes (PixiPlatformName::try_from), or null. */
function platformNameProblem(name: string): string | null {
  if (name === '') return 'is empty';
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return `is longer than ${MAX_NAME_BYTES} bytes`;
  if (!PLATFORM_NAME.test(name))
    return 'is not a valid platform name (a letter, then letters, digits and -, not ending in -)';
  if (RESERVED_NAMES.includes(name))
    return `is a platform family (${RESERVED_NAMES.join(', ')}), which no platform may be named`;
  return null;
}

/**
 * Why pixi refuses this microarchitecture (validate_archspec_name), as far as we can tell
 * without archspec's database: its names are written with `_` (`x86_64_v3`, `neoverse_v1`),
 * never `-`, so a name with `-` is unknown. (pixi suggests the `_` spelling only when it is a
 * known name, which needs the database: none is suggested here.) Other unknown names are not
 * caught here.
 */
function archspecProblem(name: string): string | null {
  if (!name.includes('-')) return null;
  return `'${name}' is not a known archspec microarchitecture: archspec's names are written with '_', not '-' (e.g. x86_64_v3)`;
}

/** One version-valued package from `value` (a string), or a problem. */
function versionPackage(conda: string, value: unknown, key: string, problems: EntryProblem[]): VirtualPackage | null {
  if (typeof value !== 'string') return null; // the schema reports the type
  const version = condaVersionText(value);
  if (version === null) {
    problems.push({ key, message: `'${value}' is not a valid version` });
    return null;
  }
  return { name: conda, version, build: '' };
}

/** `cuda = "12.9"` or `cuda = { driver, arch }` (take_cuda_entry): `__cuda`, and `__cuda_arch` with an arch. */
function cudaPackages(value: unknown, problems: EntryProblem[]): VirtualPackage[] {
  if (typeof value === 'string') {
    const driver = versionPackage('__cuda', value, 'cuda', problems);
    return driver ? [driver] : [];
  }
  if (!isTable(value)) return [];
  if (value.driver === undefined) {
    problems.push({
      key: 'cuda',
      message:
        value.arch === undefined
          ? '`cuda` table must set `driver` (and optionally `arch`)'
          : '`cuda.arch` requires `cuda.driver`: `__cuda_arch` is only valid alongside `__cuda`',
    });
    return [];
  }
  const packages: VirtualPackage[] = [];
  const driver = versionPackage('__cuda', value.driver, 'cuda', problems);
  if (driver) packages.push(driver);
  if (value.arch !== undefined) {
    const arch = versionPackage('__cuda_arch', value.arch, 'cuda', problems);
    if (arch) packages.push(arch);
  }
  return packages;
}

/** A platform entry (a subdir string or a table) as pixi reads it; `subdirs`: the conda subdirs pixi knows. */
export function readPlatformEntry(entry: unknown, subdirs: readonly string[]): PlatformEntryRead | null {
  if (typeof entry === 'string') {
    const subdir = subdirs.includes(entry) ? entry : null;
    return {
      name: entry,
      subdir,
      virtualPackages: subdir ? subdirDefaults(subdir) : [],
      customised: [],
      isSubdir: true,
      problems: [],
    };
  }
  if (!isTable(entry)) return null;
  const problems: EntryProblem[] = [];
  const declared = [...cudaPackages(entry.cuda, problems)];
  for (const friendly of FRIENDLY.slice(1)) {
    const keys = [friendly.key, ...friendly.aliases].filter((k) => entry[k] !== undefined);
    if (keys.length > 1) {
      problems.push({ key: keys[1]!, message: `'${keys[1]}' is an alias for '${friendly.key}'; set only one` });
      continue;
    }
    const key = keys[0];
    if (key === undefined || typeof entry[key] !== 'string') continue;
    const value = entry[key] as string;
    if (friendly.microarch) {
      const why = value === '' ? "'archspec' requires a non-empty microarchitecture string" : archspecProblem(value);
      if (why) problems.push({ key, message: why });
      else declared.push({ name: friendly.conda, version: '0', build: value });
    } else {
      const vp = versionPackage(friendly.conda, value, key, problems);
      if (vp) declared.push(vp);
    }
  }
  for (const [key, value] of Object.entries(entry)) {
    if (!key.startsWith('__') || typeof value !== 'string') continue;
    const conda = key.toLowerCase();
    if (declared.some((vp) => vp.name === conda)) {
      problems.push({
        key,
        message: `'${conda}' is declared more than once; set it via either a friendly key or the raw '${key}' key, not both`,
      });
      continue;
    }
    const [version = '', ...build] = value.split('=');
    const vp = versionPackage(conda, version, key, problems);
    // validate_virtual_package_build_string: only __archspec's build (its microarchitecture) is checked.
    const why = conda === '__archspec' ? archspecProblem(build.join('=')) : null;
    if (why) problems.push({ key, message: why });
    else if (vp) declared.push({ ...vp, build: build.join('=') });
  }
  return resolveEntry(entry, declared, problems, subdirs);
}

/** The entry's subdir and name from what it declares (resolve_subdir, then new_with_defaults). */
function resolveEntry(
  entry: Record<string, unknown>,
  declared: VirtualPackage[],
  problems: EntryProblem[],
  subdirs: readonly string[],
): PlatformEntryRead {
  const given = typeof entry.name === 'string' ? entry.name : null;
  const platform = typeof entry.platform === 'string' ? entry.platform : null;
  let subdir: string | null = null;
  if (platform !== null)
    subdir = subdirs.includes(platform) ? platform : null; // an unknown one: manifest/unknown-platform
  else if (given !== null) {
    if (subdirs.includes(given)) subdir = given;
    else
      problems.push({
        key: 'name',
        message: `'${given}' is not a conda subdir; set 'platform' explicitly when using a custom name`,
      });
  } else problems.push({ key: null, message: "a platform entry must set at least one of 'name' or 'platform'" });
  if (declared.some((vp) => vp.name === '__cuda_arch') && !declared.some((vp) => vp.name === '__cuda'))
    problems.push({ key: '__cuda_arch', message: '`__cuda_arch` requires `__cuda` to be declared as well' });
  let name = given;
  if (given !== null) {
    const why = platformNameProblem(given);
    if (why) problems.push({ key: 'name', message: `'${given}' ${why}` });
  } else if (subdir !== null) {
    name = derivedPlatformName(subdir, declared);
    const why = platformNameProblem(name);
    if (why)
      problems.push({ key: null, message: `auto-derived platform name '${name}' ${why}; set 'name' explicitly` });
  }
  // Defaults under what the entry declares (merge_subdir_defaults): a declared package wins, and
  // a declared libc (glibc, musl, eglibc) leaves the default glibc out.
  const libc = declared.some((vp) => vp.name === '__glibc' || vp.name === '__musl' || vp.name === '__eglibc');
  const virtualPackages = subdir
    ? [
        ...declared,
        ...subdirDefaults(subdir).filter(
          (d) => !declared.some((vp) => vp.name === d.name) && !(libc && d.name === '__glibc'),
        ),
      ]
    : declared;
  const customised = subdir ? customisedOf(declared, subdir) : declared.map(virtualPackageText).sort();
  const isSubdir = name !== null && name === subdir;
  // new_with_defaults: a subdir-named entry takes no virtual packages (the defaults collapse to it).
  if (isSubdir && declared.length > 0)
    problems.push({
      key: null,
      message: `platform entry rejected: You tried to add a virtual package into a special subdir platform; either drop the virtual packages or give the entry a \`name\` distinct from its subdir`,
    });
  return { name, subdir, virtualPackages, customised, isSubdir, problems };
}
