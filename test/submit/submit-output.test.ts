// What condor_submit prints, read back: the real outputs in the fixtures, the 25.13 monitor hint
// as the cluster's fallback, ERROR and WARNING lines, and the hint chosen for each failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSubmitOutput, submitFailureHint } from '../../scripts/lib/submit/submit-output.ts';
import { condorFixtures } from '../condor/fixtures.ts';

const sample = (name: string): string => readFileSync(join(condorFixtures, 'condor_submit', name), 'utf8');

test('the real success, warning and rejection outputs', () => {
  assert.equal(parseSubmitOutput(sample('chtc_website_submit_3_jobs_stdout.txt'), '').clusters, [
    { cluster: 36062145, firstProc: 0, count: 3 },
  ]);
  const warned = parseSubmitOutput(sample('htcondor_docs_submit_requirement_warning.txt'), '');
  assert.equal(warned.clusters, [{ cluster: 452, firstProc: 0, count: 1 }]);
  assert.is(warned.warnings.length, 2);
  const [stdout, ...stderr] = sample('htcondor_docs_submit_requirement_rejected.txt').split('\n');
  const rejected = parseSubmitOutput(stdout!, stderr.join('\n'));
  assert.equal(rejected.clusters, []);
  assert.equal(rejected.errors, [
    'ERROR: Failed to commit job submission into the queue.',
    'ERROR: This pool does not accept standard universe jobs.',
  ]);
  assert.match(submitFailureHint(rejected.errors), /the pool refused the job/);
});

test('-terse ranges, the monitor hint as a fallback, empty queues', () => {
  assert.equal(parseSubmitOutput('4242.0 - 4242.9\n', '').clusters, [{ cluster: 4242, firstProc: 0, count: 10 }]);
  assert.equal(
    parseSubmitOutput('Submitting job(s)...\n', 'To monitor your job(s), run: condor_watch_q -clusters 77\n').clusters,
    [{ cluster: 77, firstProc: 0, count: 3 }],
  );
  const empty = parseSubmitOutput('', '\nWARNING: "x.sub" has only empty "queue" commands -- no jobs queued\n');
  assert.match(empty.noJobs ?? '', /no jobs queued/);
});

test('a hint for each kind of ERROR', () => {
  const hint = (stderr: string): string => submitFailureHint(parseSubmitOutput('', stderr).errors);
  assert.match(hint("\nERROR: Can't find address of local schedd\n"), /access point/);
  assert.match(hint('\nERROR on Line 12 of submit file: $F() macro: no argument\n'), /fix the submit file at the line/);
  assert.match(
    hint('\nERROR: Can\'t open "/home/a/input"  with flags 00 (No such file or directory)\n'),
    /missing or unreadable/,
  );
  assert.match(hint("\nERROR: 'docker://x y' is not a valid container image\n"), /container image reference/);
  assert.match(hint('\nERROR: something new\n'), /condor_submit -dry-run/);
});

test.run();
