// Fuzzing the submit-language reader and planner with the classes of issue 13: mutated real
// submit files, macros that grow at every level (size-bounded expansion), very long keys and
// values, odd files named by `include :` and `queue … from` (/dev/zero, directories, missing,
// sparse huge files), `queue … from` tables with CRLF, blank lines, quotes, commas and slices, and
// credentials that must never leave (a token in the environment, in an included .env, pasted on
// its own line). Every outcome must be a plan or a UserError, within a time bound, and nothing
// printed may hold the token.
// Used by fuzz.test.ts (fixed seed, in a child process with a time limit). Run alone:
//   node --import tsx test/submit-language/fuzz.ts SEED COUNT
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../scripts/lib/errors.ts';
import { parseSubmitText } from '../../scripts/lib/submit-language/submit-file.ts';
import { planSubmit } from '../../scripts/lib/submit-language/submit-plan.ts';
import { repoRoot } from '../helpers/paths.ts';
import { mutate, randomInt, SUBMIT_MUTATION_PIECES, seeded } from '../helpers/random.ts';

export const CLASSES = ['mutated', 'growing-macros', 'long-keys', 'odd-files', 'tables', 'secrets'] as const;
type FuzzClass = (typeof CLASSES)[number];

export interface FuzzResult {
  cases: number;
  byClass: Record<FuzzClass, number>;
  plans: number;
  userErrors: number;
  crashes: string[];
  leaks: string[];
  slowestMs: number;
  slowestClass: FuzzClass | null;
}

const TOKEN = `ghp_${'Q7'.repeat(18)}`;
const SLOW_MS = 10_000;

type Rand = () => number;
const pick = <T>(r: Rand, list: readonly T[]): T => list[randomInt(r, 0, list.length - 1)]!;

const PIECES = [
  ...SUBMIT_MUTATION_PIECES,
  'error : stop\n',
  'warning : note\n',
  'shell = echo hi\n',
  'include ifexist : x\n',
  'include command : ls\n',
  '+= ',
  '-Attr = 1\n',
  '\r\n',
  '\u0000',
  '\x1f',
];

/** One generated case: the submit text (and files it names, written into `dir`). */
function generate(r: Rand, kind: FuzzClass, dir: string, sources: string[]): string {
  const exe = 'executable = /bin/true\n';
  switch (kind) {
    case 'mutated':
      return mutate(r, pick(r, sources), PIECES, 6);
    case 'growing-macros': {
      const levels = randomInt(r, 10, 40);
      const fanout = randomInt(r, 2, 4);
      const lines = Array.from(
        { length: levels },
        (_, i) => `M${i} = ${Array.from({ length: fanout }, () => `$(M${i + 1})`).join(pick(r, ['', ' ', ',']))}`,
      );
      lines.push(`M${levels} = ${pick(r, ['', 'x', 'abcdefgh'.repeat(randomInt(r, 1, 100))])}`);
      const use = pick(r, ['arguments = $(M0)', 'request_memory = $INT(M0)', 'if $(M0)\nendif', 'queue x in $(M0)']);
      return `${exe}${lines.join('\n')}\n${use}\n${use.startsWith('queue') ? '' : 'queue\n'}`;
    }
    case 'long-keys': {
      const key = pick(r, ['k', '+K', 'MY.k', 'x.y']).padEnd(randomInt(r, 1000, 70_000), 'k');
      const value = 'v'.repeat(randomInt(r, 0, 70_000));
      return pick(r, [
        `${exe}${key} = ${value}\nqueue`,
        `${exe}${key} = 1\n${key} = $(${key}) 2\narguments = $(${key})\nqueue`,
        `${exe}transfer_input_files = ${value || 'v'}\nqueue`,
        `${exe}${key} @=end\n${value}\n@end\nqueue`,
        `${exe}if defined ${key}\nendif\nqueue`,
      ]);
    }
    case 'odd-files': {
      const target = pick(r, [
        '/dev/zero',
        '/dev/null',
        dir,
        join(dir, 'missing'),
        join(dir, 'sparse'),
        '/proc/self/status',
      ]);
      return pick(r, [
        `${exe}include : ${target}\nqueue`,
        `${exe}include ifexist : ${target}\nqueue`,
        `${exe}queue x from ${target}`,
        `${exe}queue x, y from [1:] ${target}`,
      ]);
    }
    case 'tables': {
      const rows = randomInt(r, 0, 30);
      const cells = ['0.1', '"a, b"', "'q'", '', ' ', '\t7', '#x', 'with, commas', '\x1fus', '1e-3', 'é', '\\'];
      const eol = pick(r, ['\n', '\r\n']);
      const body = Array.from({ length: rows }, () =>
        Array.from({ length: randomInt(r, 0, 4) }, () => pick(r, cells)).join(pick(r, [',', ' ', ', ', '\t'])),
      ).join(eol);
      writeFileSync(join(dir, 'table.csv'), body + pick(r, ['', eol, eol + eol]));
      const vars = pick(r, ['a', 'a, b', 'a b c', 'lr, seed, note']);
      const slice = pick(r, ['', '[1:] ', '[::2] ', '[-2:] ', '[2] ', '[0:0] ', '[::0] ', '[x] ']);
      const source = pick(r, ['table.csv', `(${body.split(eol)[0] ?? ''})`, `(\n${body}\n)`]);
      return `${exe}arguments = "$(a) $(b:) $(c:)"\nqueue ${pick(r, ['', '2 '])}${vars} from ${slice}${source}`;
    }
    case 'secrets':
      writeFileSync(
        join(dir, 'dotenv'),
        pick(r, [`${TOKEN}\n`, `REGISTRY_TOKEN=${TOKEN}\n`, `REGISTRY_TOKEN = "${TOKEN}"\n`]),
      );
      return pick(r, [
        `${exe}include : dotenv\nqueue`,
        `${exe}include : dotenv\narguments = $(REGISTRY_TOKEN)\nqueue`,
        `${exe}arguments = $ENV(REGISTRY_TOKEN)\nqueue`,
        `${exe}request_memory = $INT(T)\nT = $ENV(REGISTRY_TOKEN)\nqueue`,
        `${exe}error : $ENV(REGISTRY_TOKEN)\nqueue`,
        `${exe}include : dotenv\nif $(REGISTRY_TOKEN)\nendif\nqueue`,
        `${exe}queue x from $ENV(REGISTRY_TOKEN)`,
        `${exe}include : dotenv\n+Token = "$(REGISTRY_TOKEN)"\nqueue`,
        `${exe}include : dotenv\ntransfer_input_files = $(REGISTRY_TOKEN)\nqueue`,
      ]);
  }
}

export function fuzzSubmitLanguage(seed: number, cases: number): FuzzResult {
  const r = seeded(seed);
  const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-subfuzz-'));
  const result: FuzzResult = {
    cases: 0,
    byClass: Object.fromEntries(CLASSES.map((c) => [c, 0])) as Record<FuzzClass, number>,
    plans: 0,
    userErrors: 0,
    crashes: [],
    leaks: [],
    slowestMs: 0,
    slowestClass: null,
  };
  try {
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sparse'), '');
    truncateSync(join(dir, 'sparse'), 64 << 20);
    const fixtures = join(repoRoot, 'test', 'fixtures', 'condor', 'submit-files');
    const sources = readdirSync(fixtures)
      .filter((n) => !n.endsWith('.subs'))
      .map((n) => readFileSync(join(fixtures, n), 'utf8'));
    const env = { ...process.env, REGISTRY_TOKEN: TOKEN };
    for (let i = 0; i < cases; i++) {
      const kind = CLASSES[i % CLASSES.length]!;
      const text = generate(r, kind, dir, sources);
      result.cases++;
      result.byClass[kind]++;
      const started = Date.now();
      let shown = '';
      try {
        const plan = planSubmit(parseSubmitText(text, 'fuzz.sub'), {
          submitFile: 'fuzz.sub',
          cwd: dir,
          cluster: 1,
          maxProcs: 1000,
          env,
        });
        result.plans++;
        shown = JSON.stringify(plan);
      } catch (error) {
        if (error instanceof UserError) {
          result.userErrors++;
          shown = `${error.message} ${error.hint ?? ''}`;
        } else result.crashes.push(`case ${i} (${kind}): ${(error as Error).stack?.slice(0, 400)}`);
      }
      const ms = Date.now() - started;
      if (ms > result.slowestMs) {
        result.slowestMs = ms;
        result.slowestClass = kind;
      }
      if (ms > SLOW_MS) result.crashes.push(`case ${i} (${kind}) took ${ms} ms`);
      if (shown.includes(TOKEN) || shown.includes(TOKEN.slice(0, 12))) result.leaks.push(`case ${i} (${kind})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const seed = Number(process.argv[2] ?? 1);
  const count = Number(process.argv[3] ?? 600);
  process.stdout.write(`${JSON.stringify(fuzzSubmitLanguage(seed, count))}\n`);
}
