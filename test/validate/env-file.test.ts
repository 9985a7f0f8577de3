// .env: a hostile or mistaken file ends in one bounded finding, and nothing that may be a secret
// is ever printed — not a value, and not a line that may be one (a token pasted on its own line
// reads as a key to dotenv), in the human report and in --json alike.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../scripts/lib/errors.ts';
import { palette } from '../../scripts/lib/term.ts';
import { readEnvValues } from '../../scripts/lib/validate/env-file.ts';
import { validateWorkspace } from '../../scripts/lib/validate/index.ts';
import { reportHuman, reportJson } from '../../scripts/lib/validate/report.ts';
import { byRule, summary, tempWorkspace } from './helpers.ts';

const TOKENS = ['dGhpc2lzYXNlY3JldHRva2VuMTIz==', 'ghp_Zx81secretTOKEN0000000000000000000', 'glpat-s3cr3tXYZ: value'];

test('a token pasted on its own line is never printed: the finding names the line only', async () => {
  const ws = tempWorkspace();
  try {
    ws.write('.env', `REGISTRY_USER=alice\n${TOKENS.join('\n')}\nREGISTY_TOKEN=s3cr3t-value\n`);
    const report = await validateWorkspace({ root: ws.root, saveCache: false });
    const outputs = [reportJson(report), reportHuman(report, { root: ws.root, paint: palette(false) })];
    for (const out of outputs) {
      for (const token of [...TOKENS.map((t) => t.split(':')[0]!), 's3cr3t', 'dGhpc2lz', 'glpat'])
        assert.not.ok(out.includes(token), `${token} leaked:\n${out}`);
    }
    const lines = [...byRule(report, 'env/unknown-key'), ...byRule(report, 'env/malformed-line')].map((f) => f.line);
    assert.equal(lines.sort(), [2, 3, 4, 5], summary(report));
    // A near miss of a known key is still named: that is the typo the warning exists for.
    assert.ok(outputs[1]!.includes('REGISTY_TOKEN is not a setting'), outputs[1]);
    assert.match(byRule(report, 'env/unknown-key').find((f) => f.line === 2)!.message, /^line 2 sets a key/);
  } finally {
    ws.remove();
  }
});

test('an unclosed quote followed by a very long line: one bounded finding, no stack overflow in dotenv', async () => {
  const ws = tempWorkspace();
  try {
    ws.write('.env', `REGISTRY_TOKEN="s3cr3t\n${'x'.repeat(20_000_000)}\n`);
    const report = await validateWorkspace({ root: ws.root, saveCache: false });
    const [hit] = byRule(report, 'env/unreadable');
    assert.ok(hit, summary(report));
    assert.match(hit!.message, /^\.env is 20000\d+ bytes, over the \d+-byte limit/);
    assert.not.ok(reportJson(report).includes('s3cr3t'));
    await readEnvValues(ws.root).then(
      () => assert.unreachable(),
      (error: unknown) => {
        assert.instance(error, UserError);
        assert.is((error as UserError).exitCode, 2);
      },
    );
    // Within the bound, the unclosed quote itself is named by its line.
    ws.write('.env', 'REGISTRY_USER=alice\nREGISTRY_TOKEN="s3cr3t\nMORE=1\n');
    const small = await validateWorkspace({ root: ws.root, saveCache: false });
    assert.is(byRule(small, 'env/unclosed-quote')[0]?.line, 2, summary(small));
    assert.not.ok(reportJson(small).includes('s3cr3t'));
  } finally {
    ws.remove();
  }
});

test('a .env that is a folder is an error, not silently skipped', async () => {
  const ws = tempWorkspace();
  try {
    rmSync(join(ws.root, '.env'), { force: true });
    mkdirSync(join(ws.root, '.env'));
    const report = await validateWorkspace({ root: ws.root, saveCache: false });
    assert.match(byRule(report, 'env/unreadable')[0]?.message ?? '', /cannot read \.env: EISDIR/, summary(report));
  } finally {
    ws.remove();
  }
});

test.run();
