// One CommonJS bundle per task script (.build/bundles/<task>.cjs, esbuild), for start-up:
// - one module instead of ~45: Node spends ~0.4 ms resolving and linking each ESM module;
// - CommonJS, so scripts/run.mjs can load it as a vm.Script with a V8 code cache made after a
//   whole run: the functions that run are compiled once, not on every start (Node's own compile
//   cache is made before a module runs, so it holds little more than the top level).
// Together they take `validate` on the template from 3.3x a bare `node -e ''` to ~2x (bench/validate).
// npm packages stay outside the bundles and load only on the paths that need them, as from source.
//
// A bundle is only ever run while it matches its sources: beside the bundles, inputs.json names
// every file each bundle was built from with its size and mtime, and scripts/run.mjs (the reader
// of that file) runs the TypeScript source instead as soon as one of them differs. So an edited
// script is used on its next run, bundled or not, and `pixi run` rebuilds the bundles through the
// `_install` task (whose inputs are the scripts).
import { readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { missingPackage } from './main.ts';
import { processAlive } from './process-alive.ts';
import { REPO_ROOT } from './repo-root.ts';

/** Where the bundles go: two folders below the root, as scripts/lib/ is (see repo-root.ts). */
export const BUNDLE_DIR = join('.build', 'bundles');
export const INPUTS_FILE = 'inputs.json';
/** Bumped when inputs.json changes shape; scripts/run.mjs ignores any other format. */
export const INPUTS_FORMAT = 2;

/** inputs.json: for each task, its bundle's inputs as [path from the root, size, mtimeMs]. */
export interface BundleInputs {
  format: number;
  tasks: Record<string, [path: string, size: number, mtimeMs: number][]>;
}

/** The bundle a split read's worker runs (beside the tasks' bundles; no task of that name). */
const LOG_WORKER = 'log-worker';

/** Scripts that are not bundled: they run once per change (`bundle` needs esbuild itself). */
const UNBUNDLED = new Set(['bundle', 'compile-schema']);

/** Every task script (scripts/<task>.ts): each pixi task is `node scripts/run.mjs <task>`. */
export function taskScripts(root = REPO_ROOT): string[] {
  return readdirSync(join(root, 'scripts'))
    .filter((name) => /^[a-z][a-z0-9-]*\.ts$/.test(name))
    .map((name) => name.slice(0, -3))
    .filter((task) => !UNBUNDLED.has(task))
    .sort();
}

export interface BundleResult {
  tasks: string[];
  /** Files all bundles were built from, counted once. */
  inputs: number;
  bytes: number;
  dir: string;
}

/** esbuild's API, or null when it is not installed (`npm ci --omit=dev`): tasks then run from source. */
async function loadEsbuild(): Promise<typeof import('esbuild') | null> {
  try {
    return await import('esbuild');
  } catch (error) {
    // import() from source, require() inside a bundle: either way, named by missingPackage.
    if (missingPackage(error) === 'esbuild') return null;
    throw error;
  }
}

/** Remove the temporary folders of builds that were killed (`.build/bundles.<pid>.tmp`, `….old`). */
function removeLitter(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dirname(dir));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = new RegExp(`^${basename(dir)}\\.(\\d+)\\.(?:tmp|old)$`).exec(name)?.[1];
    if (pid && !processAlive(Number(pid))) rmSync(join(dirname(dir), name), { recursive: true, force: true });
  }
}

/**
 * Put the new folder in the old one's place: the old one is renamed aside first, so a run
 * finds either set whole (or, for an instant, none: it then runs from source). Two builds at
 * once (two terminals after one edit) both succeed: the second swaps in its own set.
 */
function swapIn(temp: string, dir: string): void {
  const aside = `${temp.replace(/\.tmp$/, '')}.old`;
  for (let attempt = 0; ; attempt++) {
    try {
      renameSync(dir, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    try {
      renameSync(temp, dir);
      break;
    } catch (error) {
      // Another build put its folder in between: move that one aside too, a few times at most.
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= 5) throw error;
      rmSync(aside, { recursive: true, force: true });
    }
  }
  rmSync(aside, { recursive: true, force: true });
}

/**
 * Build every task's bundle into a fresh folder and swap it in whole: a run never sees half a
 * set. The sizes and mtimes are taken before esbuild reads the files, so a file edited during
 * the build reads as changed afterwards and its task runs from source until the next build.
 */
export async function buildBundles(root = REPO_ROOT): Promise<BundleResult | null> {
  const esbuild = await loadEsbuild();
  if (!esbuild) return null;
  const tasks = taskScripts(root);
  const before = statScripts(root);
  const dir = join(root, BUNDLE_DIR);
  const temp = `${dir}.${process.pid}.tmp`;
  removeLitter(dir);
  rmSync(temp, { recursive: true, force: true });
  try {
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: {
        ...Object.fromEntries(tasks.map((task) => [task, join('scripts', `${task}.ts`)])),
        // Not a task: the worker thread of a big log's split read (event-log/split-read.ts).
        [LOG_WORKER]: join('scripts', 'lib', 'event-log', 'tape-worker.ts'),
      },
      outdir: temp,
      outExtension: { '.js': '.cjs' },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      packages: 'external',
      // `import('js-yaml')` becomes require(): a vm.Script has no dynamic import() without an
      // experimental flag. (require() of an ES module, toml-eslint-parser: Node >= 22.12, which
      // scripts/run.mjs checks as process.features.require_module before it runs a bundle.)
      supported: { 'dynamic-import': false },
      // The sources are ES modules: strict, and import.meta.url names the running file.
      banner: { js: `"use strict";\nconst __import_meta_url = require("node:url").pathToFileURL(__filename).href;` },
      define: { 'import.meta.url': '__import_meta_url' },
      metafile: true,
      logLevel: 'silent',
      // Not minified: a stack trace from a bundle names readable code (and the file, in esbuild's comments).
      legalComments: 'none',
    });
    const inputs: BundleInputs = { format: INPUTS_FORMAT, tasks: {} };
    const seen = new Set<string>();
    let bytes = 0;
    for (const [output, meta] of Object.entries(result.metafile.outputs)) {
      const task = /([^/]+)\.cjs$/.exec(output)?.[1];
      if (!task) continue;
      bytes += meta.bytes;
      inputs.tasks[task] = Object.keys(meta.inputs)
        .sort()
        .map((file) => {
          seen.add(file);
          const stat = before.get(file) ?? statSync(join(root, file));
          return [file, stat.size, stat.mtimeMs];
        });
    }
    // Written last: a folder without it is never taken for fresh bundles.
    writeFileSync(join(temp, INPUTS_FILE), JSON.stringify(inputs) + '\n');
    swapIn(temp, dir);
    return { tasks, inputs: seen.size, bytes, dir };
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

/** size and mtime of every file under scripts/ and schema/ (the validator is inlined), by path from the root (as esbuild's metafile names them). */
function statScripts(root: string): Map<string, { size: number; mtimeMs: number }> {
  const stats = new Map<string, { size: number; mtimeMs: number }>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) stats.set(relative(root, path), statSync(path));
    }
  };
  walk(join(root, 'scripts'));
  walk(join(root, 'schema'));
  return stats;
}
