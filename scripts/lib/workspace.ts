// Where the workspace is and what it says: the pixi manifest (pixi.toml, or pyproject.toml with
// a [tool.pixi] table, found as pixi finds it), read by one reader whose errors read the same in
// every script (validate reports them as findings, the others throw them), and the template's
// own [tool.pixi-condor] settings with defaults.
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { TomlError } from 'smol-toml';
import { BoundedReadError, readBounded, readBoundedText } from './bounded-read.ts';
import { UserError } from './errors.ts';
import { firstInvalidUtf8, positionOfByte } from './utf8.ts';
import { type ManifestView, pixiTomlView, pyprojectView } from './validate/pyproject.ts';

export const MANIFEST = 'pixi.toml';
export const PYPROJECT = 'pyproject.toml';
export const STATE_DIR = '.pixi-condor';
/** A manifest is a few KB (the largest real one seen: 935 lines); refuse what no manifest is. */
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;

export type ManifestKind = 'pixi' | 'pyproject';

/**
 * The manifest file of `dir` as pixi discovers it (pixi_manifest/src/discovery.rs: pixi.toml
 * first, else a pyproject.toml whose text contains `[tool.pixi`), or null.
 */
export function manifestFileIn(dir: string): string | null {
  if (existsSync(join(dir, MANIFEST))) return MANIFEST;
  const pyproject = join(dir, PYPROJECT);
  if (!existsSync(pyproject)) return null;
  try {
    return isPixiPyproject(readBoundedText(pyproject, MAX_MANIFEST_BYTES)) ? PYPROJECT : null;
  } catch {
    return null; // unreadable, not a regular file or too large: not taken for a manifest, as before
  }
}

/** A pyproject.toml is a pixi manifest when it has a [tool.pixi...] table (or a tool.pixi dotted key). */
export function isPixiPyproject(text: string): boolean {
  return text.includes('[tool.pixi') || /^\s*tool\s*\.\s*pixi\s*[.=]/m.test(text);
}

export function manifestKind(file: string): ManifestKind {
  return file.endsWith(PYPROJECT) ? 'pyproject' : 'pixi';
}

/** pixi sets PIXI_PROJECT_ROOT for tasks; elsewhere walk up from cwd to the nearest manifest. */
export function findWorkspaceRoot(start = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  const fromPixi = env.PIXI_PROJECT_ROOT;
  if (fromPixi && manifestFileIn(fromPixi)) return resolve(fromPixi);
  let dir = resolve(start);
  for (;;) {
    if (manifestFileIn(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new UserError(
        `no ${MANIFEST} in ${resolve(start)} or any folder above it (nor a ${PYPROJECT} with [tool.pixi])`,
        {
          hint: 'run this from inside your pixi-condor workspace',
          exitCode: 2,
        },
      );
    }
    dir = parent;
  }
}

export type TomlTable = Record<string, unknown>;

/** A manifest that pixi refuses to load as TOML: where, what, and the fix. */
export interface TomlProblem {
  rule: 'toml/syntax' | 'toml/encoding' | 'toml/duplicate-key';
  message: string;
  hint: string;
  line: number;
  column: number;
}

/** TOML is UTF-8 (toml.io: "A TOML file must be a valid UTF-8 encoded Unicode document"). */
export function decodeToml(bytes: Uint8Array): { text: string } | { problem: TomlProblem } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const good = firstInvalidUtf8(bytes) ?? bytes.length;
    const { line, column } = positionOfByte(bytes, good);
    const byte = bytes[good] ?? 0;
    return {
      problem: {
        rule: 'toml/encoding',
        message: `the file is not valid UTF-8 (byte 0x${byte.toString(16).padStart(2, '0')}): TOML must be UTF-8, and pixi refuses it`,
        hint: 'save the file as UTF-8 (an editor or `iconv -f latin1 -t utf-8` converts it)',
        line,
        column,
      },
    };
  }
}

/** Parse TOML text (TOML 1.1, as pixi >= 0.73 reads it); a refusal becomes a TomlProblem. */
export function parseTomlSource(text: string): { data: TomlTable } | { problem: TomlProblem } {
  // Loaded on first use, and as its one-file CommonJS build: `status` and `cancel` find the
  // workspace root without parsing TOML, and one file loads faster than the ESM build's nine.
  const { parse: parseToml, TomlError } = createRequire(import.meta.url)('smol-toml') as typeof import('smol-toml');
  let data: TomlTable;
  try {
    // Integers past 2^53 come as BigInt, not a refusal: pixi reads any i64 (toml-span).
    data = parseToml(text, { integersAsBigInt: 'asNeeded' }) as TomlTable;
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    return { problem: tomlProblem(error, text) };
  }
  const tooLarge = withoutBigInts(data, text);
  return tooLarge === null ? { data } : { problem: integerProblem(tooLarge, text) };
}

const I64_MAX = 2n ** 63n - 1n;
const I64_MIN = -(2n ** 63n);

/** A literal that may not fit in 2^53: 16 digits on (decimal), 14 on in hex, octal or binary. */
const LONG_INTEGER = /[0-9_]{16,}|0[xob][0-9a-fA-F_]{13,}/;

/**
 * Each BigInt in `value` replaced, in place, by the nearest Number (the checks read no such
 * integer exactly, and every later step may JSON.stringify the data); the first outside i64,
 * which pixi refuses, is returned (null: none). Walked only when the text has a long literal,
 * and without recursion (a hostile file nests deep).
 */
function withoutBigInts(value: unknown, text: string): bigint | null {
  if (!LONG_INTEGER.test(text)) return null;
  let refused: bigint | null = null;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const child = record[key];
      if (typeof child === 'bigint') {
        if (refused === null && (child > I64_MAX || child < I64_MIN)) refused = child;
        record[key] = Number(child);
      } else if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
  return refused;
}

/** An integer past i64, where its digits are written (else the first line). */
function integerProblem(integer: bigint, text: string): TomlProblem {
  const digits = String(integer < 0n ? -integer : integer);
  const at = text.indexOf(digits);
  const before = at < 0 ? '' : text.slice(0, at);
  const line = before.split('\n').length;
  const column = at < 0 ? 1 : at - before.lastIndexOf('\n');
  return {
    rule: 'toml/syntax',
    message: `TOML syntax error: the integer ${integer} does not fit in 64 bits (pixi reads integers from -2^63 to 2^63-1)`,
    hint: 'write it as a string, or a smaller number',
    line,
    column,
  };
}

function tomlProblem(error: TomlError, text: string): TomlProblem {
  const reason = error.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
  const sourceLine = (text.split('\n')[error.line - 1] ?? '').replace(/\r$/, '');
  const at = { line: error.line, column: error.column };
  if (reason.includes('redefine an already defined')) {
    const duplicate = duplicateKey(text, error.line, error.column);
    if (duplicate) {
      const where = duplicate.table.length ? `table \`${duplicate.table.join('.')}\`` : 'document root';
      return {
        rule: 'toml/duplicate-key',
        message: `duplicate key \`${duplicate.key}\` in ${where}`,
        hint: 'keep one of them: TOML allows each key (and table) once',
        ...at,
      };
    }
  }
  // smol-toml reports a string that runs into the end of its line as a control character in it.
  if (reason.includes('control characters are not allowed in strings') && sourceLine.length < error.column) {
    return {
      rule: 'toml/syntax',
      message: 'TOML syntax error: the string is not closed before the end of the line',
      hint: 'add the closing quote (a string over several lines needs """triple quotes""")',
      ...at,
    };
  }
  return {
    rule: 'toml/syntax',
    message: `TOML syntax error: ${reason}`,
    hint: 'fix the TOML at that position (pixi reads TOML 1.1)',
    ...at,
  };
}

const KEY_PART = /^\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*/;

/** The dotted key written at the start of `text`, part by part. */
function readDottedKey(text: string): string[] {
  const parts: string[] = [];
  let rest = text;
  for (let guard = 0; guard < 1000; guard++) {
    const match = KEY_PART.exec(rest);
    if (!match) break;
    parts.push(match[1] ?? match[2] ?? match[3]!);
    rest = rest.slice(match[0].length);
    if (!rest.startsWith('.')) break;
    rest = rest.slice(1);
  }
  return parts;
}

const HEADER = /^\s*\[\[?([^\]]*)\]\]?/;

/** Which key (and in which table) smol-toml found defined twice, read from the source around it. */
function duplicateKey(text: string, line: number, column: number): { key: string; table: string[] } | null {
  const lines = text.split('\n');
  const current = lines[line - 1] ?? '';
  const header = HEADER.exec(current);
  if (header) {
    const parts = readDottedKey(header[1]!);
    if (parts.length === 0) return null;
    return { key: parts[parts.length - 1]!, table: parts.slice(0, -1) };
  }
  const parts = readDottedKey(current.slice(Math.max(0, column - 1)));
  if (parts.length === 0) return null;
  let table: string[] = [];
  for (let i = line - 2; i >= 0; i--) {
    const above = HEADER.exec(lines[i]!);
    if (above) {
      table = readDottedKey(above[1]!);
      break;
    }
  }
  return { key: parts[parts.length - 1]!, table: [...table, ...parts.slice(0, -1)] };
}

/** The UserError a TomlProblem is in scripts that stop on it (exit 1: the file was read and is invalid). */
export function tomlUserError(problem: TomlProblem, file: string): UserError {
  return new UserError(problem.message, {
    file,
    line: problem.line,
    column: problem.column,
    hint: problem.hint,
    exitCode: 1,
  });
}

/** Parse TOML text; a syntax error becomes a UserError with file, line and column. */
export function parseTomlText(text: string, file: string): TomlTable {
  const parsed = parseTomlSource(text);
  if ('problem' in parsed) throw tomlUserError(parsed.problem, file);
  return parsed.data;
}

/** A text file the scripts read whole besides the manifest (the Dockerfile): far smaller than this. */
export const MAX_TEXT_BYTES = 8 * 1024 * 1024;

/** Read a file as text (UTF-8, replacing bad bytes: for files whose format allows any bytes), bounded. */
export async function readText(path: string, displayPath = path, limit = MAX_TEXT_BYTES): Promise<string> {
  try {
    return readBoundedText(path, limit);
  } catch (error) {
    throw readError(error, displayPath, limit);
  }
}

function readError(error: unknown, displayPath: string, limit: number, what = 'file'): UserError {
  if (error instanceof BoundedReadError) {
    if (error.problem === 'missing') return new UserError(`${displayPath} does not exist`, { exitCode: 2 });
    if (error.problem === 'not-a-file')
      return new UserError(`cannot read ${displayPath}: not a regular file`, { exitCode: 2 });
    if (error.problem === 'too-large')
      return new UserError(`${displayPath} is ${error.size} bytes; a ${what} is far smaller (limit ${limit})`, {
        exitCode: 2,
      });
    return new UserError(`cannot read ${displayPath}: ${error.code ?? 'unreadable'}`, { exitCode: 2 });
  }
  const code = (error as NodeJS.ErrnoException).code;
  return new UserError(`cannot read ${displayPath}: ${code ?? String(error)}`, { exitCode: 2 });
}

/** The bytes of a manifest, at most MAX_MANIFEST_BYTES; a FIFO, a device or a huge file is refused. */
export async function readManifestBytes(path: string, displayPath = path): Promise<Uint8Array> {
  try {
    return readBounded(path, MAX_MANIFEST_BYTES);
  } catch (error) {
    throw readError(error, displayPath, MAX_MANIFEST_BYTES, 'pixi manifest');
  }
}

export interface Manifest {
  /** Absolute path of the manifest file. */
  path: string;
  /** Its name for messages: pixi.toml or pyproject.toml. */
  file: string;
  kind: ManifestKind;
  text: string;
  /** The manifest as pixi composes it, in pixi.toml's shape (for pyproject.toml: [tool.pixi] and more). */
  data: TomlTable;
  view: ManifestView;
}

/** Decode and parse manifest bytes: the one reader every script uses. */
export function readManifestSource(
  bytes: Uint8Array,
  kind: ManifestKind,
): { text: string; view: ManifestView } | { text: string | null; problem: TomlProblem } {
  const decoded = decodeToml(bytes);
  if ('problem' in decoded) return { text: null, problem: decoded.problem };
  const parsed = parseTomlSource(decoded.text);
  if ('problem' in parsed) return { text: decoded.text, problem: parsed.problem };
  return { text: decoded.text, view: kind === 'pyproject' ? pyprojectView(parsed.data) : pixiTomlView(parsed.data) };
}

/** The workspace's manifest; a file pixi would refuse is a UserError with its position. */
export async function readManifest(root: string): Promise<Manifest> {
  const file = manifestFileIn(root) ?? MANIFEST;
  const path = join(root, file);
  const kind = manifestKind(file);
  const read = readManifestSource(await readManifestBytes(path, file), kind);
  if ('problem' in read) throw tomlUserError(read.problem, file);
  return { path, file, kind, text: read.text, data: read.view.data, view: read.view };
}

/** The template's settings, [tool.pixi-condor], with every default filled in. */
export interface TemplateConfig {
  /** Image repository without tag; may contain `{owner}` to be filled from the git remote. */
  repository: string;
  /** The pixi environment the image ships. */
  environment: string;
  /** Container platform for docker build --platform. */
  platform: string;
  submitFile: string;
  dockerfile: string;
  /** Immutable content tag template: {environment} {codename} {cuda} {hash}. */
  tag: string;
  /** Moving tag pushed beside it, as the seed names its images. */
  movingTag: string;
  /** Overrides of Dockerfile ARG defaults (e.g. the base images). */
  buildArgs: Record<string, string>;
  /** build-image also makes (and pushes) a SIF of the image for Apptainer (build-image --sif). */
  sif: boolean;
}

export const CONFIG_DEFAULTS: TemplateConfig = {
  repository: 'ghcr.io/{owner}/pixi-condor',
  environment: 'default',
  platform: 'linux/amd64',
  submitFile: 'mnist_gpu_docker.sub',
  dockerfile: 'Dockerfile',
  tag: '{environment}-{codename}-cuda{cuda}-{hash}',
  movingTag: '{environment}-{codename}-cuda{cuda}',
  buildArgs: {},
  sif: false,
};

const CONFIG_KEYS: Record<string, keyof TemplateConfig> = {
  repository: 'repository',
  environment: 'environment',
  platform: 'platform',
  'submit-file': 'submitFile',
  dockerfile: 'dockerfile',
  tag: 'tag',
  'moving-tag': 'movingTag',
  'build-args': 'buildArgs',
  sif: 'sif',
};

/**
 * Read [tool.pixi-condor] leniently: validate (schema/) reports every mistake with its
 * position; here a wrong type is one clear error so the other scripts never guess.
 */
export function templateConfig(manifest: TomlTable, file = MANIFEST): TemplateConfig {
  const tool = (manifest.tool as TomlTable | undefined)?.['pixi-condor'] as TomlTable | undefined;
  const config: TemplateConfig = { ...CONFIG_DEFAULTS, buildArgs: {} };
  if (!tool) return config;
  for (const [key, value] of Object.entries(tool)) {
    const field = CONFIG_KEYS[key];
    if (!field) {
      throw new UserError(`unknown key '${key}' in [tool.pixi-condor]`, {
        file,
        hint: `known keys: ${Object.keys(CONFIG_KEYS).join(', ')} (run \`pixi run validate\` for positions)`,
      });
    }
    if (field === 'buildArgs') {
      if (
        typeof value !== 'object' ||
        value === null ||
        Array.isArray(value) ||
        Object.values(value).some((v) => typeof v !== 'string')
      ) {
        throw new UserError(`[tool.pixi-condor] build-args must be a table of strings`, { file });
      }
      config.buildArgs = { ...(value as Record<string, string>) };
    } else if (field === 'sif') {
      if (typeof value !== 'boolean') throw new UserError('[tool.pixi-condor] sif must be true or false', { file });
      config.sif = value;
    } else {
      if (typeof value !== 'string' || value === '') {
        throw new UserError(`[tool.pixi-condor] ${key} must be a non-empty string`, { file });
      }
      // These reach docker and condor_submit command lines: a leading '-' would read as an option.
      if (value.startsWith('-') && field !== 'submitFile' && field !== 'dockerfile') {
        throw new UserError(`[tool.pixi-condor] ${key} must not begin with '-'`, {
          file,
          hint: `write a ${key} such as ${JSON.stringify(CONFIG_DEFAULTS[field])}`,
        });
      }
      config[field] = value;
    }
  }
  return config;
}

/** A path relative to the workspace root, for messages. */
export function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') ? rel : path;
}
