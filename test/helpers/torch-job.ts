// Setup shared by the tests that train the template job for real on Debian's CPU PyTorch
// ($PIXI_CONDOR_TEST_TORCH_IMAGE, .ci/services.sh): the build base and the synthetic MNIST.
// The callers assert on what comes back, so a failure names the step in their own test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestBaseImage, TEST_BASE_IMAGE } from '../image/services.ts';
import { repoRoot } from './paths.ts';
import { type RunResult, runCommand } from './process.ts';

/**
 * The stand-in pixi puts a fake `python` in the environment's bin, which the entrypoint puts
 * first on PATH: `tag` is built as a base whose stand-in leaves it out, so Debian's python3 runs
 * the job.
 */
export async function buildTorchBuildBase(tag: string): Promise<RunResult> {
  await buildTestBaseImage();
  const context = mkdtempSync(join(tmpdir(), 'pixi-condor-torch-base-'));
  writeFileSync(
    join(context, 'Dockerfile'),
    `FROM ${TEST_BASE_IMAGE}\nRUN sed -i '/bin\\/python/d' /usr/local/bin/pixi\n`,
  );
  const built = await runCommand('docker', ['build', '-q', '-t', tag, context], { timeoutMs: 120_000 });
  rmSync(context, { recursive: true, force: true });
  return built;
}

/** test/job/make_synthetic_mnist.py run in `torchImage` as the user, writing `root`/data. */
export function makeSyntheticMnist(root: string, torchImage: string, args: string[]): Promise<RunResult> {
  const user = `${process.getuid!()}:${process.getgid!()}`;
  return runCommand(
    'docker',
    [
      ...['run', '--rm', '--network', 'none', '--user', user, '-v', `${root}:/w`],
      ...['-v', `${join(repoRoot, 'test', 'job')}:/tools:ro`, '-w', '/w', torchImage],
      ...['python3', '/tools/make_synthetic_mnist.py', 'data', ...args],
    ],
    { timeoutMs: 120_000 },
  );
}
