// What build-image shows from the engines' output, and how it names a failed build. The lines
// are the engines' own formats (classic builder, BuildKit plain progress, podman, docker push).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildFailure, buildProgress } from '../../scripts/lib/image/build.ts';
import { formatBytes } from '../../scripts/lib/format.ts';
import { parseHumanBytes, stripAnsi } from '../../scripts/lib/image/progress.ts';
import { pushProgress, pushSummary, type LayerCount } from '../../scripts/lib/image/push.ts';

test('build steps from the classic builder, BuildKit and podman; the context size', () => {
  const state = { contextBytes: null as number | null, seen: new Set<string>() };
  assert.is(buildProgress('Sending build context to Docker daemon  74.24kB', state), 'context 72.5 KiB');
  assert.is(state.contextBytes, 74240);
  assert.is(buildProgress('Step 11/28 : RUN pixi install --locked', state), '[11/28] RUN pixi install --locked');
  assert.is(buildProgress(' ---> Running in dca89ef50c14', state), null);
  assert.is(buildProgress('STEP 3/9: COPY pixi.toml pixi.lock ./', state), '[3/9] COPY pixi.toml pixi.lock ./');
  assert.is(buildProgress('#7 [build 2/5] RUN pixi install --locked', state), '[build 2/5] RUN pixi install --locked');
  assert.is(buildProgress('#7 0.154 stand-in pixi: installed', state), null);
  assert.is(buildProgress('#7 [build 2/5] RUN pixi install --locked', state), null, 'each BuildKit step once');
  assert.is(buildProgress('#5 transferring context: 75.10kB 0.0s done', state), 'context 73.3 KiB');
});

test('a long step is one line; the labels build-image adds are shown by name, so the count reaches its end', () => {
  const state = { contextBytes: null as number | null, seen: new Set<string>() };
  const long = buildProgress(
    `Step 12/28 : RUN echo '#!/usr/bin/env bash' > /app/entrypoint.sh &&     pixi shell-hook --environment "\${ENVIRONMENT}" --shell bash >> /app/entrypoint.sh`,
    state,
  )!;
  assert.ok(long.length <= 100 + '[12/28] '.length, long);
  assert.match(long, /^\[12\/28\] RUN echo '#!\/usr\/bin\/env bash' > \/app\/entrypoint\.sh && pixi shell-hook .*…$/);
  assert.is(
    buildProgress('Step 23/28 : LABEL io.pixi-condor.content-hash=64f76fb3871c', state),
    "[23/28] LABEL io.pixi-condor.content-hash (build-image's)",
  );
  assert.is(
    buildProgress('Step 28/28 : LABEL org.opencontainers.image.created=2026-11-25T15:48:33.189Z', state),
    "[28/28] LABEL org.opencontainers.image.created (build-image's)",
  );
  assert.is(
    buildProgress('Step 7/9 : LABEL maintainer=me', state),
    '[7/9] LABEL maintainer=me',
    "the Dockerfile's own labels stay",
  );
});

test('pushed layers are counted; layers the registry has are counted, not listed', () => {
  const layers: LayerCount = { total: new Set(), done: new Set(), existing: new Set() };
  assert.is(pushProgress('e542aa5ad771: Preparing', layers), null);
  assert.is(pushProgress('949a5e9dde88: Preparing', layers), null);
  assert.is(pushProgress('5f14caf973cc: Preparing', layers), null);
  assert.is(pushProgress('e542aa5ad771: Pushed', layers), 'layer e542aa5ad771 pushed (1/3)');
  assert.is(pushProgress('949a5e9dde88: Layer already exists', layers), null);
  assert.is(
    pushProgress('5f14caf973cc: Mounted from other/repo', layers),
    'layer 5f14caf973cc mounted from other/repo (3/3)',
  );
  assert.is(pushProgress('latest: digest: sha256:abc size: 524', layers), null);
  assert.is(pushSummary(layers), '3 layers, 1 of them already in the registry');
});

test('a build that pixi refused for a stale lock points at `pixi lock`; others quote the engine', () => {
  const stale = buildFailure(
    'Step 11/28 : RUN pixi install --locked\n\u001b[91mError:   × lock-file not up-to-date with the workspace\n',
    1,
  );
  assert.match(stale.message, /pixi\.lock is out of date/);
  assert.match(stale.hint ?? '', /pixi lock/);
  const other = buildFailure(
    'Step 5/9 : FROM nowhere/base\npull access denied for nowhere/base, repository does not exist\n',
    1,
  );
  assert.is(other.message, 'the image build failed: pull access denied for nowhere/base, repository does not exist');
});

test('sizes', () => {
  assert.is(parseHumanBytes('3.072kB'), 3072);
  assert.is(parseHumanBytes('1.5MB'), 1_500_000);
  assert.is(parseHumanBytes('12B'), 12);
  assert.is(parseHumanBytes('lots'), null);
  assert.is(formatBytes(1024 * 1024 * 3.5), '3.5 MiB');
  assert.is(stripAnsi('\u001b[91mError\u001b[0m'), 'Error');
});

test.run();
