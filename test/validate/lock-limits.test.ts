// Issue 25: a lock's size and package count are checked before it is parsed (a 60 MB lock took
// 60 s and 985 MB to validate). pixi reads a lock of any size, so one past what validate checks is
// a warning naming the command that checks it, never an error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grownLock } from '../../bench/limits/inputs.ts';
import { validateWorkspace } from '../../scripts/lib/validate/index.ts';
import { MAX_CHECKED_LOCK_PACKAGES } from '../../scripts/lib/validate/lock-check.ts';
import { repoRoot } from '../helpers/paths.ts';
import { byRule, summary, tempWorkspace } from './helpers.ts';

test('a lock past 20,000 package records: lock/not-checked, counted without parsing it', async () => {
  const ws = tempWorkspace();
  try {
    const { text, packages } = grownLock(repoRoot, 9_500_000);
    assert.ok(packages > MAX_CHECKED_LOCK_PACKAGES, `${packages} records`);
    // Broken YAML at the end: a parse would report lock/unreadable; only the count may look at it.
    ws.write('pixi.lock', `${text}- conda: [unclosed\n  : :\n`);
    const report = await validateWorkspace({ root: ws.root, saveCache: false });
    const [finding] = byRule(report, 'lock/not-checked');
    assert.ok(finding, summary(report));
    assert.match(finding!.message, new RegExp(`${packages + 1} package records\\) is larger than validate checks`));
    assert.match(finding!.hint!, /pixi install --locked/);
    assert.equal(byRule(report, 'lock/unreadable'), []);
    assert.ok(report.warnings.includes(finding!), 'a warning: pixi itself reads a lock of any size');
  } finally {
    ws.remove();
  }
});

test('a lock just under the limits is parsed and checked as before', async () => {
  const ws = tempWorkspace();
  try {
    const { text, packages } = grownLock(repoRoot, 2_000_000);
    assert.ok(packages < MAX_CHECKED_LOCK_PACKAGES);
    ws.write('pixi.lock', `${text}- conda: [unclosed\n  : :\n`);
    const report = await validateWorkspace({ root: ws.root, saveCache: false });
    assert.equal(byRule(report, 'lock/not-checked'), []);
    assert.is(byRule(report, 'lock/unreadable').length, 1, summary(report));
  } finally {
    ws.remove();
  }
});

test.run();
