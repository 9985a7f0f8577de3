// The Dockerfile keeps the seed's recipe and the properties the tasks rely on: base images as
// build args, the environment layer depending on pixi.toml and pixi.lock alone, the same
// prefix in both stages, and a build context that holds no secret.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { repoRoot } from '../helpers/paths.ts';

const text = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);
const instructions = dockerfile.getInstructions().map((i) => ({
  keyword: i.getKeyword(),
  args: i.getArgumentsContent() ?? '',
  flags: ((i as unknown as { getFlags?(): { getName(): string }[] }).getFlags?.() ?? []).map((f) => f.getName()),
}));

const globalArgs = () => {
  const out = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property) out.set(property.getName(), (property.getValue() ?? '').replace(/^"|"$/g, ''));
  }
  return out;
};

test('both base images, CUDA_VERSION and ENVIRONMENT are build args with pinned defaults', () => {
  const args = globalArgs();
  assert.match(args.get('BUILD_IMAGE') ?? '', /^ghcr\.io\/prefix-dev\/pixi:\d+\.\d+\.\d+-noble$/);
  assert.match(args.get('FINAL_IMAGE') ?? '', /^ghcr\.io\/prefix-dev\/pixi:\d+\.\d+\.\d+-noble$/);
  assert.is(args.get('CUDA_VERSION'), '12.9');
  assert.is(args.get('ENVIRONMENT'), 'default');
  const froms = dockerfile.getFROMs().map((f) => f.getImageName());
  assert.equal(froms, ['${BUILD_IMAGE}', '${FINAL_IMAGE}']);
});

test('pixi.toml and pixi.lock are copied before anything else, and nothing else is copied from the context', () => {
  const contextCopies = instructions.filter(
    (i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !i.flags.includes('from'),
  );
  assert.equal(
    contextCopies.map((i) => i.args),
    ['pixi.toml pixi.lock ./'],
  );
  const firstRun = instructions.findIndex((i) => i.keyword === 'RUN');
  const copy = instructions.findIndex((i) => i.keyword === 'COPY');
  assert.ok(copy < firstRun, 'the COPY of the manifest comes before the first RUN');
});

test("the seed's recipe: CONDA_OVERRIDE_CUDA, pixi install --locked, shell-hook entrypoint", () => {
  assert.match(text, /^ENV CONDA_OVERRIDE_CUDA=\$\{CUDA_VERSION\}$/m);
  assert.match(text, /^RUN pixi install --locked --environment "\$\{ENVIRONMENT\}"$/m);
  assert.match(text, /pixi shell-hook --environment "\$\{ENVIRONMENT\}" --shell bash >> \/app\/entrypoint\.sh/);
  assert.match(text, /echo 'exec "\$@"' >> \/app\/entrypoint\.sh/);
  assert.match(text, /^ENTRYPOINT \[ "\/app\/entrypoint\.sh" \]$/m);
});

test('the final stage keeps the environment at the same prefix', () => {
  assert.match(
    text,
    /^COPY --from=build \/app\/\.pixi\/envs\/\$\{ENVIRONMENT\} \/app\/\.pixi\/envs\/\$\{ENVIRONMENT\}$/m,
  );
});

test('no "# syntax=" line (BuildKit would try to pull a frontend image)', () => {
  assert.not.match(text, /^#\s*syntax\s*=/m);
});

test('.dockerignore lets in pixi.toml and pixi.lock only', () => {
  const lines = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  assert.equal(lines, ['*', '!pixi.toml', '!pixi.lock']);
});

test.run();
