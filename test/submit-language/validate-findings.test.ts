// How validate shows what the submit-file reader reports (issues 10 and 12): `warning :`
// statements, condor_submit's "unused line" warning and the job-length warning are warnings at
// file:line:col; `error :` is an error with the author's message; the template itself is clean.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateWorkspace } from '../../scripts/lib/validate/index.ts';
import { byRule, lineOf, summary, tempWorkspace } from '../validate/helpers.ts';
import { bound } from '../helpers/process.ts';

const SUB = 'mnist_gpu_docker.sub';

test('the template submit file has none of these findings', async () => {
  const ws = tempWorkspace();
  try {
    const report = await validateWorkspace({ root: ws.root, saveCache: false });
    for (const rule of ['submit/warning-statement', 'submit/unused-line', 'submit/job-length', 'submit/plan'])
      assert.equal(byRule(report, rule), [], `${rule}\n${summary(report)}`);
  } finally {
    ws.remove();
  }
});

test('warning : and an unknown command are warnings at their line; error : is an error with its message', async () => {
  const ws = tempWorkspace();
  try {
    ws.edit(SUB, 'request_cpus = 1', 'request_cpus = 1\nwarning : try it on one GPU first\nreqest_memory = 4GB');
    const report = await validateWorkspace({ root: ws.root, saveCache: false });
    const [warning] = byRule(report, 'submit/warning-statement');
    assert.equal(
      [warning?.file, warning?.line, warning?.message],
      [SUB, lineOf(ws.read(SUB), 'warning :'), 'try it on one GPU first'],
    );
    const [unused] = byRule(report, 'submit/unused-line');
    assert.equal([unused?.line, report.warnings.includes(unused!)], [lineOf(ws.read(SUB), 'reqest_memory ='), true]);

    ws.edit(SUB, 'warning : try', 'if !defined MODE\nerror : set MODE\nendif\nwarning : try');
    const stopped = await validateWorkspace({ root: ws.root, saveCache: false });
    const [error] = byRule(stopped, 'submit/plan');
    assert.equal(
      [error?.message, error?.line, stopped.errors.includes(error!)],
      ['set MODE', lineOf(ws.read(SUB), 'error :'), true],
    );
  } finally {
    ws.remove();
  }
});

test('submit/job-length: a GPU job without +GPUJobLength, +JobDurationCategory or checkpoint_exit_code', async () => {
  const ws = tempWorkspace();
  try {
    // The template declares all three; take them out (its arguments still name the checkpoint code).
    ws.edit(SUB, '+GPUJobLength = "short"', '');
    ws.edit(SUB, '+JobDurationCategory = "Medium"', '');
    ws.edit(SUB, /^checkpoint_exit_code = 85$/m, '');
    const report = await validateWorkspace({ root: ws.root, saveCache: false });
    const [hit] = byRule(report, 'submit/job-length');
    assert.ok(hit, summary(report));
    assert.equal([hit!.line, hit!.column], [lineOf(ws.read(SUB), 'request_gpus'), 'request_gpus = '.length + 1]);
    ws.edit(
      SUB,
      'request_gpus = 1',
      'request_gpus = 1\ncheckpoint_exit_code = 85\ntransfer_checkpoint_files = checkpoint.pt',
    );
    assert.equal(byRule(await validateWorkspace({ root: ws.root, saveCache: false }), 'submit/job-length'), []);
  } finally {
    ws.remove();
  }
});

test('submit-file naming /dev/zero or a directory is one finding, found without reading it', async () => {
  const ws = tempWorkspace();
  try {
    for (const target of ['/dev/zero', 'job']) {
      ws.edit('pixi.toml', /submit-file = "[^"]*"/, `submit-file = "${target}"`);
      const started = Date.now();
      const report = await validateWorkspace({ root: ws.root, saveCache: false });
      const [hit] = byRule(report, 'template/submit-file-missing');
      assert.match(hit?.message ?? '', /not a regular file|directory/, summary(report));
      // Never reads /dev/zero (that would not end): a hang bound, stretched on a busy machine.
      assert.ok(Date.now() - started < bound(10_000));
    }
  } finally {
    ws.remove();
  }
});

test.run();
