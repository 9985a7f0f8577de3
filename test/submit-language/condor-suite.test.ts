// HTCondor's own condor_submit tests as a regression suite (test/fixtures/condor-suite/cases.json,
// made by extract.ts from src/condor_tests at the commit it names): every case planned as
// condor_submit -dry-run plans it, with the verdict and job-ad values the test asserts. Then three
// real LING573 files whose queue items hold macros ("--job $(job)"): each proc's arguments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError } from '../../scripts/lib/errors.ts';
import { parseSubmitText } from '../../scripts/lib/submit-language/submit-file.ts';
import { planSubmit, readSubmitStatements, type SubmitPlan } from '../../scripts/lib/submit-language/submit-plan.ts';
import type { SuiteCase } from '../fixtures/condor-suite/extract.ts';
import { repoRoot } from '../helpers/paths.ts';

const suiteDir = join(repoRoot, 'test', 'fixtures', 'condor-suite');
const suite = JSON.parse(readFileSync(join(suiteDir, 'cases.json'), 'utf8')) as {
  commit: string;
  cases: SuiteCase[];
};
const work = mkdtempSync(join(tmpdir(), 'pixi-condor-condor-suite-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

function planCase(c: SuiteCase, index: number): { root: string; run: () => SubmitPlan } {
  const root = join(work, String(index));
  mkdirSync(root, { recursive: true });
  for (const [name, content] of Object.entries(c.files ?? {})) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  const text = c.submit.replaceAll('@ROOT@', root);
  writeFileSync(join(root, 'case.sub'), text);
  return {
    root,
    run: () =>
      planSubmit(parseSubmitText(text, 'case.sub'), { submitFile: 'case.sub', cwd: root, cluster: 1, env: {} }),
  };
}

function refusal(run: () => SubmitPlan): string {
  try {
    run();
  } catch (error) {
    if (error instanceof UserError) return error.message;
    throw error;
  }
  assert.unreachable('planned, where the case expects a refusal');
  return '';
}

test(`HTCondor's submit tests (${suite.cases.length} cases, htcondor/htcondor ${suite.commit.slice(0, 12)})`, () => {
  assert.ok(suite.cases.length >= 40, 'the extracted suite is all there');
  suite.cases.forEach((c, index) => {
    const where = `${c.name} (${c.source}:${c.line})`;
    const { root, run } = planCase(c, index);
    const expect = c.expect;
    if (expect.verdict !== 'accept') {
      const message = refusal(run);
      const wanted = expect.verdict === 'refuse' ? expect.message.replace(/\.$/, '') : expect.message;
      assert.match(message, new RegExp(wanted.replace(/[.*+?^${}()[\]\\]/g, '\\$&').replace('\\|', '|'), 'i'), where);
      return;
    }
    const plan = run();
    if (expect.procs !== undefined) assert.is(plan.procs.length, expect.procs, `${where}: procs`);
    const ads = plan.procs.map((p) => p.classAd);
    for (const [attr, values] of Object.entries(expect.attrs ?? {}))
      assert.equal(
        ads.map((ad) => ad[attr]),
        values,
        `${where}: ${attr}`,
      );
    for (const [attr, pattern] of Object.entries(expect.attrMatch ?? {}))
      for (const ad of ads)
        assert.match(ad[attr] ?? '', new RegExp(pattern.replaceAll('@ROOT@', root)), `${where}: ${attr}`);
    for (const [attr, parts] of Object.entries(expect.attrContains ?? {}))
      for (const [i, part] of parts.entries())
        assert.ok(ads[i]?.[attr]?.includes(part), `${where}: ${attr} of proc ${i} holds ${part}`);
    if (expect.vars)
      assert.equal(
        plan.procs.map((p) => p.vars),
        expect.vars,
        `${where}: queue variables`,
      );
  });
});

test('three real LING573 files: every proc gets its own row in "--job $(job) …" (5 procs were wrong)', () => {
  const dir = join(suiteDir, 'ling573');
  const argsOf = (file: string) =>
    planSubmit(readSubmitStatements(join(dir, file), file, false), {
      submitFile: file,
      cwd: dir,
      cluster: 1,
      env: {},
    }).procs.map((p) => p.arguments.join(' '));
  assert.equal(argsOf('pretraining-test.cmd'), ['--index 1 --job humor', '--index 3 --job controversy']);
  assert.equal(argsOf('D4_fusion_kfolds.cmd'), ['--index 1 --job humor', '--index 2 --job controversy']);
  assert.equal(argsOf('D4_neural_kfolds.cmd'), [
    '--index 1 --job humor --dim_reduc_method pca --test 1',
    '--index 2 --job controversy --dim_reduc_method pca --test 1',
    '--index 1 --job humor --dim_reduc_method kbest --test 1',
    '--index 2 --job controversy --dim_reduc_method kbest --test 1',
  ]);
});

test('a quote kept whole in the last value is no surprise; a quote the split cuts through is reported', () => {
  const warnings = (items: string) =>
    planSubmit(parseSubmitText(`executable = /bin/true\narguments = $(b)\nqueue a, b from (\n${items}\n)\n`, 'q.sub'), {
      submitFile: 'q.sub',
      cwd: work,
      cluster: 1,
      env: {},
    }).warnings.filter((w) => w.rule === 'submit/queue-items');
  assert.equal(warnings('x, "--job $(a) --dim 2"'), []);
  assert.is(warnings('"x y", z').length, 1);
});

test('universe = scheduler is planned as condor_submit plans it (JobUniverse 7, no container)', () => {
  const plan = planSubmit(parseSubmitText('universe = scheduler\nexecutable = /bin/true\nqueue\n', 's.sub'), {
    submitFile: 's.sub',
    cwd: work,
    cluster: 1,
    env: {},
  });
  assert.is(plan.universe, 'scheduler');
  assert.is(plan.procs[0]!.classAd.JobUniverse, '7');
  assert.is(plan.procs[0]!.classAd.WantContainer, undefined);
});

test.run();
