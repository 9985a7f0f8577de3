// Line and column of a JSON pointer in TOML source. Values come from smol-toml; only the
// positions come from toml-eslint-parser's syntax tree (never its getStaticTOMLValue, which
// pollutes Object.prototype on `__proto__` keys). The tree costs ~10 ms per 1,000 lines, so it
// is built only when a finding in the manifest has to be reported.
import type { AST } from 'toml-eslint-parser';
import { splitPointer } from './json-pointer.ts';

export interface Position {
  line: number;
  column: number;
}

interface Entry {
  key: Position;
  value: Position;
}

const start = (node: { loc: { start: { line: number; column: number } } }): Position => ({
  line: node.loc.start.line,
  column: node.loc.start.column + 1,
});

/** One place in the TOML tree; children by key (or array index). A trie, so a dotted key of n parts costs O(n). */
interface PositionNode {
  entry: Entry | null;
  children: Map<string, PositionNode> | null;
}

const newNode = (): PositionNode => ({ entry: null, children: null });

function child(node: PositionNode, segment: string): PositionNode {
  node.children ??= new Map();
  let next = node.children.get(segment);
  if (!next) node.children.set(segment, (next = newNode()));
  return next;
}

/** A dotted key or table header seen first keeps its position (e.g. [a.b] before [a.b.c]). */
function mark(node: PositionNode, key: Position, value: Position): void {
  node.entry ??= { key, value };
}

export class TomlPositions {
  private readonly root = newNode();

  private constructor() {}

  /** Index every table, key and array element of `text`; null when the tree cannot be built. */
  static async build(text: string): Promise<TomlPositions | null> {
    const { parseTOML } = await import('toml-eslint-parser');
    let program: AST.TOMLProgram;
    try {
      program = parseTOML(text);
    } catch {
      return null;
    }
    const index = new TomlPositions();
    // Arrays of tables: resolvedKey already carries the element index.
    for (const item of program.body[0].body) {
      if (item.type === 'TOMLTable') {
        // [a.b.c] also opens a and a.b: point at the header for those (unless seen earlier).
        let node = index.root;
        const header = start(item.key);
        for (const segment of item.resolvedKey) {
          node = child(node, String(segment));
          if (typeof segment === 'string') mark(node, header, header);
        }
        mark(node, header, start(item));
        for (const kv of item.body) index.keyValue(node, kv);
      } else {
        index.keyValue(index.root, item);
      }
    }
    return index;
  }

  private keyValue(base: PositionNode, kv: AST.TOMLKeyValue): void {
    const parts = kv.key.keys;
    let node = base;
    // Every prefix of a dotted key is a table that starts at that key part.
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      node = child(node, part.type === 'TOMLBare' ? part.name : part.value);
      if (i < parts.length - 1) mark(node, start(part), start(part));
      else mark(node, start(part), start(kv.value));
    }
    this.content(node, kv.value);
  }

  private content(node: PositionNode, value: AST.TOMLContentNode): void {
    // An explicit stack: deeply nested arrays and inline tables must not overflow the call stack.
    const stack: [PositionNode, AST.TOMLContentNode][] = [[node, value]];
    while (stack.length > 0) {
      const [target, content] = stack.pop()!;
      if (content.type === 'TOMLInlineTable') {
        for (const kv of content.body) this.keyValue(target, kv);
      } else if (content.type === 'TOMLArray') {
        content.elements.forEach((element, i) => {
          const elementNode = child(target, String(i));
          mark(elementNode, start(element), start(element));
          stack.push([elementNode, element]);
        });
      }
    }
  }

  /** The position of `pointer`, or of its nearest ancestor that exists in the source. */
  locate(pointer: string, at: 'key' | 'value' = 'value'): Position {
    const segments = splitPointer(pointer);
    let node: PositionNode | undefined = this.root;
    let found: Entry | null = null;
    let depth = 0;
    for (const segment of segments) {
      node = node.children?.get(segment);
      if (!node) break;
      depth++;
      if (node.entry) found = node.entry;
    }
    if (!found) return { line: 1, column: 1 };
    return depth === segments.length && node?.entry === found ? found[at] : found.key;
  }
}

/**
 * The position TomlPositions.locate gives a one-segment pointer naming a top-level table, when
 * the first line that could define that table is its plain `[name]` header; null when anything
 * might define it earlier (a dotted key, an inline table, a quoted name, a multi-line string),
 * so the caller builds the whole index instead. Reads lines only: no syntax tree.
 */
export function locateTableHeader(text: string, pointer: string): Position | null {
  const segments = splitPointer(pointer);
  if (segments.length !== 1) return null;
  const name = segments[0]!;
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // A multi-line string could hide or fake any line after it.
    if (line.includes('"""') || line.includes("'''")) return null;
    const header = /^(\s*)\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?\r?$/.exec(line);
    if (header) {
      if (header[2] !== name) continue;
      // The index points at the header's key for the table, as key and as value alike.
      return { line: i + 1, column: line.indexOf(name, header[1]!.length) + 1 };
    }
    // Anything else mentioning the name may define the table first ([name.x], name.x = 1, "name" = …).
    if (line.includes(name)) {
      const trimmed = line.trimStart();
      if (!trimmed.startsWith('#')) return null;
    }
  }
  return null;
}
