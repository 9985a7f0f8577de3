// Runs every benchmark (bench/<name>/run.ts), or those named: npm run bench -- validate track
// Each prints its figures as ratios against a baseline measured in the same run. Run it on the
// Node the tasks run on (>= 24.3: pixi's tools environment, .ci/run's): the start-up figures
// measure Node's type stripping and its compile cache, which an older Node lacks.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(benchDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(benchDir, entry.name, 'run.ts')))
  .map((entry) => entry.name)
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  console.error(`error: no benchmark named ${unknown.join(', ')} (have: ${all.join(', ')})`);
  process.exit(2);
}
if (!process.features.typescript) {
  console.log(
    `note: ${process.version} has no type stripping: the tasks start through tsx, slower than with Node >= 24.3`,
  );
}
// The tasks run from their bundles, as under pixi (whose _install task builds them): build them
// from these sources first, as `npm test` does.
const bundled = spawnSync(process.execPath, [join(benchDir, '..', 'scripts', 'run.mjs'), 'bundle'], {
  stdio: 'inherit',
});
if (bundled.status !== 0) process.exit(1);
let failed = 0;
for (const name of wanted.length > 0 ? wanted : all) {
  console.log(`\n== bench/${name}`);
  // Node >= 22.18 runs the TypeScript itself; an older one (20) through tsx.
  const loader = process.features.typescript ? [] : ['--import', 'tsx'];
  const result = spawnSync(process.execPath, [...loader, join(benchDir, name, 'run.ts')], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
