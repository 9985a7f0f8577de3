// Issue 25: the local runner's own files (spec.json, end.json, notes.jsonl) are checked where
// they are read: a hand-edited or cut-short one reads as absent, never as a TypeError later on;
// a spec whose scratch folder or spool keys lead elsewhere too (the runner deletes and spools by them).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readRunEnd, readRunNotes, readRunSpec, runDir } from '../../scripts/lib/local/run-files.ts';

test('end.json, spec.json and notes.jsonl of the wrong shape read as absent; good ones as written', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pixi-condor-run-files-'));
  try {
    const dir = runDir(root, 5);
    mkdirSync(dir, { recursive: true });
    const write = (name: string, body: string) => writeFileSync(join(dir, name), body);
    for (const bad of ['5', 'null', '{"removedBy": 3}', '{"removedBy": null, "lost": "yes"}', '{', '[]']) {
      write('end.json', bad);
      assert.is(readRunEnd(root, 5), null, bad);
    }
    write('end.json', '{"removedBy": "pixi run cancel", "lost": true}');
    assert.equal(readRunEnd(root, 5), { removedBy: 'pixi run cancel', lost: true });

    for (const bad of ['{}', '{"cluster": 5, "procs": "x"}', 'null']) {
      write('spec.json', bad);
      assert.is(await readRunSpec(root, 5), null, bad);
    }
    const spec = {
      cluster: 5,
      procs: [{ proc: 0 }],
      images: [null],
      policies: [{}],
      jobs: 1,
      gpus: [],
      gpusPerProc: 0,
      allowCpu: false,
      network: null,
      runId: '0a1b2c3d4e5f',
      spoolKeys: ['5.0'],
      scratch: '/tmp/pixi-condor-0a1b2c3d4e5f-Ab12Cd',
    };
    write('spec.json', JSON.stringify(spec));
    assert.equal(await readRunSpec(root, 5), spec);
    // A spec rewritten to have the runner (or a recovery) delete or spool elsewhere reads as absent.
    for (const bad of [
      { scratch: '/home/u' },
      { scratch: '/tmp/pixi-condor-0a1b2c3d4e5f-Ab12Cd/../../home/u' },
      { scratch: '/tmp/x' },
      { spoolKeys: ['../../..'] },
      { spoolKeys: ['5.0/../../x'] },
      { scratch: '/tmp/pixi-condor-ffffffffffff-Ab12Cd' }, // another run's
    ]) {
      write('spec.json', JSON.stringify({ ...spec, ...bad }));
      assert.is(await readRunSpec(root, 5), null, JSON.stringify(bad));
    }

    write('notes.jsonl', '{"kind":"kept","proc":0,"existing":"a","newPath":"b"}\n7\n{"kind":1}\n{cut');
    assert.equal(readRunNotes(root, 5), [{ kind: 'kept', proc: 0, existing: 'a', newPath: 'b' }]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
