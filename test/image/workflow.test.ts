// The GitHub Actions workflow runs the same pixi task a person runs, with least privilege,
// and works while the committed lock lacks the tools environment.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { parse } from 'smol-toml';
import { repoRoot } from '../helpers/paths.ts';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, { paths?: string[]; branches?: string[] } | null>;
  permissions: unknown;
  jobs: Record<string, Job>;
}

const workflow = load(readFileSync(join(repoRoot, '.github/workflows/build-image.yml'), 'utf8')) as Workflow;
const manifest = parse(readFileSync(join(repoRoot, 'pixi.toml'), 'utf8')) as {
  tasks?: Record<string, unknown>;
  feature?: Record<string, { tasks?: Record<string, unknown> }>;
  environments?: Record<string, { features?: string[] }>;
};
const jobs = Object.entries(workflow.jobs);
const pixiRuns = jobs.flatMap(([name, job]) =>
  job.steps.filter((s) => s.run?.includes('pixi run')).map((s) => ({ name, job, step: s })),
);

test('every `pixi run` calls a task that exists in pixi.toml, in the environment it names', () => {
  assert.ok(pixiRuns.length >= 2, 'a build step for pull requests and one for main');
  for (const { step } of pixiRuns) {
    for (const line of step.run!.split('\n').filter((l) => l.includes('pixi run'))) {
      const words = line.trim().split(/\s+/).slice(2);
      let environment = 'default';
      const rest: string[] = [];
      for (let i = 0; i < words.length; i++) {
        if (words[i] === '--environment' || words[i] === '-e') environment = words[++i]!;
        else if (words[i]!.startsWith('--') && rest.length === 0) continue;
        else rest.push(words[i]!);
      }
      const task = rest[0]!;
      const features = manifest.environments?.[environment]?.features ?? [];
      const defined = features.some((f) => manifest.feature?.[f]?.tasks?.[task] !== undefined);
      assert.ok(defined, `task '${task}' is not defined for environment '${environment}' (${line.trim()})`);
      assert.is(task, 'build-image');
    }
  }
});

test('pull requests build without pushing; main builds and pushes', () => {
  const pr = pixiRuns.filter(({ job }) => job.if?.includes("== 'pull_request'"));
  const main = pixiRuns.filter(({ job }) => job.if?.includes("!= 'pull_request'"));
  assert.ok(pr.length > 0 && pr.every(({ step }) => step.run!.includes('--no-push')));
  assert.ok(main.length > 0 && main.every(({ step }) => !step.run!.includes('--no-push')));
  for (const { step } of main) {
    assert.is(step.env?.GITHUB_TOKEN, '${{ secrets.GITHUB_TOKEN }}');
    assert.ok(!step.run!.includes('GITHUB_TOKEN'), 'the token is not on the command line');
  }
  assert.equal(workflow.on.push?.branches, ['main']);
  for (const trigger of ['pull_request', 'push'] as const) {
    for (const path of ['pixi.toml', 'pixi.lock', 'Dockerfile'])
      assert.ok(workflow.on[trigger]?.paths?.includes(path), `${trigger} on ${path}`);
  }
});

test('least privilege: nothing at the top, packages: write only where it pushes', () => {
  assert.equal(workflow.permissions, {});
  for (const [name, job] of jobs) {
    assert.ok(job.permissions, `${name} states its permissions`);
    const pushes = job.steps.some((s) => s.run?.includes('pixi run') && !s.run.includes('--no-push'));
    assert.is(job.permissions!.packages === 'write', pushes, `${name}: packages write iff it pushes`);
    for (const [scope, level] of Object.entries(job.permissions!)) {
      assert.ok(level === 'read' || (scope === 'packages' && pushes), `${name}: ${scope}: ${level}`);
    }
  }
});

test('setup-pixi does not run its --locked install; an incomplete lock is completed and flagged, then kept', () => {
  for (const [name, job] of jobs) {
    const checkout = job.steps.find((s) => s.uses?.startsWith('actions/checkout@'));
    assert.is(checkout?.with?.['persist-credentials'], false, `${name}: checkout keeps no git token`);
    const setup = job.steps.find((s) => s.uses?.startsWith('prefix-dev/setup-pixi@'));
    assert.ok(setup, `${name} uses prefix-dev/setup-pixi`);
    assert.is(setup!.with?.['run-install'], false, `${name}: run-install false (locked defaults to true)`);
    assert.is.not(setup!.with?.locked, true, `${name}: no --locked install by the action`);
    // `pixi install` (not --locked/--frozen, not `pixi lock`, which rewrites a v6 lock as v7)
    // adds what the lock lacks, as `pixi run` does on a laptop, so the image's --locked install works.
    const install = job.steps.find((s) => /pixi install --environment tools\b/.test(s.run ?? ''));
    assert.ok(install, `${name} installs the tools environment`);
    const commands = install!
      .run!.split('\n')
      .map((line) => line.trim())
      .filter((line) => /^(pixi|cp|mv|git checkout) /.test(line));
    for (const command of commands)
      assert.not.match(
        command,
        /--locked|--frozen|^pixi lock|pixi\.lock/,
        `${name}: the lock may be completed and is not swapped back (${command})`,
      );
    assert.match(install!.run!, /git diff --quiet -- pixi\.lock/, `${name}: notices a completed lock`);
    assert.match(install!.run!, /::warning file=pixi\.lock::/, `${name}: and says to commit it`);
    const order = job.steps.indexOf(install!);
    const runs = job.steps.filter((s) => s.run?.includes('pixi run'));
    for (const step of runs) {
      assert.ok(job.steps.indexOf(step) > order, `${name}: the task runs after the lock is complete`);
      assert.match(step.run!, /pixi run --locked /, `${name}: the task itself never changes the lock it hashes`);
    }
  }
});

test.run();
