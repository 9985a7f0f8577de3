// getenv as condor_submit reads it (submit_utils.cpp:1820-1840, env.cpp WhiteBlackEnvFilter):
// a boolean, or names and `*` globs to let through and `!` ones to keep out, case-insensitive;
// and which secrets it would copy (issue 18).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getenvMatcher, getenvSecrets } from '../../scripts/lib/submit-language/getenv.ts';
import { secretEnvironmentOf } from '../../scripts/lib/secret-mask.ts';
import { inheritedEnvironment } from '../../scripts/lib/local/job-env.ts';

test('booleans, lists, globs and ! exclusions', () => {
  assert.is(getenvMatcher(undefined), null);
  assert.is(getenvMatcher('false'), null);
  assert.ok(getenvMatcher('True')!('ANYTHING'));
  const list = getenvMatcher('PATH, cuda*;  !CUDA_HOME')!;
  assert.ok(list('PATH'));
  assert.ok(list('CUDA_VISIBLE_DEVICES'));
  assert.not.ok(list('CUDA_HOME'));
  assert.not.ok(list('HOME'));
  const allBut = getenvMatcher('!*TOKEN*')!;
  assert.ok(allBut('HOME'));
  assert.not.ok(allBut('REGISTRY_TOKEN'));
});

test('the secrets getenv would copy: token keys, .env keys and values holding a token; the last getenv wins', () => {
  const env = { REGISTRY_TOKEN: 'tok-12345678', MINE: 'x-tok-12345678', HOME: '/home/u' };
  const secrets = secretEnvironmentOf(env, { WANDB_API_KEY: 'k' });
  const statements = [
    { kind: 'assign', key: 'getenv', value: 'HOME', line: 3 },
    { kind: 'assign', key: 'GetEnv', value: 'true', line: 9 },
  ];
  const found = getenvSecrets(statements, [], env, secrets);
  assert.equal(found, { line: 9, value: 'true', names: ['GITHUB_TOKEN', 'MINE', 'REGISTRY_TOKEN', 'WANDB_API_KEY'] });
  assert.is(getenvSecrets(statements, ['getenv = HOME'], env, secrets), null);
  assert.equal(getenvSecrets(statements.slice(0, 1), ['getenv = *TOKEN*'], env, secrets)?.line, null);
  // What the job gets: HOME, never a secret.
  assert.equal([...inheritedEnvironment('true', env, secrets).keys()], ['HOME']);
});

test.run();
