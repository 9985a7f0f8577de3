// The ARG defaults of a Dockerfile, with where each default is written: all validate needs
// (CUDA_VERSION). It reads them as build-image does (scripts/lib/image/dockerfile.ts): every
// ARG, global or in a stage, and for each name the first default declared. A small reader of
// the Dockerfile's line structure (parser directive `# escape=`, line continuations with the
// comment lines inside them, heredoc bodies) instead of loading dockerfile-ast keeps
// `validate` fast; test/validate/dockerfile-args.test.ts checks that both readers agree.

export interface DockerArg {
  name: string;
  /** The default, quotes removed; null for `ARG NAME` without one. */
  value: string | null;
  /** 1-based line and column of the value (of the name when there is no value). */
  line: number;
  column: number;
}

interface Piece {
  /** Offset of this piece in the instruction's joined text. */
  offset: number;
  line: number;
  column: number;
}

/** One instruction, its physical lines joined, with a map back to the lines. */
interface Instruction {
  text: string;
  pieces: Piece[];
}

export function dockerfileArgs(text: string): Map<string, DockerArg> {
  const args = new Map<string, DockerArg>();
  for (const instruction of instructions(text)) {
    const keyword = /^\s*ARG\s+/i.exec(instruction.text);
    if (!keyword) continue;
    for (const arg of readArgs(instruction, keyword[0].length)) {
      const known = args.get(arg.name);
      // build-image keeps the first default of a name; a bare `ARG NAME` adds none.
      if (!known || (known.value === null && arg.value !== null)) args.set(arg.name, arg);
    }
  }
  return args;
}

function instructions(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  const escapeChar = escapeCharacter(lines);
  const continued = new RegExp(`${escapeChar === '\\' ? '\\\\' : '`'}\\s*$`);
  const result: Instruction[] = [];
  let current: Instruction | null = null;
  let heredocs: { word: string; dash: boolean }[] = [];
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    if (heredocs.length > 0) {
      const first = heredocs[0]!;
      if ((first.dash ? raw.replace(/^\t+/, '') : raw) === first.word) heredocs.shift();
      continue;
    }
    // Comment lines are dropped, inside a continuation too; so are blank lines inside one.
    if (/^\s*#/.test(raw) || (current !== null && raw.trim() === '')) continue;
    if (current === null) {
      if (raw.trim() === '') continue;
      current = { text: '', pieces: [] };
    }
    const more = continued.exec(raw);
    const part = more ? raw.slice(0, more.index) : raw;
    current.pieces.push({ offset: current.text.length, line: index + 1, column: 1 });
    current.text += part;
    if (!more) {
      result.push(current);
      heredocs = heredocsOf(current.text);
      current = null;
    }
  }
  if (current !== null) result.push(current);
  return result;
}

/** The `# escape=` parser directive, which must come before any other line. */
function escapeCharacter(lines: string[]): string {
  for (const line of lines) {
    const directive = /^\s*#\s*([a-z]+)\s*=\s*(\S+)\s*$/i.exec(line);
    if (!directive) break;
    if (directive[1]!.toLowerCase() === 'escape' && (directive[2] === '`' || directive[2] === '\\'))
      return directive[2];
  }
  return '\\';
}

/** `RUN <<EOF` / `COPY <<-"EOT" dest`: bodies to skip, in order. */
function heredocsOf(instruction: string): { word: string; dash: boolean }[] {
  if (!/^\s*(RUN|COPY|ADD)\b/i.test(instruction)) return [];
  return [...instruction.matchAll(/<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g)].map((m) => ({
    word: m[3]!,
    dash: m[1] === '-',
  }));
}

function position(instruction: Instruction, offset: number): { line: number; column: number } {
  let piece = instruction.pieces[0]!;
  for (const candidate of instruction.pieces) if (candidate.offset <= offset) piece = candidate;
  return { line: piece.line, column: piece.column + offset - piece.offset };
}

/** `ARG A=1 B="two words" C`: each name, its default and where the default starts. */
function readArgs(instruction: Instruction, start: number): DockerArg[] {
  const args: DockerArg[] = [];
  const { text } = instruction;
  const pattern = /([A-Za-z_][A-Za-z0-9_]*)(?:=("((?:\\.|[^"\\])*)"|'([^']*)'|\S*))?/gy;
  let offset = start;
  while (offset < text.length) {
    const space = /\s+/y;
    space.lastIndex = offset;
    if (space.exec(text)) offset = space.lastIndex;
    if (offset >= text.length) break;
    pattern.lastIndex = offset;
    const part = pattern.exec(text);
    if (!part) break; // not an ARG shape Docker reads either; build-image reports it
    const name = part[1]!;
    const hasValue = part[2] !== undefined;
    const quoted = part[3] !== undefined || part[4] !== undefined;
    const value = !hasValue ? null : part[3] !== undefined ? part[3].replace(/\\(.)/g, '$1') : (part[4] ?? part[2]!);
    const valueOffset = offset + name.length + 1 + (quoted ? 1 : 0);
    args.push({ name, value, ...position(instruction, hasValue ? valueOffset : offset) });
    offset = pattern.lastIndex;
  }
  return args;
}
