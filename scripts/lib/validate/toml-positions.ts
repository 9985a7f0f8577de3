// Line and column of a JSON pointer in TOML source. Values come from smol-toml; only the
// positions come from toml-eslint-parser's syntax tree (never its getStaticTOMLValue, which
// pollutes Object.prototype on `__proto__` keys). The tree costs ~10 ms per 1,000 lines, so it
// is built only when a finding in the manifest has to be reported.
import type { AST } from 'toml-eslint-parser';
import { pointerOf, splitPointer } from './json-pointer.ts';

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

export class TomlPositions {
  private readonly entries = new Map<string, Entry>();

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
        const path = item.resolvedKey.map(String);
        // [a.b.c] also opens a and a.b: point at the header for those (unless seen earlier).
        for (let i = 1; i < path.length; i++)
          if (typeof item.resolvedKey[i - 1] === 'string')
            index.set(path.slice(0, i), start(item.key), start(item.key));
        index.set(path, start(item.key), start(item));
        for (const kv of item.body) index.keyValue(path, kv);
      } else {
        index.keyValue([], item);
      }
    }
    return index;
  }

  private set(path: string[], key: Position, value: Position): void {
    const pointer = pointerOf(path);
    // A dotted key or table header seen first keeps its position (e.g. [a.b] before [a.b.c]).
    if (!this.entries.has(pointer)) this.entries.set(pointer, { key, value });
  }

  private keyValue(base: string[], kv: AST.TOMLKeyValue): void {
    const names = kv.key.keys.map((k) => (k.type === 'TOMLBare' ? k.name : k.value));
    // Every prefix of a dotted key is a table that starts at that key part.
    for (let i = 0; i < names.length - 1; i++) {
      const part = kv.key.keys[i]!;
      this.set([...base, ...names.slice(0, i + 1)], start(part), start(part));
    }
    const path = [...base, ...names];
    this.set(path, start(kv.key.keys[names.length - 1]!), start(kv.value));
    this.content(path, kv.value);
  }

  private content(path: string[], node: AST.TOMLContentNode): void {
    if (node.type === 'TOMLInlineTable') {
      for (const kv of node.body) this.keyValue(path, kv);
    } else if (node.type === 'TOMLArray') {
      node.elements.forEach((element, i) => {
        const elementPath = [...path, String(i)];
        this.set(elementPath, start(element), start(element));
        this.content(elementPath, element);
      });
    }
  }

  /** The position of `pointer`, or of its nearest ancestor that exists in the source. */
  locate(pointer: string, at: 'key' | 'value' = 'value'): Position {
    const segments = splitPointer(pointer);
    for (let n = segments.length; n > 0; n--) {
      const entry = this.entries.get(pointerOf(segments.slice(0, n)));
      if (entry) return n === segments.length ? entry[at] : entry.key;
    }
    return { line: 1, column: 1 };
  }
}
