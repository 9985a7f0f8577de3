// Which procs `submit --local` runs in a container: as condor_submit's SetUniverse decides
// (submit_utils.cpp:4590-4715), a vanilla job (or one with no universe) that names an image is a
// container job (WantContainer), so a pool runs it in its image; only a vanilla job with no image
// runs on the host.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runsInContainer } from '../../scripts/lib/local/local-submit.ts';
import { parseSubmitText } from '../../scripts/lib/submit-language/submit-file.ts';
import { planSubmit } from '../../scripts/lib/submit-language/submit-plan.ts';

function inContainer(text: string, append: string[] = []): boolean {
  const { procs } = planSubmit(parseSubmitText(`executable = /bin/true\n${text}\nqueue\n`, 'c.sub'), {
    submitFile: 'c.sub',
    cwd: '/tmp',
    cluster: 1,
    append,
    env: {},
  });
  return runsInContainer(procs[0]!);
}

test('vanilla with container_image or docker_image runs in its container', () => {
  assert.ok(inContainer('universe = vanilla\ncontainer_image = docker://busybox:1'));
  assert.ok(inContainer('universe = vanilla\ndocker_image = busybox:1'));
  assert.ok(inContainer('universe = VANILLA\ncontainer_image = docker://busybox:1'));
});

test('the image submit appends (the pinned one) makes a vanilla job a container job too', () => {
  assert.ok(inContainer('universe = vanilla', ['container_image = docker://example.org/img@sha256:00']));
});

test('no universe with an image, container and docker universe run in a container', () => {
  assert.ok(inContainer('container_image = docker://busybox:1'));
  assert.ok(inContainer('universe = container\ncontainer_image = docker://busybox:1'));
  assert.ok(inContainer('universe = docker\ndocker_image = busybox:1'));
});

test('vanilla (or no universe) without an image runs on the host', () => {
  assert.not.ok(inContainer('universe = vanilla'));
  assert.not.ok(inContainer(''));
});

test.run();
