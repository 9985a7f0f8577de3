// The light Dockerfile reader (dockerfile-lines.ts) against dockerfile-ast: where it reads a file,
// build-image's model of it (ARGs, COPY sources, final image) is the same as dockerfile-ast's, so
// the content hash cannot depend on which reader ran; where it cannot, it says so (null).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWithDockerfileAst, readDockerfile } from '../../scripts/lib/image/dockerfile.ts';
import { readPlainInstructions } from '../../scripts/lib/image/dockerfile-lines.ts';
import { repoRoot } from '../helpers/paths.ts';

const template = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');

const plain: Record<string, string> = {
  template,
  'stage args and env': [
    'ARG BASE=busybox:1.36',
    'ARG A',
    'ARG B=2 C=\'three\' D=""',
    'FROM --platform=linux/amd64 ${BASE} AS one',
    'ARG A=inner',
    'ENV DIR=/src OTHER="x" THIRD=${A}',
    'COPY --chown=1:1 ${DIR}/a.txt ${A}.cfg /dest/',
    'add b.tar.gz https://example.org/x.tgz /x/',
    'COPY ["c.txt", "d/e.txt", "/json/"]',
    'copy --from=one /etc/passwd /p',
    'FROM one',
    'COPY f* g?/h[ab] /glob/',
  ].join('\n'),
  'continuations and comments': [
    '# a comment',
    'ARG X=1',
    '',
    'FROM scratch',
    'COPY a \\',
    '  # a comment inside the continuation',
    '',
    '  b \\',
    '  /dst/',
    'RUN echo "quotes \\" and \\\\ do not matter in RUN" && \\',
    "    echo 'x'",
    'ENTRYPOINT [ "/app/entrypoint.sh" ]',
  ].join('\n'),
};

const needsFullReader: Record<string, string> = {
  escape: '# escape=`\nFROM scratch\nCOPY a `\n  b /c/',
  heredoc: 'FROM scratch\nCOPY <<EOF /x\nhello\nEOF\n',
  'quoted value with a space': 'ARG A="x y"\nFROM scratch',
  'escaped value': 'ARG A=a\\ b\nFROM scratch',
  'legacy ENV': 'FROM scratch\nENV A some value\nCOPY ${A} /x',
  'ARG NAME followed by more words': 'ARG A B=2\nFROM scratch',
  'quoted COPY operand': 'FROM scratch\nCOPY "a b" /c/',
  'JSON with a space': 'FROM scratch\nCOPY ["a b", "/c/"]',
  'glued continuation': 'FROM scratch\nCOPY a\\\nb /c/',
};

for (const [name, text] of Object.entries(plain)) {
  test(`plain Dockerfile (${name}): read lightly, the same model as dockerfile-ast's`, () => {
    const light = readPlainInstructions(text);
    assert.ok(light, 'the light reader reads it');
    const full = parseWithDockerfileAst(text);
    const overrides = new Map([['A', 'override']]);
    for (const args of [new Map<string, string>(), overrides]) {
      assert.equal(readDockerfile(light!, 'Dockerfile', args), readDockerfile(full, 'Dockerfile', args));
    }
    // Instruction by instruction, for what build-image reads.
    const pick = (list: typeof full) =>
      list
        .filter((i) => ['ARG', 'ENV', 'FROM', 'COPY', 'ADD'].includes(i.keyword))
        .map((i) => ({ ...i, arguments: i.json ? [] : i.arguments }));
    assert.equal(pick(light!), pick(full));
  });
}

for (const [name, text] of Object.entries(needsFullReader)) {
  test(`${name}: the light reader leaves it to dockerfile-ast`, () => {
    assert.is(readPlainInstructions(text), null);
    assert.ok(readDockerfile(text, 'Dockerfile').finalImage !== undefined);
  });
}

test.run();
