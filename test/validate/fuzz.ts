// Fuzzing validate: random byte and structure mutations of real manifests. Every outcome must
// be a report whose findings carry a rule, a message and a position: no exception, no hang.
// Used by fuzz.test.ts (fixed seed, small count, in a child process with a time limit) and by
// bench/validate (10,000 cases). Run alone: node --import tsx test/validate/fuzz.ts SEED COUNT
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'smol-toml';
import { validateManifestSource } from '../../scripts/lib/validate/index.ts';
import { seeded } from '../helpers/random.ts';
import { hasShared, repoRoot, sharedFixtures, testFixtures } from '../helpers/paths.ts';

const SIGNIFICANT = [
  '[',
  ']',
  '{',
  '}',
  '=',
  '"',
  "'",
  ',',
  '.',
  '\n',
  '#',
  '\\',
  ' ',
  '\t',
  '"""',
  '[[',
  ']]',
  '0',
  '-',
  'x',
  '\u0000',
  '\u00e9',
  '__proto__',
];

type Rand = () => number;
const pick = <T>(r: Rand, list: T[]): T => list[Math.floor(r() * list.length)]!;

function byteMutation(r: Rand, text: string): string {
  const at = Math.floor(r() * (text.length + 1));
  switch (Math.floor(r() * 6)) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 20));
    case 1:
      return text.slice(0, at) + pick(r, SIGNIFICANT) + text.slice(at);
    case 2: {
      const lines = text.split('\n');
      const i = Math.floor(r() * lines.length);
      lines.splice(i, 0, lines[Math.floor(r() * lines.length)]!);
      return lines.join('\n');
    }
    case 3: {
      const lines = text.split('\n');
      const i = Math.floor(r() * lines.length);
      const j = Math.floor(r() * lines.length);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join('\n');
    }
    case 4:
      return text.slice(0, at);
    default:
      return text.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x250)) + text.slice(at + 1);
  }
}

const STRANGE_VALUES: unknown[] = [
  0,
  -1,
  1.5,
  true,
  '',
  'x',
  ' ',
  [],
  [1, 'a'],
  {},
  { a: 1 },
  { workspace: true },
  ['linux-64'],
  '{{ x }}',
  '__proto__',
  'linux-65',
];

function structureMutation(r: Rand, text: string): string | null {
  let data: Record<string, unknown>;
  try {
    data = parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  // Walk to a random table and change one entry.
  let node: Record<string, unknown> = data;
  for (let depth = 0; depth < 4; depth++) {
    const tables = Object.entries(node).filter(
      ([, v]) => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date),
    );
    if (tables.length === 0 || r() < 0.3) break;
    node = pick(r, tables)[1] as Record<string, unknown>;
  }
  const keys = Object.keys(node);
  const key = keys.length ? pick(r, keys) : 'new-key';
  switch (Math.floor(r() * 4)) {
    case 0:
      delete node[key];
      break;
    case 1:
      node[key] = pick(r, STRANGE_VALUES);
      break;
    case 2:
      node[`${key}${pick(r, ['s', '_', '-x', 'X'])}`] = node[key] ?? 1;
      delete node[key];
      break;
    default:
      node[pick(r, ['tasks', 'depends-on', 'features', 'platforms', 'cuda', 'cmd', 'args'])] = pick(r, STRANGE_VALUES);
  }
  try {
    return stringify(data);
  } catch {
    return null;
  }
}

export function corpus(): string[] {
  const texts = [readFileSync(join(repoRoot, 'pixi.toml'), 'utf8')];
  const local = join(testFixtures, 'validate', 'manifests');
  for (const f of readdirSync(local)) texts.push(readFileSync(join(local, f), 'utf8'));
  if (hasShared) {
    const shared = join(sharedFixtures, 'pixi', 'manifests');
    for (const f of readdirSync(shared).filter((f) => f.endsWith('.toml')))
      texts.push(readFileSync(join(shared, f), 'utf8'));
  }
  return texts;
}

export interface FuzzResult {
  cases: number;
  invalid: number;
  crashes: string[];
  badFindings: string[];
  slowestMs: number;
  prototypePolluted: boolean;
}

export async function fuzz(seed: number, count: number): Promise<FuzzResult> {
  const r = seeded(seed);
  const texts = corpus();
  const result: FuzzResult = {
    cases: 0,
    invalid: 0,
    crashes: [],
    badFindings: [],
    slowestMs: 0,
    prototypePolluted: false,
  };
  for (let i = 0; i < count; i++) {
    let text = pick(r, texts);
    const rounds = 1 + Math.floor(r() * 3);
    for (let k = 0; k < rounds; k++) text = (r() < 0.5 ? structureMutation(r, text) : null) ?? byteMutation(r, text);
    const started = performance.now();
    try {
      const report = await validateManifestSource(text);
      result.cases++;
      if (!report.ok) result.invalid++;
      for (const f of [...report.errors, ...report.warnings]) {
        if (
          !/^[a-z]+\/[a-z0-9-]+$/.test(f.rule) ||
          !f.message ||
          f.line < 1 ||
          f.column < 1 ||
          typeof f.hint !== 'string'
        ) {
          result.badFindings.push(`case ${i}: ${JSON.stringify(f)}`);
        }
      }
    } catch (error) {
      result.crashes.push(
        `case ${i} (seed ${seed}): ${error instanceof Error ? (error.stack ?? error.message).split('\n').slice(0, 3).join(' | ') : String(error)}`,
      );
    }
    result.slowestMs = Math.max(result.slowestMs, performance.now() - started);
  }
  result.prototypePolluted =
    ({} as Record<string, unknown>).polluted !== undefined || Object.keys(Object.prototype).length > 0;
  return result;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const seed = Number(process.argv[2] ?? 1);
  const count = Number(process.argv[3] ?? 200);
  process.stdout.write(JSON.stringify(await fuzz(seed, count)) + '\n');
}
