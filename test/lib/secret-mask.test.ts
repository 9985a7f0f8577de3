// The one secret mask (scripts/lib/secret-mask.ts) the gateway, the submit-file reader and
// submit share: every form a token can take in output is masked, short values are not, and a
// value added after the first use is masked from then on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MASK, SecretMask, tokenValues } from '../../scripts/lib/secret-mask.ts';

const TOKEN = 'ghp_S3cr3t"Tok\\en';

test('as given, quoted or spaced as in a submit file, JSON-escaped, and in another case', () => {
  const mask = new SecretMask([` "${TOKEN}" `]);
  assert.is(mask.mask(`a ${TOKEN} b`), `a ${MASK} b`);
  assert.is(mask.mask(JSON.stringify({ arg: TOKEN })), `{"arg":"${MASK}"}`);
  assert.is(mask.mask(`x=${TOKEN.toLowerCase()}`), `x=${MASK}`);
  assert.is(mask.mask(`line "${TOKEN}" `), `line${MASK}`, 'the form as added, quotes and spaces included');
  assert.ok(mask.foundIn(`--password=${TOKEN}`));
  assert.not.ok(mask.foundIn('nothing here'));
});

test('a secret that contains another is masked whole; values under 4 characters are not secrets', () => {
  const mask = new SecretMask(['abcd', 'abcdefgh', 'xyz', undefined, '']);
  assert.is(mask.mask('abcdefgh abcd xyz'), `${MASK} ${MASK} xyz`);
  assert.equal(mask.secrets, ['abcdefgh', 'abcd']);
});

test('a value added after use is masked from then on (the reader adds values it meets in a file)', () => {
  const mask = new SecretMask();
  assert.is(mask.mask('tok-123456'), 'tok-123456');
  assert.not.ok(mask.foundIn('tok-123456'));
  mask.add('tok-123456');
  assert.is(mask.mask('tok-123456'), MASK);
  assert.ok(mask.foundIn('a tok-123456'));
});

test('tokenValues: the token keys only, never the user halves', () => {
  const values = tokenValues({ REGISTRY_TOKEN: 'reg-token', REGISTRY_USER: 'me-the-owner', GITHUB_TOKEN: 'gh-token' });
  assert.ok(values.includes('reg-token') && values.includes('gh-token'));
  assert.not.ok(values.includes('me-the-owner'));
});

test.run();
