// Fuzzing validate with hostile files, by class: YAML aliases in pixi.lock, long and dotted TOML
// keys and deep nesting in the manifest, bytes pixi refuses in pixi.lock (invalid UTF-8, control
// characters: each must be a lock/encoding error at a line and column), and odd files (invalid UTF-8, a lock or .env that is a
// folder, FIFO, empty or binary, .env tokens and unclosed quotes, validate caches of the wrong
// shape, pyproject manifests). Every case must end in a report (or a UserError for an unreadable
// manifest) with well-formed findings, no secret in its JSON, in bounded time. Used by
// fuzz-hostile.test.ts in a child process with a time limit; run alone:
//   node --import tsx test/validate/fuzz-hostile.ts SEED COUNT
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../scripts/lib/errors.ts';
import { validateWorkspace } from '../../scripts/lib/validate/index.ts';
import { reportHuman, reportJson } from '../../scripts/lib/validate/report.ts';
import { palette } from '../../scripts/lib/term.ts';
import { repoRoot } from '../helpers/paths.ts';
import { randomInt, seeded } from '../helpers/random.ts';

type Rand = () => number;
const SECRET = 'ZZsecretTOKENzz';
const CLASSES = ['aliases', 'keys', 'odd-files', 'lock-bytes'] as const;
const TEMPLATE_FILES = ['pixi.toml', 'pixi.lock', 'Dockerfile', 'mnist_gpu_docker.sub', 'job', '.env.example'];

interface Case {
  cls: (typeof CLASSES)[number];
  name: string;
  files: Record<string, string | Buffer | 'DIR' | 'FIFO' | null>;
}

function aliasLock(r: Rand): string {
  const levels = randomInt(r, 2, 12);
  const fan = randomInt(r, 2, 12);
  let text = 'version: 6\np0: &p0 [{ conda: "https://conda.anaconda.org/conda-forge/linux-64/a-1-0.conda" }]\n';
  for (let i = 1; i < levels; i++)
    text += `p${i}: &p${i} [${Array(fan)
      .fill(`*p${i - 1}`)
      .join(', ')}]\n`;
  const top = `*p${levels - 1}`;
  text += 'environments:\n';
  for (let e = 0; e < randomInt(r, 1, 200); e++)
    text += `  ${e === 0 ? 'default' : `e${e}`}: { channels: [{ url: "https://conda.anaconda.org/conda-forge/" }], packages: { linux-64: ${top}, osx-64: ${top} } }\n`;
  return text + 'packages:\n- conda: https://conda.anaconda.org/conda-forge/linux-64/a-1-0.conda\n';
}

function keysManifest(r: Rand, template: string): string {
  switch (randomInt(r, 0, 4)) {
    case 0: {
      const parts = Array.from({ length: randomInt(r, 100, 10_000) }, (_, i) => `k${i}`).join('.');
      return `${template}\n[tool.fuzz]\n${parts} = 1\n`;
    }
    case 1:
      return `${template}\n[tasks]\n${'x'.repeat(randomInt(r, 1_000, 65_536))} = "echo"\n`;
    case 2: {
      const depth = randomInt(r, 10, 90);
      return `${template}\n[tool.fuzz]\nnest = ${'{ a = '.repeat(depth)}1${' }'.repeat(depth)}\n`;
    }
    case 3: {
      const n = randomInt(r, 1_000, 50_000);
      return `${template}\n[tool.fuzz]\nlist = [${Array(n).fill('"x"').join(', ')}]\n`;
    }
    default: {
      const parts = Array.from({ length: randomInt(r, 100, 5_000) }, (_, i) => `"k ${i}"`).join('.');
      return `${template}\n[feature.${parts}]\nplatforms = ["linux-64"]\n`;
    }
  }
}

function oddFiles(r: Rand, template: string): Case['files'] {
  switch (randomInt(r, 0, 9)) {
    case 0: {
      const bytes = Buffer.from(template);
      for (let i = 0; i < randomInt(r, 1, 5); i++) bytes[randomInt(r, 0, bytes.length - 1)] = randomInt(r, 0x80, 0xff);
      return { 'pixi.toml': bytes };
    }
    case 1:
      return { 'pixi.lock': pickOne(r, ['DIR', 'FIFO', '', Buffer.from([0, 1, 2, 0xff, 0xfe])]) };
    case 2:
      return { '.env': pickOne(r, ['DIR', 'FIFO']) };
    case 3:
      return { '.env': `REGISTRY_USER=me\n${SECRET}==\n${SECRET}\nexport ${SECRET}: x\n` };
    case 4:
      return { '.env': `REGISTRY_TOKEN="${SECRET}\n${'y'.repeat(randomInt(r, 1, 3_000_000))}\n` };
    case 5:
      return {
        '.pixi-condor/validate-cache.json': JSON.stringify(
          pickOne(r, [
            { format: 4, lockText: 'x', specs: {}, lock: { packages: 'nope' } },
            { format: 4, lockText: 'x', specs: [], lock: {} },
            [],
            'x',
            { format: 3 },
          ]),
        ),
      };
    case 6:
      return { '.pixi-condor/validate-cache.json': Buffer.from([0xff, 0x00, 0x7b]) };
    case 7:
      return {
        'pixi.toml': null,
        'pyproject.toml': `[project]\nname = "x"\ndependencies = ["numpy"]\n[project.optional-dependencies]\ngpu = ["torch"]\n[dependency-groups]\nt = [{ include-group = "t" }, "pytest"]\n${template.replace(/^\[([^[\]]+)\]/gm, (_, n: string) => (n.startsWith('tool.') ? `[${n}]` : `[tool.pixi.${n}]`))}`,
      };
    case 8:
      return { 'pixi.toml': pickOne(r, ['DIR', 'FIFO', '', '\uFEFF']) };
    default:
      return { 'pixi.lock': `${'version: 6\n'}environments:\n  default:\n    channels: []\n` };
  }
}

const pickOne = <T>(r: Rand, list: T[]): T => list[Math.floor(r() * list.length)]!;

/** Sequences pixi refuses in a lock: C0/C1 controls, DEL, U+FFFF, and invalid or overlong UTF-8. */
const HOSTILE_LOCK_BYTES = [
  [0x00],
  [0x1b],
  [0x07],
  [0x7f],
  [0xc2, 0x9b],
  [0xef, 0xbf, 0xbf],
  [0xe9],
  [0xe2, 0x82],
  [0xff],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
];

/** The template's lock with one hostile sequence (or a few) spliced in anywhere. */
function hostileLock(r: Rand, lock: Buffer): Buffer {
  let bytes = lock;
  for (let n = randomInt(r, 1, 3); n > 0; n--) {
    const at = randomInt(r, 0, bytes.length);
    bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(pickOne(r, HOSTILE_LOCK_BYTES)), bytes.subarray(at)]);
  }
  return bytes;
}

export interface HostileResult {
  cases: number;
  byClass: Record<string, number>;
  crashes: string[];
  badFindings: string[];
  leaks: string[];
  slowestMs: number;
  slowest: string;
}

export async function fuzzHostile(seed: number, count: number): Promise<HostileResult> {
  const r = seeded(seed);
  const base = mkdtempSync(join(tmpdir(), 'pixi-condor-hostile-'));
  const { readFileSync } = await import('node:fs');
  const template = readFileSync(join(repoRoot, 'pixi.toml'), 'utf8');
  const lock = readFileSync(join(repoRoot, 'pixi.lock'));
  const result: HostileResult = {
    cases: 0,
    byClass: {},
    crashes: [],
    badFindings: [],
    leaks: [],
    slowestMs: 0,
    slowest: '',
  };
  try {
    for (let i = 0; i < count; i++) {
      const cls = CLASSES[i % CLASSES.length]!;
      const files: Case['files'] =
        cls === 'aliases'
          ? { 'pixi.lock': aliasLock(r) }
          : cls === 'keys'
            ? { 'pixi.toml': keysManifest(r, template) }
            : cls === 'lock-bytes'
              ? { 'pixi.lock': hostileLock(r, lock) }
              : oddFiles(r, template);
      const root = join(base, `case-${i}`);
      mkdirSync(root);
      for (const file of TEMPLATE_FILES) cpSync(join(repoRoot, file), join(root, file), { recursive: true });
      for (const [name, content] of Object.entries(files)) {
        const path = join(root, name);
        rmSync(path, { recursive: true, force: true });
        mkdirSync(join(path, '..'), { recursive: true });
        if (content === null) continue;
        if (content === 'DIR') mkdirSync(path);
        else if (content === 'FIFO') execFileSync('mkfifo', [path]);
        else writeFileSync(path, content);
      }
      const started = performance.now();
      try {
        const report = await validateWorkspace({ root });
        const outputs = [reportJson(report), reportHuman(report, { root, paint: palette(false) })];
        if (outputs.some((o) => o.includes(SECRET))) result.leaks.push(`case ${i} (${cls})`);
        for (const f of [...report.errors, ...report.warnings])
          if (!/^[a-z]+\/[a-z0-9-]+$/.test(f.rule) || !f.message || f.line < 0 || typeof f.hint !== 'string')
            result.badFindings.push(`case ${i}: ${JSON.stringify(f).slice(0, 300)}`);
        // pixi refuses every such lock: an error at a line and column, never `ok`.
        if (
          cls === 'lock-bytes' &&
          !report.errors.some((f) => f.rule === 'lock/encoding' && f.line >= 1 && f.column >= 1)
        )
          result.badFindings.push(`case ${i} (lock-bytes): no lock/encoding error`);
      } catch (error) {
        if (!(error instanceof UserError) || error.message.includes(SECRET))
          result.crashes.push(
            `case ${i} (${cls}, seed ${seed}): ${error instanceof Error ? (error.stack ?? error.message).split('\n').slice(0, 3).join(' | ') : String(error)}`,
          );
      }
      const elapsed = performance.now() - started;
      if (elapsed > result.slowestMs) {
        result.slowestMs = elapsed;
        result.slowest = `case ${i} (${cls}: ${Object.keys(files).join(', ')})`;
      }
      result.cases++;
      result.byClass[cls] = (result.byClass[cls] ?? 0) + 1;
      rmSync(root, { recursive: true, force: true });
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  return result;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const seed = Number(process.argv[2] ?? 1);
  const count = Number(process.argv[3] ?? 60);
  process.stdout.write(JSON.stringify(await fuzzHostile(seed, count)) + '\n');
}
