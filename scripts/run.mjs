// Starts a task's script: `node scripts/run.mjs <task> [args]` runs scripts/<task>.ts, and every
// pixi task is this command (the tests run it too). Plain JavaScript on purpose: it turns on
// Node's compile cache before the first TypeScript file loads, so a run after the first skips
// both the type stripping (cached from Node 23.7 on) and V8's compile of every unchanged module;
// an edited file is stripped again on its next run (the cache is keyed by content). Stripping
// one file uncached costs ~80 ms (Node loads its TypeScript parser); `npm run bench` measures it.
// Node >= 22.18 runs the TypeScript itself; an older Node (the tests on Node 20) gets tsx's loader.
import { existsSync } from 'node:fs';
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const scriptsDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(scriptsDir);

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

/** npm packages the scripts import and Node could not find: `npm ci` was not run here. */
function missingPackage(error) {
  const message = String(error?.message);
  if (error?.code === 'ERR_MODULE_NOT_FOUND') return /Cannot find package '([^']+)'/.exec(message)?.[1] ?? null;
  if (error?.code === 'MODULE_NOT_FOUND') return /Cannot find module '([^'./][^']*)'/.exec(message)?.[1] ?? null;
  return null;
}

try {
  if (!process.features.typescript) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  await import(pathToFileURL(script).href);
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
