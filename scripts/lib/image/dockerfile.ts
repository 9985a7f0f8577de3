// What build-image needs to know from the Dockerfile: the ARGs it declares (with defaults), the
// context sources of every COPY/ADD (not `--from`, not URLs, not heredocs) with ARG/ENV
// references expanded, and the final stage's base image. The instructions come from a light
// reader of the plain forms (dockerfile-lines.ts); a Dockerfile using anything else (heredocs,
// `# escape=`, quoted or escaped operands) is read with dockerfile-ast, which is loaded only
// then (~35 modules, ~40 ms). test/image/dockerfile.test.ts checks both readers agree.
import { createRequire } from 'node:module';
import { posix } from 'node:path';
import { UserError } from '../errors.ts';
import { readPlainInstructions, type DockerInstruction } from './dockerfile-lines.ts';

export interface CopySource {
  /** 1-based Dockerfile line, for messages. */
  line: number;
  keyword: 'COPY' | 'ADD';
  /** Sources relative to the context, variables expanded. */
  sources: string[];
  /** Where they go, variables expanded, against the stage's WORKDIR (`/` when none is set): absolute. */
  destination: string;
  /** The destination names a folder (it ends in `/`, or there are several sources): each source lands inside it. */
  intoFolder: boolean;
  /** The stage it is in (0 for the first FROM's). */
  stage: number;
}

export interface DockerfileModel {
  /** Every ARG name the Dockerfile declares, global or in a stage, with its default (null: none). */
  args: Map<string, string | null>;
  copies: CopySource[];
  /** The last FROM's image, expanded with the effective build args (e.g. ghcr.io/prefix-dev/pixi:0.76.1-noble). */
  finalImage: string | null;
}

/** Build args Docker knows without an ARG line (proxies); passing them never warns. */
export const PREDEFINED_ARGS = new Set([
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
]);

/**
 * Expand `$NAME`, `${NAME}`, `${NAME:-word}` and `${NAME:+word}` as Docker does in COPY and
 * FROM; unknown names become empty.
 */
export function expandVariables(text: string, vars: Map<string, string>): string {
  return text.replace(
    /\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced, op, word, bare) => {
      if (match === '\\$') return '$';
      const name = (braced ?? bare) as string;
      const value = vars.get(name);
      if (op === '-') return value ? value : (word as string);
      if (op === '+') return value ? (word as string) : '';
      return value ?? '';
    },
  );
}

function unquote(value: string): string {
  return value.length >= 2 && /^(["']).*\1$/s.test(value) ? value.slice(1, -1) : value;
}

/** The Dockerfile's instructions, read once and resolved as often as needed. */
export function parseDockerfile(text: string): DockerInstruction[] {
  return readPlainInstructions(text) ?? parseWithDockerfileAst(text);
}

/** dockerfile-ast's reading, in the same shape (CommonJS: a synchronous require, only when needed). */
export function parseWithDockerfileAst(text: string): DockerInstruction[] {
  const { DockerfileParser } = createRequire(import.meta.url)('dockerfile-ast') as typeof import('dockerfile-ast');
  type Property = { getName(): string; getValue(): string | null };
  type WithExtras = {
    getProperties?(): Property[];
    getFlags?(): { getName(): string }[];
    getJSONStrings?(): { getJSONValue(): string }[];
  };
  return DockerfileParser.parse(text)
    .getInstructions()
    .map((instruction) => {
      const extra = instruction as unknown as WithExtras;
      const keyword = instruction.getKeyword();
      const json = extra.getJSONStrings?.() ?? [];
      return {
        keyword,
        line: instruction.getRange().start.line + 1,
        arguments: instruction.getArguments().map((a) => a.getValue()),
        properties:
          keyword === 'ARG' || keyword === 'ENV'
            ? (extra.getProperties?.() ?? []).map((p) => ({ name: p.getName(), value: p.getValue() }))
            : [],
        flags: (extra.getFlags?.() ?? []).map((flag) => flag.getName()),
        json: json.length > 0 ? json.map((j) => j.getJSONValue()) : null,
      };
    });
}

/**
 * Resolve a Dockerfile (its text, or its parsed instructions; `file` names it in messages)
 * against the effective build args (Dockerfile defaults overridden by what the build passes).
 */
export function readDockerfile(
  source: string | DockerInstruction[],
  file: string,
  buildArgs: Map<string, string> = new Map(),
): DockerfileModel {
  const instructions = typeof source === 'string' ? parseDockerfile(source) : source;
  const args = new Map<string, string | null>();
  const copies: CopySource[] = [];
  // Global ARGs (before the first FROM) are visible to FROM lines, and to a stage only once
  // it redeclares them; stage ARGs and ENVs are visible for the rest of their stage.
  const globals = new Map<string, string>();
  let stage: Map<string, string> | null = null;
  let stageIndex = -1;
  let workdir = '/';
  let finalImage: string | null = null;

  for (const instruction of instructions) {
    const { keyword } = instruction;
    if (keyword === 'ARG') {
      // `ARG A=1 B=2` declares both, as Docker does.
      for (const { name, value: declared } of instruction.properties) {
        if (!args.has(name) || (args.get(name) === null && declared !== null))
          args.set(name, declared === null ? null : unquote(declared));
        const scope = stage ?? globals;
        const fromDefault =
          declared === null ? (stage ? globals.get(name) : undefined) : expandVariables(unquote(declared), scope);
        const value = buildArgs.get(name) ?? fromDefault;
        if (value !== undefined) scope.set(name, value);
      }
    } else if (keyword === 'ENV' && stage) {
      for (const { name, value } of instruction.properties)
        stage.set(name, expandVariables(unquote(value ?? ''), stage));
    } else if (keyword === 'FROM') {
      const image = instruction.arguments.find((v) => !v.startsWith('--'));
      finalImage = image ? expandVariables(image, globals) : null;
      stage = new Map();
      stageIndex++;
      workdir = '/';
    } else if (keyword === 'WORKDIR' && stage && instruction.arguments[0] !== undefined) {
      workdir = posix.resolve(workdir, expandVariables(instruction.arguments.join(' '), stage));
    } else if (keyword === 'COPY' || keyword === 'ADD') {
      if (instruction.flags.includes('from')) continue;
      const operands = instruction.json ?? instruction.arguments;
      if (operands.length < 2) {
        throw new UserError(`${keyword} needs at least one source and a destination`, {
          file,
          line: instruction.line,
          exitCode: 2,
        });
      }
      // A heredoc's content is in the Dockerfile itself, which the hash covers already.
      if (operands[0]!.startsWith('<<')) continue;
      const vars = stage ?? globals;
      const sources = operands
        .slice(0, -1)
        .map((source) => expandVariables(source, vars))
        // ADD may fetch URLs and git repositories: not context files.
        .filter((source) => !(keyword === 'ADD' && /^(https?:\/\/|git@|git:\/\/)/.test(source)));
      const written = expandVariables(operands[operands.length - 1]!, vars);
      const destination = posix.resolve(workdir, written);
      if (sources.length > 0)
        copies.push({
          line: instruction.line,
          keyword,
          sources,
          destination,
          // `.` (the WORKDIR) and the WORKDIR itself are folders whatever their spelling.
          intoFolder: written.endsWith('/') || operands.length > 2 || destination === workdir,
          stage: Math.max(0, stageIndex),
        });
    }
  }
  return { args, copies, finalImage };
}
