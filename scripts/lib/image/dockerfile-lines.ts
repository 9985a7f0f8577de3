// A light reader of a Dockerfile's instructions in their plain forms: enough for build-image's
// no-op path (ARG, ENV, FROM, COPY, ADD) without loading dockerfile-ast. It answers null for
// anything it does not read exactly as dockerfile-ast does (heredocs, a `# escape=` directive,
// quotes or backslashes in operands, legacy `ENV NAME value`, words joined across a line
// continuation): dockerfile.ts then reads the file with dockerfile-ast.

export interface DockerInstruction {
  /** Upper case, e.g. COPY. */
  keyword: string;
  /** 1-based line where the instruction starts. */
  line: number;
  /** The operands after the keyword, flags (`--from=x`, `--platform=x`) left out for FROM, COPY and ADD. */
  arguments: string[];
  /** ARG and ENV: each NAME=value (value null for a bare `ARG NAME`), quotes removed. */
  properties: { name: string; value: string | null }[];
  /** FROM, COPY and ADD: the names of their `--flag` options. */
  flags: string[];
  /** COPY and ADD in JSON form: its strings; otherwise null. */
  json: string[] | null;
}

const NEEDS_FULL_READER = null;

/** A word without quotes, backslashes or anything a shell-like reader would treat specially. */
const PLAIN = /^[^"'\\\s]+$/;
/** NAME, NAME=plain, NAME="no quote or backslash inside", NAME='no quote inside'. */
const PROPERTY = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(?:"([^"\\]*)"|'([^'\\]*)'|([^"'\\\s]*)))?$/;

export function readPlainInstructions(text: string): DockerInstruction[] | null {
  const lines = text.split(/\r?\n/);
  // Parser directives (`# escape=`, `# syntax=`) must come first; only escape changes the reading.
  for (const line of lines) {
    const directive = /^\s*#\s*([a-z]+)\s*=/i.exec(line);
    if (!directive) break;
    if (directive[1]!.toLowerCase() === 'escape') return NEEDS_FULL_READER;
  }
  const instructions: DockerInstruction[] = [];
  let text_ = '';
  let start = 0;
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    const inside = text_ !== '';
    // Comment lines are dropped, inside a continuation too; so are blank lines inside one.
    if (/^\s*#/.test(raw) || raw.trim() === '') continue;
    if (!inside) start = index + 1;
    const continued = /\\\s*$/.exec(raw);
    const part = continued ? raw.slice(0, continued.index) : raw;
    // Words glued across a continuation (`a\` then `b`): dockerfile-ast's business.
    if (inside && !/\s$/.test(text_) && /^\S/.test(part)) return NEEDS_FULL_READER;
    text_ += part;
    if (continued) continue;
    const instruction = readInstruction(text_, start);
    if (!instruction) return NEEDS_FULL_READER;
    instructions.push(instruction);
    text_ = '';
  }
  if (text_ !== '') {
    const instruction = readInstruction(text_, start);
    if (!instruction) return NEEDS_FULL_READER;
    instructions.push(instruction);
  }
  return instructions;
}

function readInstruction(text: string, line: number): DockerInstruction | null {
  const words = text.trim().split(/\s+/);
  const keyword = words.shift()!.toUpperCase();
  const instruction: DockerInstruction = { keyword, line, arguments: words, properties: [], flags: [], json: null };
  // Only the instructions build-image reads need to be plain; a heredoc anywhere needs the full reader.
  if (/<<-?["']?[A-Za-z_]/.test(text) && /^(RUN|COPY|ADD)$/.test(keyword)) return null;
  if (keyword === 'ARG' || keyword === 'ENV') {
    // `ENV NAME value` (legacy) and `ARG NAME more…`: dockerfile-ast reads the rest as NAME's value.
    if (words.length > 1 && !words[0]!.includes('=')) return null;
    for (const word of words) {
      const match = PROPERTY.exec(word);
      if (!match) return null;
      instruction.properties.push({ name: match[1]!, value: match[2] ?? match[3] ?? match[4] ?? null });
    }
    instruction.arguments = words;
  } else if (keyword === 'FROM' || keyword === 'COPY' || keyword === 'ADD') {
    while (words[0]?.startsWith('--')) {
      const flag = words.shift()!;
      if (!/^--[a-z][a-z-]*(=[^"'\\\s]*)?$/.test(flag)) return null;
      instruction.flags.push(flag.slice(2).split('=')[0]!);
    }
    if (keyword === 'FROM') {
      if (!words.every((word) => PLAIN.test(word))) return null;
      instruction.arguments = words;
      return instruction;
    }
    const rest = words.join(' ');
    if (rest.startsWith('[')) {
      // JSON form with plain strings only (dockerfile-ast drops spaces inside them).
      let json: unknown;
      try {
        json = JSON.parse(rest);
      } catch {
        return null;
      }
      if (!Array.isArray(json) || !json.every((item) => typeof item === 'string' && PLAIN.test(item))) return null;
      instruction.json = json as string[];
    } else if (!words.every((word) => PLAIN.test(word))) {
      return null;
    }
    instruction.arguments = words;
  }
  return instruction;
}
