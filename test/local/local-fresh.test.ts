// `submit --local` with no image record (issue 18, item 6), without Docker: --dry-run says it
// would build the workspace's image here and shows the docker run of that local build; nothing is
// built or recorded. The real build and run: local-torch.test.ts (Docker, Debian's PyTorch).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { localWorkspace, type LocalWorkspace } from './local-workspace.ts';

let lw: LocalWorkspace;
test.before.each(async () => {
  lw = await localWorkspace();
  rmSync(join(lw.root, '.pixi-condor', 'image.json'), { force: true });
});
test.after.each(() => lw.ws.cleanup());

test('no image record: --dry-run would build the image here (no registry) and run that build', async () => {
  const r = await lw.submit(['--local', '--allow-cpu', '--dry-run']);
  assert.match(
    r.stdout,
    /no image record: a real run builds localhost\/pixi-condor-local:default-[0-9a-f]{12} here first/,
  );
  assert.match(r.stdout, /docker run [^\n]* localhost\/pixi-condor-local:default-[0-9a-f]{12} /);
  assert.not.match(r.stdout + r.stderr, /without an image/);
  assert.not.ok(existsSync(join(lw.root, '.pixi-condor', 'local-image.json')), 'a dry run builds nothing');
  assert.not.ok(existsSync(join(lw.root, '.pixi-condor', 'image.json')));
});

test.run();
