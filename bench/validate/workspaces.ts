// The workspaces bench/validate times: the template, and the template with its manifest grown
// by generated lines (and pixi.lock by the environments those lines add).
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(fileURLToPath(import.meta.url), '..', '..', '..');

/**
 * The name of the template's linux-64 entry, `{ platform = "linux-64", cuda = "12.9" }`: pixi
 * derives it from the entry, and a feature names the platform by it (toml/manifest.rs).
 */
const IMAGE_PLATFORM = 'linux-64-cuda-12-9';

/** Which extra lines a bench workspace gets: see the two generators below. */
export type Mix = 'corpus' | 'dense';

/** A copy of the template workspace in a temp folder, its manifest grown by `extraLines` lines. */
export function benchWorkspace(extraLines: number, mix: Mix): string {
  const root = mkdtempSync(join(tmpdir(), 'bench-validate-'));
  for (const file of ['pixi.toml', 'pixi.lock', 'Dockerfile', 'mnist_gpu_docker.sub', 'job', '.env.example'])
    cpSync(join(repo, file), join(root, file), { recursive: true });
  if (extraLines > 0) {
    const extra = mix === 'corpus' ? corpusLikeLines(extraLines) : denseLines(extraLines);
    writeFileSync(join(root, 'pixi.toml'), readFileSync(join(root, 'pixi.toml'), 'utf8') + extra.manifest);
    // Lock the new environments too (their direct dependencies), so the workspace stays valid
    // and the run measures what a big, locked manifest costs, not a flood of "not locked" warnings.
    const lock = readFileSync(join(root, 'pixi.lock'), 'utf8');
    const at = lock.indexOf('\npackages:\n') + 1;
    writeFileSync(join(root, 'pixi.lock'), lock.slice(0, at) + extra.lockEnvironments + lock.slice(at));
  }
  return root;
}

interface ExtraContent {
  manifest: string;
  /** Entries for the lock's `environments:` mapping. */
  lockEnvironments: string;
}

// Packages the template's lock has for linux-64 (conda-forge URLs): what the generated
// environments depend on, so each one is locked with versions that satisfy its specs.
const LOCKED = [
  'linux-64/pytorch-gpu-2.9.1-cuda129_mkl_h0d04637_301',
  'linux-64/torchvision-0.24.1-cuda129_py313_h295fd69_0',
  'noarch/cuda-version-12.9-h4f385c5_3',
  'linux-64/numpy-2.3.5-py313hf6604e3_0',
  'noarch/jinja2-3.1.6-pyhcf101f3_1',
  'noarch/filelock-3.20.0-pyhd8ed1ab_0',
  'noarch/fsspec-2025.10.0-pyhd8ed1ab_0',
];

function lockedEnvironment(name: string): string[] {
  return [
    `  ${name}:`,
    '    channels:',
    '    - url: https://conda.anaconda.org/conda-forge/',
    '    packages:',
    '      linux-64:',
    ...LOCKED.map((p) => `      - conda: https://conda.anaconda.org/conda-forge/${p}.conda`),
  ];
}

/**
 * Lines in the proportions of the 20 real manifests in ../shared/fixtures/pixi/manifests (per
 * 1,000 lines there: 98 tasks, 37 features, 33 environments, 149 dependencies; 13% comments,
 * 17% blank, 10% continuation lines of multi-line values). Per 27-line block: a feature on
 * linux-64 with 4 dependencies, 3 tasks (a string, an inline table with args and depends-on, a
 * multi-line cmd array) and an environment made of it.
 */
function corpusLikeLines(count: number): ExtraContent {
  const out: string[] = [];
  const lock: string[] = [];
  for (let i = 0; out.length < count; i++) {
    out.push(
      '',
      `# Feature ${i}: one more entry of the test matrix, on the image platform only.`,
      '# Its tasks run in the environment below.',
      `[feature.extra-${i}]`,
      `platforms = ["${IMAGE_PLATFORM}"]`,
      '',
      `[feature.extra-${i}.dependencies]`,
      'numpy = ">=2"',
      'jinja2 = "3.*"',
      'filelock = { version = ">=3.20" }',
      '# any fsspec: it only reads the data archive',
      'fsspec = "*"',
      '',
      `[feature.extra-${i}.tasks]`,
      `lint-${i} = "ruff check src"`,
      `test-${i} = { cmd = "pytest tests/{{ suite }}", args = [{ arg = "suite", default = "unit" }], depends-on = ["lint-${i}"] }`,
      `docs-${i} = { cmd = [`,
      '  "sphinx-build", "-b", "html",',
      '  "docs", "build/docs",',
      '], description = "Build the docs", outputs = ["build/docs/index.html"] }',
      '',
      `[environments.extra-${i}]`,
      `features = ["extra-${i}"]`,
      'solve-group = "default"',
      '',
      `# (environment extra-${i} ends here)`,
      '',
    );
    lock.push(...lockedEnvironment(`extra-${i}`));
  }
  return { manifest: out.slice(0, count).join('\n') + '\n', lockEnvironments: lock.join('\n') + '\n' };
}

/**
 * The earlier, denser mix: a feature and a task every 10 lines, two table headers each, and no
 * environment using them (2.7x the corpus's features, 2x its table headers, no multi-line values).
 */
function denseLines(count: number): ExtraContent {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    out.push(
      '',
      `# extra feature ${i}: a tool environment of its own`,
      `[feature.extra-${i}.dependencies]`,
      `extra-a-${i} = ">=1.${i % 50},<2"`,
      `extra-b-${i} = { version = "2.*", channel = "conda-forge" }`,
      '',
      `[feature.extra-${i}.tasks.extra-task-${i}]`,
      `cmd = "echo {{ name }} ${i}"`,
      `args = [{ arg = "name", default = "x" }]`,
      `depends-on = ["${i === 0 ? 'train' : `extra-task-${i - 1}`}"]`,
    );
  }
  return { manifest: out.slice(0, count).join('\n') + '\n', lockEnvironments: '' };
}
