// No function in scripts/ runs past 150 lines (style: a reader holds one step at a time). Every
// function, method, constructor, accessor, arrow and function expression is measured with the
// TypeScript parser, from its first line to its last. ALLOWED names the ones still being split.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/paths.ts';

export const MAX_FUNCTION_LINES = 150;

/** Functions over the limit that are being split elsewhere; emptied once those splits are merged. */
const ALLOWED = new Set<string>([]);

export interface FunctionSpan {
  file: string;
  name: string;
  line: number;
  lines: number;
}

/** The name a reader would search for: the declaration's, or the variable/property an arrow is assigned to. */
function functionName(node: ts.FunctionLikeDeclaration): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name && (ts.isIdentifier(node.name) || ts.isPrivateIdentifier(node.name) || ts.isStringLiteral(node.name)))
    return node.name.text;
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && ts.isIdentifier(parent.name))
    return parent.name.text;
  return '<anonymous>';
}

/** Every function-like node in `text` (a .ts or .mjs file) with its length in lines. */
export function functionSpans(file: string, text: string): FunctionSpan[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const spans: FunctionSpan[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      spans.push({
        file,
        name: functionName(node as ts.FunctionLikeDeclaration),
        line: first + 1,
        lines: last - first + 1,
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return spans;
}

function scriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return scriptFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

test('the measure counts a function from its first line to its last, nested ones on their own', () => {
  const text = [
    'export function outer() {', // 1
    '  const inner = () => {', // 2
    '    return 1;', // 3
    '  };', // 4
    '  return inner;', // 5
    '}', // 6
    'class A { method(): void {} }', // 7
  ].join('\n');
  const spans = functionSpans('x.ts', text).map(({ name, line, lines }) => [name, line, lines]);
  assert.equal(spans, [
    ['outer', 1, 6],
    ['inner', 2, 3],
    ['method', 7, 1],
  ]);
});

test(`no function in scripts/ is over ${MAX_FUNCTION_LINES} lines (but those being split)`, () => {
  const scripts = join(repoRoot, 'scripts');
  const spans = scriptFiles(scripts).flatMap((path) =>
    functionSpans(relative(repoRoot, path), readFileSync(path, 'utf8')),
  );
  assert.ok(spans.length > 100, `found only ${spans.length} functions: is the walk right?`);
  const long = spans.filter((span) => span.lines > MAX_FUNCTION_LINES && !ALLOWED.has(span.name));
  assert.equal(
    long.map((span) => `${span.file}:${span.line} ${span.name}: ${span.lines} lines`),
    [],
    `split these into named steps (at most ${MAX_FUNCTION_LINES} lines each)`,
  );
});

test.run();
