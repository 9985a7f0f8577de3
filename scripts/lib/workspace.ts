// Where the workspace is and what it says: the pixi manifest (parsed with smol-toml, which
// reads TOML 1.1 as pixi does) and the template's own [tool.pixi-condor] settings with defaults.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { UserError } from './errors.ts';

export const MANIFEST = 'pixi.toml';
export const STATE_DIR = '.pixi-condor';

/** pixi sets PIXI_PROJECT_ROOT for tasks; elsewhere walk up from cwd to the nearest pixi.toml. */
export function findWorkspaceRoot(start = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  const fromPixi = env.PIXI_PROJECT_ROOT;
  if (fromPixi && existsSync(join(fromPixi, MANIFEST))) return resolve(fromPixi);
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, MANIFEST))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new UserError(`no ${MANIFEST} in ${resolve(start)} or any folder above it`, {
        hint: 'run this from inside your pixi-condor workspace',
        exitCode: 2,
      });
    }
    dir = parent;
  }
}

export type TomlTable = Record<string, unknown>;

/** Parse TOML text; a syntax error becomes a UserError with file, line and column. */
export function parseTomlText(text: string, file: string): TomlTable {
  // Loaded on first use, and as its one-file CommonJS build: `status` and `cancel` find the
  // workspace root without parsing TOML, and one file loads faster than the ESM build's nine.
  const { parse: parseToml, TomlError } = createRequire(import.meta.url)('smol-toml') as typeof import('smol-toml');
  try {
    return parseToml(text) as TomlTable;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new UserError(`TOML syntax error: ${reason}`, {
        file,
        line: error.line,
        column: error.column,
        hint: 'fix the TOML syntax at that position (pixi reads TOML 1.1)',
        // The file was read; it is invalid: exit 1, as `validate` reports it.
        exitCode: 1,
      });
    }
    throw error;
  }
}

export async function readText(path: string, displayPath = path): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? `${displayPath} does not exist` : `cannot read ${displayPath}: ${code ?? String(error)}`,
      {
        exitCode: 2,
      },
    );
  }
}

export interface Manifest {
  /** Absolute path of pixi.toml. */
  path: string;
  text: string;
  data: TomlTable;
}

export async function readManifest(root: string): Promise<Manifest> {
  const path = join(root, MANIFEST);
  const text = await readText(path, MANIFEST);
  return { path, text, data: parseTomlText(text, MANIFEST) };
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
};

/**
 * Read [tool.pixi-condor] leniently: validate (schema/) reports every mistake with its
 * position; here a wrong type is one clear error so the other scripts never guess.
 */
export function templateConfig(manifest: TomlTable): TemplateConfig {
  const tool = (manifest.tool as TomlTable | undefined)?.['pixi-condor'] as TomlTable | undefined;
  const config: TemplateConfig = { ...CONFIG_DEFAULTS, buildArgs: {} };
  if (!tool) return config;
  for (const [key, value] of Object.entries(tool)) {
    const field = CONFIG_KEYS[key];
    if (!field) {
      throw new UserError(`unknown key '${key}' in [tool.pixi-condor]`, {
        file: MANIFEST,
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
        throw new UserError(`[tool.pixi-condor] build-args must be a table of strings`, { file: MANIFEST });
      }
      config.buildArgs = { ...(value as Record<string, string>) };
    } else {
      if (typeof value !== 'string' || value === '') {
        throw new UserError(`[tool.pixi-condor] ${key} must be a non-empty string`, { file: MANIFEST });
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
