// Image names: repository with {owner}, codename from the final base image, tag templates.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../scripts/lib/errors.ts';
import { Explain } from '../../scripts/lib/image/explain.ts';
import { codenameOf, expandTag, parseRepository, resolveRepository } from '../../scripts/lib/image/naming.ts';
import { CONFIG_DEFAULTS } from '../../scripts/lib/workspace.ts';

const config = { ...CONFIG_DEFAULTS, buildArgs: {} };

test('{owner} comes from $GITHUB_REPOSITORY_OWNER, else the GitHub remote, in lower case; --explain says which', () => {
  const explain = new Explain();
  assert.is(resolveRepository(config, 'git@github.com:Alice/fork.git', {}, explain), 'ghcr.io/alice/pixi-condor');
  assert.match(explain.format(), /owner\s+alice\s+\(the git remote origin \(git@github.com:Alice\/fork.git\)\)/);
  const fromEnv = new Explain();
  assert.is(
    resolveRepository(config, 'https://github.com/Alice/fork', { GITHUB_REPOSITORY_OWNER: 'OrgX' }, fromEnv),
    'ghcr.io/orgx/pixi-condor',
  );
  assert.match(fromEnv.format(), /\$GITHUB_REPOSITORY_OWNER/);
});

test('no owner anywhere is a one-line error pointing at pixi.toml', () => {
  try {
    resolveRepository(config, 'https://gitlab.com/a/b.git', {}, new Explain());
    assert.unreachable();
  } catch (error) {
    assert.instance(error, UserError);
    assert.match((error as UserError).message, /cannot fill \{owner\}/);
    assert.is((error as UserError).file, 'pixi.toml');
  }
});

test('registry host and path', () => {
  assert.equal(parseRepository('ghcr.io/alice/pixi-condor'), { registry: 'ghcr.io', path: 'alice/pixi-condor' });
  assert.equal(parseRepository('127.0.0.1:5000/a/b'), { registry: '127.0.0.1:5000', path: 'a/b' });
  assert.equal(parseRepository('localhost/x'), { registry: 'localhost', path: 'x' });
  assert.equal(parseRepository('alice/x'), { registry: 'docker.io', path: 'alice/x' });
  assert.throws(() => parseRepository('ghcr.io/Alice/X'), /not a valid repository name/);
  assert.throws(() => parseRepository('ghcr.io/alice/x:v1'), /must not carry a tag/);
});

test('codename from the final base image tag', () => {
  assert.is(codenameOf('ghcr.io/prefix-dev/pixi:0.76.1-noble'), 'noble');
  assert.is(codenameOf('ghcr.io/prefix-dev/pixi:0.76.1-jammy-cuda-12.9.1'), 'jammy');
  assert.is(codenameOf('ghcr.io/prefix-dev/pixi:bookworm-slim'), 'bookworm');
  assert.is(codenameOf('localhost:5000/pixi:busybox'), 'busybox');
  assert.is(codenameOf('ubuntu'), 'latest');
});

test('tag templates: content tag carries 12 hash characters; bad templates are refused', () => {
  const values = { environment: 'default', codename: 'noble', cuda: '12.9', hash: 'ab'.repeat(32) };
  assert.is(expandTag(config.tag, values, 'tag'), 'default-noble-cuda12.9-abababababab');
  assert.is(expandTag(config.movingTag, values, 'moving-tag'), 'default-noble-cuda12.9');
  assert.throws(() => expandTag('{env}-{hash}', values, 'tag'), /unknown placeholder \{env\}/);
  assert.throws(() => expandTag('-{hash}', values, 'tag'), /not a valid image tag/);
});

test.run();
