// validate reads Dockerfile ARG defaults with a small reader of its own (speed); build-image
// reads them with dockerfile-ast. Both must give each ARG the same default, and validate must
// place the default at its line and column.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readDockerfile } from '../../scripts/lib/image/dockerfile.ts';
import { dockerfileArgs } from '../../scripts/lib/validate/dockerfile-args.ts';
import { repoRoot } from '../helpers/paths.ts';

const values = (text: string) => new Map([...dockerfileArgs(text)].map(([name, arg]) => [name, arg.value]));

const AGREEING: [string, string][] = [
  ['the template', readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')],
  ['a global default', 'ARG CUDA_VERSION="12.9"\nFROM x\n'],
  ['a default only inside a stage', 'FROM x AS build\nARG CUDA_VERSION=12.8\nRUN echo\n'],
  ['a bare global ARG, the default in a stage', 'ARG CUDA_VERSION\nFROM x\nARG CUDA_VERSION=12.4\n'],
  ['the first default wins', 'FROM x\nARG CUDA_VERSION=12.4\nFROM y\nARG CUDA_VERSION=11.8\n'],
  ['continuations around the name and value', 'ARG \\\n  CUDA_VERSION=\\\n12.7\nFROM x\n'],
  ['a continuation inside a quoted value', 'ARG CUDA_VERSION="12\\\n.6"\nFROM x\n'],
  ['a comment line inside a continuation', 'ARG \\\n# the CUDA of the image\n    CUDA_VERSION=12.5\nFROM x\n'],
  ['single quotes, lower-case keyword, escaped quote', 'arg CUDA_VERSION=\'12.3\'\nARG Q="a\\"b"\nFROM x\n'],
  ['a heredoc body is not an instruction', 'FROM x\nRUN <<EOF\nARG CUDA_VERSION=9.9\nEOF\nARG CUDA_VERSION=12.1\n'],
  ['no ARG at all', 'FROM x\nRUN echo ARG CUDA_VERSION=1\n'],
  ['several names in one ARG', 'ARG A=1 CUDA_VERSION=12.5\nFROM x\n'],
];

for (const [name, text] of AGREEING) {
  test(`agrees with build-image's reader: ${name}`, () => {
    assert.equal(values(text), readDockerfile(text, 'Dockerfile').args);
  });
}

test('a stage-only CUDA_VERSION default is found, at its line and column', () => {
  const arg = dockerfileArgs('FROM x AS build\n\nARG CUDA_VERSION="12.8"\n').get('CUDA_VERSION');
  assert.equal(arg, { name: 'CUDA_VERSION', value: '12.8', line: 3, column: 'ARG CUDA_VERSION="'.length + 1 });
});

test('a default after a line continuation is placed on the line it is written on', () => {
  const args = dockerfileArgs('ARG BASE=ubuntu \\\n    CUDA_VERSION=12.9 \\\n  ENVIRONMENT\nFROM x\n');
  assert.equal(args.get('CUDA_VERSION'), {
    name: 'CUDA_VERSION',
    value: '12.9',
    line: 2,
    column: '    CUDA_VERSION='.length + 1,
  });
  assert.equal(args.get('ENVIRONMENT'), { name: 'ENVIRONMENT', value: null, line: 3, column: 3 });
  assert.is(args.get('BASE')?.value, 'ubuntu');
});

test('the `# escape=` directive changes the continuation character', () => {
  const args = dockerfileArgs('# escape=`\nARG BASE=ubuntu `\n  CUDA_VERSION=12.0\nFROM x\n');
  assert.equal(args.get('CUDA_VERSION'), {
    name: 'CUDA_VERSION',
    value: '12.0',
    line: 3,
    column: '  CUDA_VERSION='.length + 1,
  });
});

test.run();
