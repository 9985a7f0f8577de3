// What build-image needs to know from the Dockerfile, read with dockerfile-ast: the ARGs it
// declares (with defaults), the context sources of every COPY/ADD (not `--from`, not URLs, not
// heredocs) with ARG/ENV references expanded, and the final stage's base image.
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { UserError } from '../errors.ts';

export interface CopySource {
  /** 1-based Dockerfile line, for messages. */
  line: number;
  keyword: 'COPY' | 'ADD';
  /** Sources relative to the context, variables expanded. */
  sources: string[];
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

function line(instruction: Instruction): number {
  return instruction.getRange().start.line + 1;
}

/** The Dockerfile's instructions, parsed once and resolved as often as needed. */
export function parseDockerfile(text: string): Instruction[] {
  return DockerfileParser.parse(text).getInstructions();
}

/**
 * Resolve a Dockerfile (its text, or its parsed instructions; `file` names it in messages)
 * against the effective build args (Dockerfile defaults overridden by what the build passes).
 */
export function readDockerfile(
  source: string | Instruction[],
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
  let finalImage: string | null = null;

  for (const instruction of instructions) {
    const keyword = instruction.getKeyword();
    if (keyword === 'ARG') {
      // `ARG A=1 B=2` declares both, as Docker does.
      const properties = (
        instruction as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }
      ).getProperties();
      for (const property of properties) {
        const name = property.getName();
        const declared = property.getValue();
        if (!args.has(name) || (args.get(name) === null && declared !== null))
          args.set(name, declared === null ? null : unquote(declared));
        const scope = stage ?? globals;
        const fromDefault =
          declared === null ? (stage ? globals.get(name) : undefined) : expandVariables(unquote(declared), scope);
        const value = buildArgs.get(name) ?? fromDefault;
        if (value !== undefined) scope.set(name, value);
      }
    } else if (keyword === 'ENV' && stage) {
      const properties = (
        instruction as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }
      ).getProperties();
      for (const property of properties)
        stage.set(property.getName(), expandVariables(unquote(property.getValue() ?? ''), stage));
    } else if (keyword === 'FROM') {
      const image = instruction
        .getArguments()
        .map((a) => a.getValue())
        .find((v) => !v.startsWith('--'));
      finalImage = image ? expandVariables(image, globals) : null;
      stage = new Map();
    } else if (keyword === 'COPY' || keyword === 'ADD') {
      const copy = instruction as unknown as {
        getFlags(): { getName(): string }[];
        getJSONStrings(): { getJSONValue(): string }[];
      };
      if (copy.getFlags().some((flag) => flag.getName() === 'from')) continue;
      const json = copy.getJSONStrings();
      const operands =
        json.length > 0 ? json.map((s) => s.getJSONValue()) : instruction.getArguments().map((a) => a.getValue());
      if (operands.length < 2) {
        throw new UserError(`${keyword} needs at least one source and a destination`, {
          file,
          line: line(instruction),
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
      if (sources.length > 0) copies.push({ line: line(instruction), keyword, sources });
    }
  }
  return { args, copies, finalImage };
}
