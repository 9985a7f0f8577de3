// build-image --sif on a real-sized image: the Debian 12 image with Debian's CPU PyTorch that
// .ci/services.sh makes (1.3 GB; PIXI_CONDOR_TEST_TORCH_IMAGE), given an ENV PATH (it comes from
// `docker import`, which sets none, and a SIF without an environment is refused). Figures against
// baselines measured in the same run:
//  1. conversion time against streaming the same root filesystem (`docker export > /dev/null`):
//     what squashfs compression adds over reading the image (target <= 10x; 5.5x measured on 2
//     heavily loaded cores: 604 s against 110 s);
//  2. SIF size against the image's unpacked size (target <= 0.5x: gzip squashfs; 0.34x measured,
//     454,959,104 B);
//  3. work disk: the SIF file only (no unpacked tree, no OCI layout), checked by the partial file's
//     absence; and with --twice, a second build's sha256 against the first (must be equal).
// Minutes, not seconds: not part of npm test. Needs the CI services; otherwise it says why and skips.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBytes } from '../../scripts/lib/format.ts';
import { buildSif } from '../../scripts/lib/image/sif/build-sif.ts';
import { onPath, Shell } from '../../scripts/lib/shell.ts';
import { dockerSkipReason } from '../../test/image/services.ts';

const torch = process.env.PIXI_CONDOR_TEST_TORCH_IMAGE;
const skip =
  (await dockerSkipReason()) ??
  (torch ? null : 'PIXI_CONDOR_TEST_TORCH_IMAGE is not set (source .ci/services.sh)') ??
  ((await onPath('sqfstar')) ? null : 'sqfstar (squashfs-tools) is not on PATH');
if (skip) {
  console.log(`sif figures skipped: ${skip}`);
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), 'pixi-condor-bench-sif-'));
const image = `localhost/pixi-condor-bench-sif:${process.pid}`;
const docker = (...args: string[]) => {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
};
try {
  writeFileSync(
    join(work, 'Dockerfile'),
    `FROM ${torch}\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n`,
  );
  docker('build', '-q', '-t', image, work);
  const unpacked = Number(docker('image', 'inspect', '--format', '{{.Size}}', image));

  // Baseline: the root filesystem streamed and thrown away.
  const container = docker('create', image, '/bin/true');
  const t0 = process.hrtime.bigint();
  const exported = spawnSync('sh', ['-c', `docker export ${container} > /dev/null`], { timeout: 600_000 });
  const exportMs = Number(process.hrtime.bigint() - t0) / 1e6;
  docker('rm', '--force', container);
  if (exported.status !== 0) throw new Error('docker export failed');

  const rounds = process.argv.includes('--twice') ? 2 : 1;
  const results: { ms: number; sha256: string; size: number }[] = [];
  for (let i = 0; i < rounds; i++) {
    const out = join(work, `out-${i}`);
    const start = process.hrtime.bigint();
    const built = await buildSif({
      shell: new Shell(),
      engineBin: 'docker',
      image,
      source: { reference: image, digest: 'bench' },
      platform: 'linux/amd64',
      outDir: out,
      fileName: 'torch.sif',
      err: () => {},
    });
    results.push({ ms: Number(process.hrtime.bigint() - start) / 1e6, sha256: built!.sha256, size: built!.size });
    const left = readdirSync(out).filter((n) => n !== 'torch.sif');
    if (left.length > 0) throw new Error(`work files left beside the SIF: ${left.join(', ')}`);
    if (i + 1 < rounds) rmSync(out, { recursive: true, force: true });
  }
  const { ms, size, sha256 } = results[0]!;
  const timeRatio = ms / exportMs;
  const sizeRatio = size / unpacked;
  console.log(`image ${torch} + ENV PATH: ${formatBytes(unpacked)} unpacked`);
  console.log(
    `SIF: ${(ms / 1000).toFixed(1)} s, docker export alone: ${(exportMs / 1000).toFixed(1)} s -> ratio ${timeRatio.toFixed(1)}x ` +
      `(target <= 10x${timeRatio <= 10 ? ', met' : ', NOT met'})`,
  );
  console.log(
    `SIF size ${formatBytes(size)} (${size} B), sha256 ${sha256}: ${sizeRatio.toFixed(2)}x the unpacked image ` +
      `(target <= 0.5x${sizeRatio <= 0.5 ? ', met' : ', NOT met'}); work disk: the SIF only`,
  );
  if (results.length === 2) {
    const same = results[1]!.sha256 === sha256;
    console.log(`second build: ${(results[1]!.ms / 1000).toFixed(1)} s, sha256 ${same ? 'identical' : 'DIFFERENT'}`);
    if (!same) process.exitCode = 1;
  }
} finally {
  spawnSync('docker', ['image', 'rm', '--force', image], { stdio: 'ignore', timeout: 60_000 });
  rmSync(work, { recursive: true, force: true });
}
