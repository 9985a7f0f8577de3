// The extension as a user installs it: `npm pack` of this checkout, `npm install -g` of the
// tarball into a fresh prefix (offline, with an empty npm cache: the dependencies travel in the
// tarball), and the `pixi-condor` it puts on PATH run in a small pixi workspace that is not the
// template: init, then validate (passing), then submit --local --dry-run, which plans the
// workspace's own task in its image. The image record is the one build-image would write (its
// content hash computed here: no image is built, see test/workspace/day.test.ts for that).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeImageRecord } from '../../scripts/lib/image-record.ts';
import { computeContentHash } from '../../scripts/lib/image/content-hash.ts';
import { EXTENSION_COMMANDS } from '../../scripts/lib/extension/commands.ts';
import { readManifest, templateConfig } from '../../scripts/lib/workspace.ts';
import { repoRoot } from '../helpers/paths.ts';
import { runCommand, type RunResult } from '../helpers/process.ts';
import { pixiWorkspace } from './workspaces.ts';

/** npm itself: the one running `npm test`, else the one on PATH (pixi's nodejs has it); null when none. */
function npmCommand(): [string, string[]] | null {
  const execPath = process.env.npm_execpath;
  if (execPath && /\.c?js$/.test(execPath) && existsSync(execPath)) return [process.execPath, [execPath]];
  const probe = spawnSync('npm', ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return probe.status === 0 ? ['npm', []] : null;
}

const npm = npmCommand();
const bundlesBuilt = existsSync(join(repoRoot, '.build', 'bundles', 'inputs.json'));
const skip = !npm ? 'no npm to pack and install with' : !bundlesBuilt ? 'no bundles (esbuild not installed)' : null;
if (skip) console.log(`extension/installed.test.ts: skipping the installed package: ${skip}`);

const work = mkdtempSync(join(tmpdir(), 'pixi-condor-installed-'));
const prefix = join(work, 'prefix');
const bin = join(prefix, 'bin', 'pixi-condor');
/** PATH with this test's node first: the bin's `#!/usr/bin/env node` finds it. */
const PATH = [dirname(process.execPath), join(prefix, 'bin'), process.env.PATH ?? ''].join(delimiter);
const userEnv = {
  PATH,
  PIXI_PROJECT_ROOT: undefined,
  PIXI_CONDOR_COMMAND: undefined,
  GITHUB_REPOSITORY_OWNER: undefined,
};

function npmRun(args: string[], cwd: string): Promise<RunResult> {
  const [command, prefixArgs] = npm!;
  // Its own empty cache: the install must need nothing but the tarball.
  return runCommand(command, [...prefixArgs, ...args, '--cache', join(work, 'npm-cache'), '--no-audit', '--no-fund'], {
    cwd,
    env: { npm_config_update_notifier: 'false' },
    timeoutMs: 180_000,
  });
}

function pixiCondor(args: string[], cwd: string): Promise<RunResult> {
  return runCommand(bin, args, { cwd, env: userEnv, timeoutMs: 60_000 });
}

const installed = suite('installed');
installed.after(() => rmSync(work, { recursive: true, force: true }));

installed('npm pack, then npm install -g of the tarball (offline), puts pixi-condor on PATH', async () => {
  if (skip) return;
  // The bundles `npm test` has just built ship as they are (prepack would build them again).
  const pack = await npmRun(['pack', '--ignore-scripts', '--json', '--pack-destination', work], repoRoot);
  assert.is(pack.code, 0, pack.stderr);
  const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  const files = packed!.files.map((f) => f.path);
  for (const wanted of [
    'scripts/pixi-condor.mjs',
    'scripts/run.mjs',
    '.build/bundles/init.cjs',
    '.build/bundles/inputs.json',
    'Dockerfile',
    'schema/manifest-validator.cjs',
  ])
    assert.ok(files.includes(wanted), `the tarball has ${wanted}`);
  assert.not.ok(
    files.some((f) => f.startsWith('test/') || f.endsWith('.v8cache') || f === '.env'),
    'no tests, caches or secrets',
  );
  const install = await npmRun(
    ['install', '-g', '--offline', '--ignore-scripts', '--prefix', prefix, join(work, packed!.filename)],
    work,
  );
  assert.is(install.code, 0, install.stderr);
  assert.ok(existsSync(bin), `${bin} exists`);
  const which = spawnSync('sh', ['-c', 'command -v pixi-condor'], { env: { PATH }, encoding: 'utf8' });
  assert.is(which.stdout.trim(), bin);
});

installed('pixi-condor --help lists exactly the commands it dispatches; --version is the package version', async () => {
  if (skip) return;
  const help = await pixiCondor(['--help'], work);
  assert.is(help.code, 0, help.stderr);
  assert.match(help.stdout, /^usage: pixi condor COMMAND/);
  const listed = /\ncommands:\n((?: {2}\S+ +\S.*\n)+)/
    .exec(help.stdout)![1]!
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0]);
  assert.equal(
    listed,
    EXTENSION_COMMANDS.map(([name]) => name),
  );
  const dispatched = /const COMMANDS = (\[[^\]]*\])/.exec(
    readFileSync(join(repoRoot, 'scripts', 'pixi-condor.mjs'), 'utf8'),
  )![1]!;
  assert.equal(JSON.parse(dispatched.replace(/'/g, '"')), listed);
  for (const name of listed) {
    const own = await pixiCondor(['help', name!], work);
    assert.is(own.code, 0, `${name}: ${own.stderr}`);
    assert.match(own.stdout, new RegExp(`^usage: pixi condor ${name}[ \\n]`), name);
  }
  const version = await pixiCondor(['--version'], work);
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  assert.is(version.stdout, `pixi-condor ${pkg.version}\n`);
  const unknown = await pixiCondor(['frobnicate'], work);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /^error: unknown command 'frobnicate'\n/);
});

installed(
  'in a workspace that is not the template: init, validate passes, submit --local --dry-run plans its task',
  async () => {
    if (skip) return;
    const ws = pixiWorkspace();
    try {
      const init = await pixiCondor(['init'], ws.root);
      assert.is(init.code, 0, init.stderr);
      assert.match(init.stdout, /\n {2}added +hello\.sub /);

      const validate = await pixiCondor(['validate'], ws.root);
      assert.is(validate.code, 0, validate.stdout + validate.stderr);
      assert.match(validate.stdout, /\nvalid \(0 errors/);

      // What build-image records after a push (nothing is built here).
      const manifest = await readManifest(ws.root);
      const config = templateConfig(manifest.data, manifest.file);
      const hash = await computeContentHash(ws.root, config);
      const repository = 'localhost:5000/alice/hello-gpu';
      const digest = `sha256:${'ab'.repeat(32)}`;
      await writeImageRecord(ws.root, {
        version: 1,
        repository,
        contentTag: `default-noble-cuda12.9-${hash.hash.slice(0, 12)}`,
        tags: [`default-noble-cuda12.9-${hash.hash.slice(0, 12)}`],
        digest,
        reference: `${repository}@${digest}`,
        contentHash: hash.hash,
        inputDigests: hash.digests,
        environment: 'default',
        cuda: '12.9',
        platform: 'linux/amd64',
        gitRevision: null,
        recordedAt: new Date(0).toISOString(),
      });

      const submit = await pixiCondor(['submit', '--local', '--dry-run', '--allow-cpu'], ws.root);
      assert.is(submit.code, 0, submit.stdout + submit.stderr);
      const plan = /\n {2}proc 0: (docker run .*)\n/.exec(submit.stdout)?.[1] ?? '';
      assert.match(
        plan,
        new RegExp(` ${repository}@${digest} SANDBOX/run-pixi-task\\.sh default hello$`),
        submit.stdout,
      );
      assert.match(submit.stdout, /\n {4}inputs +hello\.py\n/);
      assert.match(submit.stdout, /\n {4}outputs +result\.txt\n/);
      assert.match(submit.stdout, /\ndry run: nothing was run/);
    } finally {
      ws.remove();
    }
  },
);

installed(
  'installed where the user cannot write (a root prefix, another user): runs, and writes no code cache',
  async () => {
    if (skip) return;
    // Another user: root here (CI), setpriv to nobody; a user cannot drop to another one otherwise.
    const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
    const probe =
      process.getuid?.() === 0
        ? spawnSync('setpriv', [...asNobody, process.execPath, '-e', ''], { timeout: 30_000 })
        : null;
    if (probe?.status !== 0) {
      console.log(
        'extension/installed.test.ts: skipping the read-only install: needs root, setpriv, and a node nobody can run',
      );
      return;
    }
    const bundles = join(prefix, 'lib', 'node_modules', 'pixi-condor', '.build', 'bundles');
    const caches = () => readdirSync(bundles).filter((name) => name.endsWith('.v8cache'));
    for (const name of caches()) rmSync(join(bundles, name));
    const ws = pixiWorkspace();
    try {
      // nobody may read the prefix (root's, not writable to it) and work in the workspace.
      chmodSync(work, 0o755);
      for (const path of [ws.root, join(ws.root, 'pixi.toml'), join(ws.root, 'pixi.lock'), join(ws.root, 'hello.py')])
        chmodSync(path, 0o777);
      const result = await runCommand('setpriv', [...asNobody, bin, 'init'], {
        cwd: ws.root,
        env: { ...userEnv, HOME: ws.root },
        timeoutMs: 60_000,
      });
      assert.is(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /\n {2}added +hello\.sub /);
      assert.equal(caches(), [], 'no code cache written into the read-only package');
    } finally {
      ws.remove();
    }
  },
);

installed('an installed package whose bundle no longer matches its sources says so in one line', async () => {
  if (skip) return;
  // An edit inside the installed package (its size changes): no source fallback there.
  const source = join(prefix, 'lib', 'node_modules', 'pixi-condor', 'scripts', 'cancel.ts');
  writeFileSync(source, `${readFileSync(source, 'utf8')}\n// edited\n`);
  const result = await pixiCondor(['cancel'], work);
  assert.is(result.code, 1, result.stdout + result.stderr);
  assert.match(
    result.stderr,
    /^error: the installed pixi-condor in \S+ has no usable bundle for 'cancel' \(\.build\/bundles\/cancel\.cjs\)\nhint: reinstall it /,
  );
  assert.not.match(result.stderr, /\n\s+at /, 'no stack trace');
});

installed.run();
