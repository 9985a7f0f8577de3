// .dockerignore semantics as Docker's patternmatcher has them: last match wins, `!` re-includes,
// `**` crosses folders, a matched folder covers what is under it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerIgnore, parseDockerignore } from '../../scripts/lib/image/dockerignore.ts';
import { repoRoot } from '../helpers/paths.ts';

const matcher = (text: string, kept: string[] = []) => new DockerIgnore(parseDockerignore(text), kept);

test('the template allow-list keeps only pixi.toml and pixi.lock (and the build files)', () => {
  const ignore = matcher(readFileSync(join(repoRoot, '.dockerignore'), 'utf8'), ['Dockerfile', '.dockerignore']);
  for (const path of ['pixi.toml', 'pixi.lock', 'Dockerfile', '.dockerignore'])
    assert.not.ok(ignore.ignores(path), path);
  for (const path of [
    '.env',
    'job/main.py',
    'node_modules/zx/package.json',
    '.pixi/envs/default/bin/python',
    'data/MNIST.tar.gz',
    '.git/config',
  ]) {
    assert.ok(ignore.ignores(path), path);
  }
});

test('last matching pattern wins; ! re-includes', () => {
  const ignore = matcher('*.md\n!README.md\nREADME.md\n');
  assert.ok(ignore.ignores('README.md'));
  assert.ok(ignore.ignores('CHANGES.md'));
  const reincluded = matcher('*.md\n!README.md\n');
  assert.not.ok(reincluded.ignores('README.md'));
  assert.ok(reincluded.ignores('CHANGES.md'));
});

test('* stays in one folder, ** crosses folders, a folder pattern covers its content', () => {
  const ignore = matcher('*.pyc\n**/__pycache__\ndata\n# a comment\n\n/secrets/*.key\n');
  assert.ok(ignore.ignores('x.pyc'));
  assert.not.ok(ignore.ignores('job/x.pyc'), '*.pyc matches at the top only, as in Docker');
  assert.ok(ignore.ignores('job/__pycache__/x.cpython-311.pyc'));
  assert.ok(ignore.ignores('data/train/images.bin'));
  assert.ok(ignore.ignores('secrets/a.key'));
  assert.not.ok(ignore.ignores('secrets/sub/a.key'));
  assert.not.ok(ignore.ignores('# a comment'));
});

test('? [] and escapes', () => {
  const ignore = matcher('file?.txt\nlog[0-9].txt\nodd\\*name\n');
  assert.ok(ignore.ignores('file1.txt'));
  assert.not.ok(ignore.ignores('file10.txt'));
  assert.ok(ignore.ignores('log7.txt'));
  assert.not.ok(ignore.ignores('logx.txt'));
  assert.ok(ignore.ignores('odd*name'));
  assert.not.ok(ignore.ignores('oddXname'));
});

test('files kept for the build are never ignored', () => {
  const ignore = matcher('*\n', ['Dockerfile', '.dockerignore']);
  assert.not.ok(ignore.ignores('Dockerfile'));
  assert.ok(ignore.ignores('other'));
});

test('an ignored folder is walked only when an exception can reach into it', () => {
  const ignore = matcher('*\n!pixi.toml\n!job/main.py\n');
  assert.not.ok(ignore.mayReincludeUnder('node_modules'));
  assert.ok(ignore.mayReincludeUnder('job'));
  assert.not.ok(ignore.ignores('job/main.py'));
  assert.ok(ignore.ignores('job/other.py'));
});

test.run();
