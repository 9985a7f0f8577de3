// A job's sandbox (and initialdir) bound into its container at its own path, whatever the path
// holds: docker's --mount and Apptainer's take CSV fields (a comma or quote quoted); Apptainer's
// --bind spec splits on ':' and ',', so a path with either goes by --mount there. Docker's form
// runs for real in local-docker.test.ts; Apptainer is not installable here (argv only).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { apptainerBind } from '../../scripts/lib/local/apptainer-run.ts';
import { bindMount } from '../../scripts/lib/local/container-run.ts';

test('docker --mount: plain, with a colon, with a comma and a quote', () => {
  assert.is(bindMount('/tmp/s/7.0'), 'type=bind,source=/tmp/s/7.0,target=/tmp/s/7.0');
  assert.is(bindMount('/tmp/a:b/7.0'), 'type=bind,source=/tmp/a:b/7.0,target=/tmp/a:b/7.0');
  assert.is(bindMount('/tmp/a,b"c'), 'type=bind,"source=/tmp/a,b""c","target=/tmp/a,b""c"');
});

test('apptainer: --bind PATH for a plain path, --mount src/dst for one with : or ,', () => {
  assert.equal(apptainerBind('/tmp/s/7.0'), ['--bind', '/tmp/s/7.0']);
  assert.equal(apptainerBind('/tmp/a:b'), ['--mount', 'type=bind,src=/tmp/a:b,dst=/tmp/a:b']);
  assert.equal(apptainerBind('/tmp/a,b'), ['--mount', 'type=bind,"src=/tmp/a,b","dst=/tmp/a,b"']);
  // A path that holds a key's name is still one field.
  assert.equal(apptainerBind('/tmp/dst=x,y'), ['--mount', 'type=bind,"src=/tmp/dst=x,y","dst=/tmp/dst=x,y"']);
});

test.run();
