// Starts a task's script: `node scripts/run.mjs <task> [args]` runs scripts/<task>.ts, and every
// pixi task is this command (the tests run it too). Plain JavaScript on purpose: it turns on
// Node's compile cache before the first module loads, then runs one of:
// - the task's bundle, .build/bundles/<task>.cjs (scripts/lib/bundles.ts builds them; pixi's
//   `_install` task does it whenever a script changed), but only while every file it was built
//   from still has the size and mtime that .build/bundles/inputs.json records. It runs as a
//   vm.Script with a V8 code cache written after its first full run, beside it: one module and
//   no compiling, which is most of a fast task's start-up (`npm run bench` measures it);
// - otherwise the TypeScript source, which Node >= 22.18 runs itself (cached stripping from
//   23.7 on), and an older Node (the tests on Node 20) through tsx's loader.
// So an edited script is what runs next, bundled or not. PIXI_CONDOR_FROM_SOURCE=1 always runs
// the source (stack traces then name the sources' lines).
import module from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// getBuiltinModule, not `import … from 'node:fs'`: an ESM import of node:fs evaluates every lazy
// export (fs/promises, the streams: ~30 internal modules) that a fast task never uses.
// (Node 22.0-22.2 lacks getBuiltinModule: the import then, so --help and the errors still work.)
const { closeSync, existsSync, fstatSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } =
  process.getBuiltinModule?.('node:fs') ?? (await import('node:fs'));

const scriptsDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(scriptsDir);
// Installed as an npm package (`npm install -g`, the conda package: scripts/pixi-condor.mjs):
// Node strips no types under node_modules, so the bundles shipped with it are what runs, and
// the installer sets every file's mtime, so a bundle is matched to its sources by size alone.
const installed = root.split(sep).includes('node_modules');

/** One line and an exit code: a setup problem is the user's to fix, not a stack trace. */
function fail(message, hint, code) {
  process.stderr.write(`error: ${message}\n${hint ? `hint: ${hint}\n` : ''}`);
  process.exit(code);
}

const task = process.argv[2];
const script = task && /^[a-z][a-z0-9-]*$/.test(task) ? join(scriptsDir, `${task}.ts`) : null;
if (!script || !existsSync(script)) {
  fail(
    `no task script ${task ? `'${task}'` : 'named'}`,
    `usage: node scripts/run.mjs TASK [ARGS] (scripts/TASK.ts)`,
    2,
  );
}
// The script sees itself as argv[1] and its own arguments from argv[2] on, as under `node scripts/<task>.ts`.
process.argv.splice(1, 2, script);

module.enableCompileCache?.();

/**
 * Can this Node run a bundle: require() of an ES module (toml-eslint-parser), without the
 * "experimental" warning some releases print for it (22.12, 23.0-23.4)?
 */
function quietRequireOfEsm() {
  if (!process.features.require_module) return false;
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major >= 24 || (major === 23 && minor >= 5) || (major === 22 && minor >= 13) || (major === 20 && minor >= 19);
}

/**
 * The task's bundle while it matches its sources, else null. Reads what
 * scripts/lib/bundles.ts writes: {format: 2, tasks: {<task>: [[path from the root, size, mtimeMs], ...]}}.
 */
function freshBundle() {
  if (installed) {
    if (!process.features.require_module) {
      fail(
        `pixi-condor needs a Node.js that can require() ES modules (>= 20.19 or >= 22.12); this is ${process.version}`,
        'install a newer Node.js (`pixi global install pixi-condor` brings its own)',
        1,
      );
    }
  } else if (process.env.PIXI_CONDOR_FROM_SOURCE === '1' || !quietRequireOfEsm()) return null;
  const dir = join(root, '.build', 'bundles');
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8'));
  } catch {
    return null; // never built (or esbuild is not installed): the source runs
  }
  const files = inputs?.format === 2 ? inputs.tasks?.[task] : undefined;
  if (!Array.isArray(files) || files.length === 0) return null;
  for (const [path, size, mtimeMs] of files) {
    const stat = statSync(join(root, path), { throwIfNoEntry: false });
    if (!stat || stat.size !== size || (!installed && stat.mtimeMs !== mtimeMs)) return null;
  }
  const path = join(dir, `${task}.cjs`);
  return existsSync(path) ? path : null;
}

/**
 * Load a bundle as CommonJS through a vm.Script, with a V8 code cache that V8 makes after a run
 * (so it holds every function that ran, not only the top level as Node's compile cache does).
 * The cache's name carries the bundle's size and mtime: a rebuilt bundle never meets an old
 * cache (V8 itself checks only the source's length). It is written, whole or not at all, when
 * missing or refused (another Node), by a run that did its work: not by --help or a usage error
 * (exit 2), which compile too little to be worth caching.
 */
function loadBundle(path) {
  const vm = process.getBuiltinModule('node:vm');
  // Its size, mtime and text from one open file: a bundle swapped in meanwhile cannot pair one's text with the other's cache.
  const fd = openSync(path, 'r');
  let stat;
  let source;
  try {
    stat = fstatSync(fd);
    source = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const cachePath = `${path}.${stat.size}-${stat.mtimeMs}.v8cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cachePath);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: path,
    cachedData,
  });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', (code) => {
      if ((code !== 0 && code !== 1) || process.argv.includes('--help') || process.argv.includes('-h')) return;
      const temp = `${cachePath}.${process.pid}.tmp`;
      try {
        // Rebuilt while this ran (the test task rebuilds the bundles): its cache would match nothing.
        const now = statSync(path);
        if (now.size !== stat.size || now.mtimeMs !== stat.mtimeMs) return;
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, cachePath);
      } catch {
        // a read-only checkout or a full disk: every run compiles, as from source
        try {
          rmSync(temp, { force: true });
        } catch {
          // nothing was written
        }
      }
    });
  }
  const bundleModule = { exports: {} };
  return () =>
    script.runInThisContext()(bundleModule.exports, module.createRequire(path), bundleModule, path, dirname(path));
}

/** The task's fresh bundle, ready to run, or null: any trouble reading it (a build swapping the folder in that instant, an odd inputs.json) means the source runs. */
function bundleToRun() {
  try {
    const path = freshBundle();
    return path ? loadBundle(path) : null;
  } catch {
    return null;
  }
}

/** npm packages the scripts import and Node could not find: `npm ci` was not run here. */
function missingPackage(error) {
  const message = String(error?.message);
  if (error?.code === 'ERR_MODULE_NOT_FOUND') return /Cannot find package '([^']+)'/.exec(message)?.[1] ?? null;
  if (error?.code === 'MODULE_NOT_FOUND') return /Cannot find module '([^'./][^']*)'/.exec(message)?.[1] ?? null;
  return null;
}

try {
  // Only finding and compiling the bundle fall back to the source: once it runs, its errors are the task's.
  const runBundle = bundleToRun();
  if (runBundle) {
    runBundle();
  } else if (installed) {
    // No source fallback there: Node strips no types under node_modules, and tsx is a dev dependency.
    fail(
      `the installed pixi-condor in ${root} has no usable bundle for '${task}' (.build/bundles/${task}.cjs)`,
      'reinstall it from a package made by `npm pack`, whose prepack step builds the bundles',
      1,
    );
  } else {
    if (!process.features.typescript) {
      const { register } = await import('tsx/esm/api');
      register();
    }
    await import(pathToFileURL(script).href);
  }
} catch (error) {
  const name = missingPackage(error);
  if (!name) throw error;
  fail(
    `the npm package '${name}' that the scripts need is not installed in ${join(root, 'node_modules')}`,
    `run \`npm ci\` in ${root} (\`pixi run\` does it through the _install task)` +
      (name === 'tsx' ? `, or use Node >= 22.18, which runs TypeScript itself (this is ${process.version})` : ''),
    1,
  );
}
