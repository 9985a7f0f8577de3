// `pixi condor init` (scripts/init.ts) in workspaces that are not the template: what it adds,
// that it never overwrites and a second run changes nothing, --dry-run and --json, a
// pyproject.toml workspace, and that `validate` passes on the result.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runScript, type RunResult } from '../helpers/process.ts';
import {
  LOCK,
  makeWorkspace,
  PIXI_TOML,
  pixiWorkspace,
  PYPROJECT_LOCK,
  PYPROJECT_TOML,
  type Workspace,
} from './workspaces.ts';

const env = { PIXI_PROJECT_ROOT: undefined, PIXI_CONDOR_COMMAND: 'pixi condor', GITHUB_REPOSITORY_OWNER: undefined };

function run(ws: Workspace, script: string, args: string[]): Promise<RunResult> {
  return runScript(script, args, { cwd: ws.root, env, timeoutMs: 60_000 });
}

/** Every file under the workspace (but validate's cache) with its bytes and mtime. */
function snapshot(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.name === '.pixi-condor') continue;
      if (entry.isDirectory()) walk(path);
      else files.set(relative(root, path), `${statSync(path).mtimeMs} ${readFileSync(path, 'utf8')}`);
    }
  };
  walk(root);
  return files;
}

test('init adds the five pieces, keeps the manifest as written, and validate passes', async () => {
  const ws = pixiWorkspace();
  try {
    const result = await run(ws, 'init.ts', []);
    assert.is(result.code, 0, result.stderr);
    for (const file of ['Dockerfile', '.dockerignore', 'hello.sub', 'job/run-pixi-task.sh'])
      assert.match(result.stdout, new RegExp(`\\n  added +${file.replace('.', '\\.')} `), file);
    assert.match(result.stdout, /\n {2}appended +pixi\.toml +\[tool\.pixi-condor\]/);
    assert.match(result.stdout, /\nnext: pixi condor validate/);

    // The user's manifest is untouched up to its end; the table follows.
    const manifest = ws.read('pixi.toml');
    assert.ok(manifest.startsWith(PIXI_TOML), 'the original text, comments and all, comes first');
    assert.match(
      manifest.slice(PIXI_TOML.length),
      /\n\[tool\.pixi-condor\]\nrepository = "ghcr\.io\/\{owner\}\/hello-gpu"\n/,
    );
    assert.match(manifest, /submit-file = "hello\.sub"/);

    const dockerfile = ws.read('Dockerfile');
    assert.match(dockerfile, /^ARG CUDA_VERSION="12\.9"$/m);
    assert.match(dockerfile, /^ARG ENVIRONMENT="default"$/m);
    assert.match(dockerfile, /^COPY pixi\.toml pixi\.lock \.\/$/m);
    assert.match(dockerfile, /^FROM \$\{BUILD_IMAGE\} AS build$/m);
    assert.is(
      ws
        .read('.dockerignore')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .join(' '),
      '* !pixi.toml !pixi.lock',
    );

    const submit = ws.read('hello.sub');
    assert.match(submit, /^executable = job\/run-pixi-task\.sh$/m);
    assert.match(submit, /^arguments = default hello$/m);
    assert.match(submit, /^transfer_input_files = hello\.py$/m, 'the file the task command names');
    assert.match(submit, /^transfer_output_files = result\.txt$/m, "the task's declared output");
    assert.match(submit, /^requirements = \(GPUs_DriverVersion >= 12\.0\)$/m);
    assert.match(submit, /^queue 1$/m);

    const wrapper = join(ws.root, 'job', 'run-pixi-task.sh');
    assert.is(statSync(wrapper).mode & 0o111, 0o111, 'the wrapper is executable');
    assert.match(ws.read('job/run-pixi-task.sh'), /exec pixi run --as-is --environment "\$ENVIRONMENT" "\$TASK" "\$@"/);

    const validate = await run(ws, 'validate.ts', ['--json']);
    assert.is(validate.code, 0, validate.stdout + validate.stderr);
    const report = JSON.parse(validate.stdout) as { ok: boolean; errors: unknown[] };
    assert.is(report.ok, true);
    assert.equal(report.errors, []);
  } finally {
    ws.remove();
  }
});

test('a second run changes nothing, and says so', async () => {
  const ws = pixiWorkspace();
  try {
    assert.is((await run(ws, 'init.ts', ['--task', 'hello'])).code, 0);
    const before = snapshot(ws.root);
    const again = await run(ws, 'init.ts', ['--task', 'hello']);
    assert.is(again.code, 0, again.stderr);
    assert.not.match(again.stdout, /\n {2}(added|appended) /);
    assert.match(again.stdout, /\nnothing to add: the workspace has every file\n/);
    assert.equal(snapshot(ws.root), before, 'no file changed, not even its mtime');
  } finally {
    ws.remove();
  }
});

test('never overwrites: a Dockerfile and a .dockerignore of the workspace stay as they are', async () => {
  const ws = pixiWorkspace();
  const dockerfile = 'FROM scratch\n# mine\n';
  const ignore = '*\n!pixi.toml\n!pixi.lock\n!hello.py\n';
  ws.write('Dockerfile', dockerfile);
  ws.write('.dockerignore', ignore);
  try {
    const result = await run(ws, 'init.ts', ['--json']);
    assert.is(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { files: { path: string; action: string }[] };
    const actions = Object.fromEntries(report.files.map((f) => [f.path, f.action]));
    assert.equal(actions, {
      Dockerfile: 'keep',
      '.dockerignore': 'keep',
      'hello.sub': 'add',
      'job/run-pixi-task.sh': 'add',
      'pixi.toml': 'append',
    });
    assert.is(ws.read('Dockerfile'), dockerfile);
    assert.is(ws.read('.dockerignore'), ignore);
  } finally {
    ws.remove();
  }
});

test('--dry-run shows every file and writes nothing; --json carries the texts', async () => {
  const ws = pixiWorkspace();
  try {
    const before = snapshot(ws.root);
    const human = await run(ws, 'init.ts', ['--dry-run']);
    assert.is(human.code, 0, human.stderr);
    assert.match(human.stdout, /\n--- Dockerfile \(new\) ---\n/);
    assert.match(human.stdout, /\n--- pixi\.toml \(appended\) ---\n/);
    assert.match(human.stdout, /\n {2}would add +hello\.sub /);
    assert.match(human.stdout, /\ndry run: nothing was written\n/);
    const json = await run(ws, 'init.ts', ['--dry-run', '--json', '--input', 'hello.py', '--output', 'out/result.txt']);
    assert.is(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as {
      dryRun: boolean;
      outputs: string[];
      files: { path: string; text?: string }[];
    };
    assert.is(report.dryRun, true);
    assert.equal(report.outputs, ['out/result.txt']);
    assert.match(
      report.files.find((f) => f.path === 'hello.sub')?.text ?? '',
      /transfer_output_files = out\/result\.txt/,
    );
    assert.equal(snapshot(ws.root), before, 'nothing written');
  } finally {
    ws.remove();
  }
});

test('the repository comes from the GitHub remote', async () => {
  const ws = pixiWorkspace();
  ws.write(
    '.git/config',
    '[core]\n\tbare = false\n[remote "origin"]\n\turl = git@github.com:Alice-Lab/Hello-GPU.git\n',
  );
  try {
    const result = await run(ws, 'init.ts', []);
    assert.is(result.code, 0, result.stderr);
    assert.match(ws.read('pixi.toml'), /\nrepository = "ghcr\.io\/alice-lab\/hello-gpu"\n/);
    assert.not.match(result.stdout, /no GitHub remote/);
  } finally {
    ws.remove();
  }
});

test('a pyproject.toml workspace: --task picks one of several, [tool.pixi-condor] goes into pyproject.toml', async () => {
  const ws = makeWorkspace({ 'pyproject.toml': PYPROJECT_TOML, 'pixi.lock': PYPROJECT_LOCK, 'fit.py': 'print(1)\n' });
  try {
    const which = await run(ws, 'init.ts', []);
    assert.is(which.code, 2);
    assert.match(
      which.stderr,
      /^error: which task should the job run\?\nhint: pass --task NAME \(its tasks: fit, report\)\n$/,
    );
    const unknown = await run(ws, 'init.ts', ['--task', 'train']);
    assert.is(unknown.code, 2);
    assert.match(unknown.stderr, /^error: pyproject\.toml has no task 'train'\n/);

    const result = await run(ws, 'init.ts', ['--task', 'fit']);
    assert.is(result.code, 0, result.stderr);
    const pyproject = ws.read('pyproject.toml');
    assert.ok(pyproject.startsWith(PYPROJECT_TOML));
    assert.match(pyproject, /\n\[tool\.pixi-condor\]\n/);
    assert.match(ws.read('Dockerfile'), /^COPY pyproject\.toml pixi\.lock \.\/$/m);
    assert.match(ws.read('Dockerfile'), /^COPY --from=build \/app\/pyproject\.toml \/app\/pyproject\.toml$/m);
    assert.match(ws.read('.dockerignore'), /^!pyproject\.toml$/m);
    assert.match(ws.read('fit.sub'), /^arguments = default fit$/m);
    assert.match(ws.read('fit.sub'), /^transfer_input_files = fit\.py$/m);
    assert.match(ws.read('job/run-pixi-task.sh'), /for file in pyproject\.toml pixi\.lock; do/);

    const validate = await run(ws, 'validate.ts', []);
    assert.is(validate.code, 0, validate.stdout + validate.stderr);
    const again = await run(ws, 'init.ts', ['--task', 'fit']);
    assert.match(again.stdout, /nothing to add/);
  } finally {
    ws.remove();
  }
});

test('a manifest that cannot take the table (an inline tool table): refused, nothing written', async () => {
  const ws = makeWorkspace({
    'pixi.toml': `tool = { other = { x = 1 } }\n${PIXI_TOML}`,
    'pixi.lock': LOCK,
  });
  try {
    const before = snapshot(ws.root);
    const result = await run(ws, 'init.ts', []);
    assert.is(result.code, 1, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      /^error: pixi\.toml: `tool` is an inline table there: \[tool\.pixi-condor\] cannot be added after it\n/,
    );
    assert.not.match(result.stderr, /\n\s+at /);
    assert.equal(snapshot(ws.root), before);
  } finally {
    ws.remove();
  }
});

test('--input or --submit-file outside the workspace is a usage error, and nothing is written', async () => {
  const ws = pixiWorkspace();
  try {
    const before = snapshot(ws.root);
    const input = await run(ws, 'init.ts', ['--input', '../secret']);
    assert.is(input.code, 2);
    assert.match(input.stderr, /^error: --input '\.\.\/secret' is not a path inside the workspace\n/);
    const submit = await run(ws, 'init.ts', ['--submit-file', '/etc/job.sub']);
    assert.is(submit.code, 2);
    assert.match(submit.stderr, /^error: --submit-file '\/etc\/job\.sub' is not a path inside the workspace\n/);
    assert.equal(snapshot(ws.root), before);
  } finally {
    ws.remove();
  }
});

test('under `pixi run init` (a fork) the next step is spelled `pixi run`', async () => {
  const ws = pixiWorkspace();
  try {
    const result = await runScript('init.ts', ['--dry-run'], {
      cwd: ws.root,
      env: { ...env, PIXI_CONDOR_COMMAND: undefined },
    });
    assert.is(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /\nnext: pixi run validate, then pixi run build-image and pixi run submit --local --allow-cpu\n/,
    );
  } finally {
    ws.remove();
  }
});

test.run();
