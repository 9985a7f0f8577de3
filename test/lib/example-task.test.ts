// The README's "A task of your own" is real: examples/archive-results.ts, copied into a copy of
// the checkout's scripts/ as a fork would, is bundled with the other tasks and runs as a task
// (`node scripts/run.mjs archive-results`): its tools go through the gateway with zx's `$`
// (loaded from node_modules, not inlined), --dry-run prints the tar command and writes nothing.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUNDLE_DIR, buildBundles } from '../../scripts/lib/bundles.ts';
import { repoRoot } from '../helpers/paths.ts';
import { copyCheckout, runTracedTask } from '../helpers/checkout-copy.ts';
import { runCommand } from '../helpers/process.ts';
import { tempWorkspace } from '../validate/helpers.ts';

const checkout = copyCheckout('pixi-condor-example-task-');
cpSync(join(repoRoot, 'examples', 'archive-results.ts'), join(checkout, 'scripts', 'archive-results.ts'));
const ws = tempWorkspace();
mkdirSync(join(ws.root, 'results', '4242', '0'), { recursive: true });
writeFileSync(join(ws.root, 'results', '4242', '0', 'metrics.json'), '{"accuracy": 0.99}\n');
writeFileSync(join(ws.root, 'results', '4242', '0', "a name with 'quotes' and $(spaces)"), 'x\n');
const trace = join(checkout, 'trace.json');
test.after(() => {
  rmSync(checkout, { recursive: true, force: true });
  ws.remove();
});

/** `node scripts/run.mjs archive-results ARGS` of the copy, in the workspace, with its module trace. */
async function archive(args: string[]) {
  const { loaded, ...result } = await runTracedTask(checkout, trace, 'archive-results', args, {
    cwd: ws.root,
    env: { PIXI_PROJECT_ROOT: undefined },
    // Generous: a bound for a hung run, not a speed check (the machine may be busy).
    timeoutMs: 120_000,
  });
  return { ...result, loadedZx: loaded ? loaded.some((url) => /node_modules\/zx\//.test(url)) : null };
}

test("a fork's task is bundled with the others, npm packages left outside", async () => {
  const built = await buildBundles(checkout);
  if (!built) return void console.log('  skipped: esbuild is not installed');
  assert.ok(built.tasks.includes('archive-results'), built.tasks.join(', '));
  const bundle = readFileSync(join(checkout, BUNDLE_DIR, 'archive-results.cjs'), 'utf8');
  assert.match(bundle, /require\("zx\/core"\)/);
  assert.not.match(bundle, /class ProcessPromise/, "zx's code must not be inlined");
});

test('--dry-run prints the tar command and writes nothing; the read-only du still runs', async () => {
  const result = await archive(['4242', '--dry-run']);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /^results\/4242: \S+\n/);
  assert.match(result.stderr, /would run: tar -czf results-4242\.tar\.gz results\/4242\n/);
  assert.match(result.stdout, /dry run: nothing was written/);
  assert.not.ok(existsSync(join(ws.root, 'results-4242.tar.gz')));
  if (result.loadedZx !== null) assert.ok(result.loadedZx, 'the gateway runs du through zx');
});

test('a real run writes the archive with every file, however it is named', async () => {
  const result = await archive(['4242']);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /wrote results-4242\.tar\.gz/);
  const listed = await runCommand('tar', ['-tzf', join(ws.root, 'results-4242.tar.gz')], { timeoutMs: 120_000 });
  assert.ok(listed.stdout.includes("results/4242/0/a name with 'quotes' and $(spaces)"), listed.stdout);
  assert.ok(listed.stdout.includes('results/4242/0/metrics.json'), listed.stdout);
});

test('--help and a user error load no zx: only a task that runs a tool does', async () => {
  const help = await archive(['--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /pixi run archive-results CLUSTER/);
  const missing = await archive(['7']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /^error: no results\/7\/ in /);
  if (help.loadedZx !== null) {
    assert.not.ok(help.loadedZx);
    assert.not.ok(missing.loadedZx);
  }
});

test.run();
