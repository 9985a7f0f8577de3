// The sandbox's .job.ad and .machine.ad (scripts/lib/local/job-ad.ts) are written fresh before
// each start: a link the job left at either name (it has had the sandbox since its last run, a
// checkpoint exit) is replaced, never written through to the file it names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAds } from '../../scripts/lib/local/job-ad.ts';

test('links at .job.ad and .machine.ad are replaced by the ads, the files they named untouched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-ads-'));
  try {
    const sandbox = join(dir, 'sandbox');
    mkdirSync(sandbox);
    const victim = join(dir, 'bashrc');
    writeFileSync(victim, 'PRECIOUS\n');
    symlinkSync(victim, join(sandbox, '.job.ad'));
    symlinkSync(victim, join(sandbox, '.machine.ad'));
    const input = {
      classAd: { Cmd: '"x"' },
      cluster: 1,
      proc: 0,
      starts: 2,
      host: 'h',
      slot: 's',
      cpus: 1,
      memoryMb: 128,
      gpus: [],
    };
    await writeAds(sandbox, input);
    assert.is(readFileSync(victim, 'utf8'), 'PRECIOUS\n');
    for (const name of ['.job.ad', '.machine.ad']) assert.ok(lstatSync(join(sandbox, name)).isFile(), name);
    assert.match(readFileSync(join(sandbox, '.job.ad'), 'utf8'), /^ClusterId = 1$/m);
    assert.match(readFileSync(join(sandbox, '.machine.ad'), 'utf8'), /^Cpus = 1$/m);
    await writeAds(sandbox, { ...input, starts: 3 }); // and again over its own files
    assert.match(readFileSync(join(sandbox, '.job.ad'), 'utf8'), /^NumJobStarts = 3$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
