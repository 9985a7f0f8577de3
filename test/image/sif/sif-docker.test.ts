// build-image --sif against the real engine and registries .ci/services.sh starts: a SIF of the
// busybox test image, built twice with one sha256, checked (header, the partition, the
// /.singularity.d files, `unsquashfs -l`, siftool when present), pushed to the open and the
// htpasswd registry as one oras layer whose digest is the file's sha256, skipped when present,
// pulled back by digest; submit pins mnist_gpu_apptainer.sub to it; --stage copies and prunes;
// no sqfstar, a full disk, a full staging folder, an image without ENV: one error, nothing
// half-written. Skips, saying why, without the Docker services or squashfs-tools.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageRecord } from '../../../scripts/lib/image-record.ts';
import { buildSif } from '../../../scripts/lib/image/sif/build-sif.ts';
import { readSifSummary } from '../../../scripts/lib/image/sif/sif-container.ts';
import { Shell, onPath } from '../../../scripts/lib/shell.ts';
import { UserError } from '../../../scripts/lib/errors.ts';
import { repoRoot } from '../../helpers/paths.ts';
import { runCommand, runScript, type RunResult } from '../../helpers/process.ts';
import { baseImageArgs, buildTestBaseImage, dockerSkipReason } from '../services.ts';
import { makeWorkspace, uniqueName, type TestWorkspace } from '../workspace.ts';

const skipReason =
  (await dockerSkipReason()) ??
  ((await onPath('sqfstar')) ? null : 'sqfstar (squashfs-tools) is not on PATH (.ci/services.sh installs it)');
if (skipReason) console.log(`image/sif/sif-docker.test.ts: skipping the SIF tests: ${skipReason}`);
const sifTest = skipReason ? test.skip : test;

const OPEN = process.env.PIXI_CONDOR_TEST_REGISTRY ?? '';
const AUTH = process.env.PIXI_CONDOR_TEST_AUTH_REGISTRY ?? '';
const USER = process.env.PIXI_CONDOR_TEST_AUTH_USER ?? '';
const PASSWORD = process.env.PIXI_CONDOR_TEST_AUTH_PASSWORD ?? '';
const workspaces: TestWorkspace[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'pixi-condor-sif-test-'));
const dockerConfig = join(scratch, 'docker-config');
const mounts: string[] = [];

function workspace(registry: string): { ws: TestWorkspace; path: string } {
  const path = `pixi-condor-test/${uniqueName('sif')}`;
  const ws = makeWorkspace(`${registry}/${path}`);
  copyFileSync(join(repoRoot, 'mnist_gpu_apptainer.sub'), join(ws.root, 'mnist_gpu_apptainer.sub'));
  workspaces.push(ws);
  return { ws, path };
}

const run = (ws: TestWorkspace, args: string[], env: Record<string, string | undefined> = {}) =>
  ws.buildImage([...baseImageArgs, '--sif', ...args], {
    env: { DOCKER_CONFIG: dockerConfig, ...env },
    timeoutMs: 180_000,
  });

const record = (ws: TestWorkspace) => JSON.parse(ws.read('.pixi-condor/image.json')) as ImageRecord;

function assertOk(result: RunResult): void {
  assert.is(result.code, 0, `build-image --sif failed:\n${result.stdout}\n${result.stderr}`);
}

/** One `error:` line with a hint, exit 1, no stack trace. */
function assertUserError(result: RunResult, pattern: RegExp): void {
  assert.is(result.code, 1, `expected exit 1, got ${result.code}:\n${result.stdout}\n${result.stderr}`);
  const errors = result.stderr.split('\n').filter((l) => l.startsWith('error: '));
  assert.is(errors.length, 1, result.stderr);
  assert.match(errors[0]!, pattern);
  assert.match(result.stderr, /^hint: /m);
  assert.not.match(result.stderr, /^\s+at .*:\d+:\d+\)?$/m, 'no stack trace');
}

/** No SIF and no partial file anywhere under `dir`. */
function assertNoSif(dir: string): void {
  const left = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.sif') || n.includes('.partial')) : [];
  assert.equal(left, [], `left in ${dir}`);
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function get(
  url: string,
  auth = false,
  accept = 'application/vnd.oci.image.manifest.v1+json',
): Promise<Response> {
  const headers: Record<string, string> = { accept };
  if (auth) headers.authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  return fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
}

/** A tmpfs of `size` at `dir` (root only); null when it cannot be mounted, with the reason. */
async function tinyDisk(dir: string, size: string): Promise<string | null> {
  mkdirSync(dir, { recursive: true });
  const mounted = await runCommand('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { timeoutMs: 20_000 });
  if (mounted.code !== 0) return `cannot mount a tmpfs (${mounted.stderr.trim() || mounted.code})`;
  mounts.push(dir);
  return null;
}

test.before(async () => {
  if (!skipReason) await buildTestBaseImage();
});

test.after(async () => {
  for (const dir of mounts) await runCommand('umount', [dir], { timeoutMs: 20_000 });
  const images = await runCommand('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], {
    timeoutMs: 60_000,
  });
  const ours = images.stdout
    .split('\n')
    .filter((ref) => /\/pixi-condor-test\/sif-|pixi-condor-sif-noenv/.test(ref) && ref.includes(`-${process.pid}-`));
  if (ours.length > 0) await runCommand('docker', ['image', 'rm', '--force', ...ours], { timeoutMs: 60_000 });
  for (const ws of workspaces) ws.remove();
  rmSync(scratch, { recursive: true, force: true });
});

let first: { ws: TestWorkspace; path: string; saved: ImageRecord; file: string } | null = null;

sifTest(
  'build-image --sif: a SIF Apptainer can read, pushed as one oras layer whose digest is its sha256, recorded',
  async () => {
    const { ws, path } = workspace(OPEN);
    const result = await run(ws, []);
    assertOk(result);
    const saved = record(ws);
    const sif = saved.sif!;
    assert.ok(sif, 'the record has sif');
    assert.match(sif.reference, new RegExp(`^oras://${OPEN.replace(/\./g, '\\.')}/${path}@sha256:[0-9a-f]{64}$`));
    assert.match(sif.file!, /^\.pixi-condor\/sif\/sif-.*-default-busybox-cuda12\.9-[0-9a-f]{12}\.sif$/);
    const file = join(ws.root, sif.file!);
    assert.is(sha256(file), sif.sha256);
    assert.is(readFileSync(file).length, sif.size);

    // The header and the partition, as sif reads them.
    const summary = readSifSummary(readFileSync(file).subarray(0, 40_000))!;
    assert.is(summary.launch, '#!/usr/bin/env run-singularity\n');
    assert.equal([summary.magic, summary.version, summary.arch], ['SIF_MAGIC', '01', '02']);
    const part = summary.objects.find((o) => o.type === 0x4004)!;
    assert.equal([part.fsType, part.partType, part.arch, part.group], [1, 2, '02', 1]);
    assert.is(part.offset % 4096, 0);
    assert.is(part.offset + part.size, sif.size);
    assert.is(
      readFileSync(file)
        .subarray(part.offset, part.offset + 4)
        .toString('latin1'),
      'hsqs',
    );
    if (await onPath('siftool')) {
      const list = await runCommand('siftool', ['list', file], { timeoutMs: 30_000 });
      assert.match(list.stdout, /FS \(Squashfs\/\*System\/amd64\)/, list.stdout + list.stderr);
    }

    // The filesystem: the image's tree plus the metadata, read by squashfs-tools itself.
    const listing = await runCommand('unsquashfs', ['-o', String(part.offset), '-l', file], { timeoutMs: 60_000 });
    assert.is(listing.code, 0, listing.stderr);
    for (const entry of [
      'bin/busybox',
      'app/entrypoint.sh',
      '.singularity.d/env/10-docker2singularity.sh',
      '.singularity.d/env/99-base.sh',
      '.singularity.d/runscript',
      '.singularity.d/labels.json',
      '.singularity.d/actions/exec',
      'singularity',
    ])
      assert.match(listing.stdout, new RegExp(`^squashfs-root/${entry.replace(/\./g, '\\.')}$`, 'm'), entry);
    assert.not.match(listing.stdout, /\.dockerenv/);
    const cat = async (inside: string) =>
      (await runCommand('unsquashfs', ['-o', String(part.offset), '-cat', file, inside], { timeoutMs: 30_000 })).stdout;
    assert.match(await cat('.singularity.d/env/10-docker2singularity.sh'), /^export PATH="\/usr\/local\/sbin:/m);
    assert.match(await cat('.singularity.d/env/99-base.sh'), /\/\.singularity\.d\/libs/);
    assert.match(await cat('.singularity.d/runscript'), /^exec '\/app\/entrypoint\.sh' "\$@"$/m);
    const labels = JSON.parse(await cat('.singularity.d/labels.json'));
    assert.is(labels['io.pixi-condor.source-digest'], saved.digest);
    assert.is(labels['io.pixi-condor.source-image'], saved.reference);

    // The registry: one SIF layer = the file, the config Apptainer writes; pulled back by digest.
    const digest = sif.reference.split('@')[1]!;
    const manifestResponse = await get(`http://${OPEN}/v2/${path}/manifests/${digest}`);
    assert.is(manifestResponse.status, 200);
    const manifestBytes = Buffer.from(await manifestResponse.arrayBuffer());
    assert.is(`sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`, digest);
    const manifest = JSON.parse(manifestBytes.toString());
    assert.is(manifest.config.mediaType, 'application/vnd.sylabs.sif.config.v1+json');
    assert.is(manifest.layers.length, 1);
    assert.is(manifest.layers[0].mediaType, 'application/vnd.sylabs.sif.layer.v1.sif');
    assert.is(manifest.layers[0].digest, `sha256:${sif.sha256}`);
    const tagged = await get(`http://${OPEN}/v2/${path}/manifests/${saved.contentTag}-sif`);
    assert.is(tagged.headers.get('docker-content-digest'), digest);
    const blob = Buffer.from(
      await (await get(`http://${OPEN}/v2/${path}/blobs/sha256:${sif.sha256}`, false, '*/*')).arrayBuffer(),
    );
    assert.equal(blob, readFileSync(file), 'the pulled layer is the SIF');
    first = { ws, path, saved, file };
  },
);

sifTest('the same image gives the same SIF bytes (built twice)', async () => {
  assert.ok(first, 'needs the first test');
  const { saved, file } = first!;
  const again = await buildSif({
    shell: new Shell(),
    engineBin: 'docker',
    image: `${saved.repository}:${saved.contentTag}`,
    source: { reference: saved.reference, digest: saved.digest },
    platform: 'linux/amd64',
    outDir: join(scratch, 'again'),
    fileName: 'again.sif',
    err: () => {},
  });
  assert.is(again!.sha256, first!.saved.sif!.sha256);
  assert.equal(readFileSync(again!.path), readFileSync(file));
});

sifTest(
  'a second build-image --sif finds the SIF tag and builds nothing; submit pins mnist_gpu_apptainer.sub to it',
  async () => {
    assert.ok(first, 'needs the first test');
    const { ws, saved } = first!;
    const result = await run(ws, []);
    assertOk(result);
    assert.match(result.stdout, /up to date: the registry already has .*-sif; no SIF built or pushed/);
    assert.not.match(result.stderr, /converting/);
    assert.equal(record(ws).sif, saved.sif);

    const submit = await runScript('submit.ts', ['mnist_gpu_apptainer.sub', '--dry-run'], {
      cwd: ws.root,
      env: { PIXI_PROJECT_ROOT: ws.root },
      timeoutMs: 60_000,
    });
    const output = submit.stdout + submit.stderr;
    assert.ok(output.includes(`'container_image = ${saved.sif!.reference}'`), output);
    assert.match(output, /✓ SIF can be pulled without credentials/);
    const docker = await runScript('submit.ts', ['mnist_gpu_docker.sub', '--dry-run'], {
      cwd: ws.root,
      env: { PIXI_PROJECT_ROOT: ws.root },
      timeoutMs: 60_000,
    });
    assert.ok((docker.stdout + docker.stderr).includes(`'container_image = docker://${saved.reference}'`));

    // --local without apptainer on PATH: the Docker image the SIF was made from, said so.
    const local = await runScript('submit.ts', ['mnist_gpu_apptainer.sub', '--local', '--allow-cpu', '--dry-run'], {
      cwd: ws.root,
      env: { PIXI_PROJECT_ROOT: ws.root },
      timeoutMs: 60_000,
    });
    const localOutput = local.stdout + local.stderr;
    assert.ok(
      localOutput.includes(`here it runs in the Docker image that SIF was made from, ${saved.reference}`),
      localOutput,
    );
    assert.ok(localOutput.includes(`${saved.reference} SANDBOX/mnist_gpu.sh`), localOutput);
  },
);

sifTest(
  'submit --local with apptainer on PATH runs the job with `apptainer exec` of the local SIF, as HTCondor does',
  async () => {
    assert.ok(first, 'needs the first test');
    const { ws, file } = first!;
    const bin = join(scratch, 'bin-apptainer');
    mkdirSync(bin);
    const log = join(scratch, 'apptainer-argv.log');
    // A stand-in (Apptainer cannot be installed here): it records its argv and runs the command in --pwd.
    writeFileSync(
      join(bin, 'apptainer'),
      `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nshift\nwhile [ $# -gt 0 ]; do case "$1" in --contain|--nv) shift;; --bind) shift 2;; --pwd) cd "$2"; shift 2;; *) break;; esac; done\nshift\nexec "$@"\n`,
      { mode: 0o755 },
    );
    writeFileSync(join(ws.root, 'hello.sh'), '#!/bin/sh\necho "from $0" > out.txt\n', { mode: 0o755 });
    writeFileSync(
      join(ws.root, 'hello.sub'),
      'universe = container\ncontainer_image = oras://example.invalid/x:t-sif\nexecutable = hello.sh\n' +
        'should_transfer_files = YES\ntransfer_output_files = out.txt\nlog = hello.log\noutput = hello.out\nerror = hello.err\nqueue\n',
    );
    const result = await runScript('submit.ts', ['hello.sub', '--local'], {
      cwd: ws.root,
      env: { PIXI_PROJECT_ROOT: ws.root, PATH: `${bin}:${process.env.PATH}` },
      timeoutMs: 120_000,
    });
    const output = result.stdout + result.stderr;
    assert.is(result.code, 0, output);
    assert.match(output, /runs the SIF with .*apptainer exec, as HTCondor does/);
    const argv = readFileSync(log, 'utf8').trim().split(' ');
    assert.equal(argv.slice(0, 3), ['exec', '--contain', '--bind']);
    assert.ok(argv.includes(file), `the local SIF: ${argv.join(' ')}`);
    assert.match(argv[argv.length - 1]!, /\/hello\.sh$/);
    assert.match(ws.read('out.txt'), /^from .*\/hello\.sh$/m);
    // The record keeps the SIF the file is pinned to on a pool: `pixi run resubmit` pins it again.
    const newest = readdirSync(join(ws.root, '.pixi-condor', 'jobs'))
      .filter((n) => /^\d+\.json$/.test(n))
      .sort((a, b) => Number.parseInt(b, 10) - Number.parseInt(a, 10))[0]!;
    const job = JSON.parse(ws.read(`.pixi-condor/jobs/${newest}`));
    assert.is(job.image.pin, record(ws).sif!.reference);
  },
);

sifTest(
  'the htpasswd registry: pushed with the credentials (never printed), pulled back by digest with them only',
  async () => {
    const { ws, path } = workspace(AUTH);
    const result = await run(ws, [], { REGISTRY_USER: USER, REGISTRY_TOKEN: PASSWORD });
    assertOk(result);
    assert.not.ok((result.stdout + result.stderr).includes(PASSWORD), 'the password is never printed');
    const sif = record(ws).sif!;
    assert.match(sif.reference, /^oras:\/\/127\.0\.0\.1:5001\/.*@sha256:[0-9a-f]{64}$/);
    assert.match(result.stderr, /execute points cannot pull oras:\/\//, 'the anonymous-pull check asks for the SIF');
    const digest = sif.reference.split('@')[1]!;
    assert.is((await get(`http://${AUTH}/v2/${path}/manifests/${digest}`)).status, 401);
    const manifest = await (await get(`http://${AUTH}/v2/${path}/manifests/${digest}`, true)).json();
    assert.is(manifest.layers[0].digest, `sha256:${sif.sha256}`);
    const blob = Buffer.from(
      await (await get(`http://${AUTH}/v2/${path}/blobs/sha256:${sif.sha256}`, true, '*/*')).arrayBuffer(),
    );
    assert.is(createHash('sha256').update(blob).digest('hex'), sif.sha256);
    assert.equal(blob, readFileSync(join(ws.root, sif.file!)));
    const submit = await runScript('submit.ts', ['mnist_gpu_apptainer.sub', '--dry-run'], {
      cwd: ws.root,
      env: { PIXI_PROJECT_ROOT: ws.root },
      timeoutMs: 60_000,
    });
    assert.match(submit.stdout + submit.stderr, /✗ SIF can be pulled without credentials/);
  },
);

sifTest(
  '--stage DIR: --dry-run shows what would go; then the SIF is copied under its name, recorded as osdf://, older ones pruned',
  async () => {
    assert.ok(first, 'needs the first test');
    const { ws, path } = first!;
    const stage = join(scratch, 'staging');
    mkdirSync(stage);
    const prefix = `${path.split('/').pop()}-`;
    for (const [i, name] of ['old-1', 'old-2', 'old-3'].entries()) {
      writeFileSync(join(stage, `${prefix}${name}.sif`), name);
      utimesSync(join(stage, `${prefix}${name}.sif`), 1000 + i, 1000 + i);
    }
    writeFileSync(join(stage, 'someone-else.sif'), 'x');
    const before = readdirSync(stage).sort();
    const dry = await run(ws, ['--stage', stage, '--dry-run']);
    assertOk(dry);
    assert.match(dry.stderr, /would copy the SIF to /);
    assert.match(dry.stderr, /would remove the older .*old-1\.sif/);
    assert.equal(readdirSync(stage).sort(), before, 'a dry run changes nothing');

    const result = await run(ws, ['--stage', stage], { STAGING: stage });
    assertOk(result);
    const sif = record(ws).sif!;
    const name = first!.file.split('/').pop()!;
    assert.is(sif.reference, `osdf:///chtc$ENV(STAGING)/${name}`);
    assert.is(sha256(join(stage, name)), sif.sha256);
    assert.equal(readdirSync(stage).sort(), [`${prefix}old-3.sif`, name, 'someone-else.sif'].sort());
    const again = await run(ws, ['--stage', stage], { STAGING: stage });
    assertOk(again);
    assert.match(again.stdout, /up to date: .* is there already \(named by content\); no SIF built/);
    assert.not.match(again.stderr, /converting/);
    assert.equal(record(ws).sif, sif);
    const submit = await runScript('submit.ts', ['mnist_gpu_apptainer.sub', '--dry-run'], {
      cwd: ws.root,
      env: { PIXI_PROJECT_ROOT: ws.root },
      timeoutMs: 60_000,
    });
    assert.ok((submit.stdout + submit.stderr).includes(`'container_image = osdf:///chtc$ENV(STAGING)/${name}'`));
  },
);

sifTest('no sqfstar on PATH: one error naming the package; no SIF, no partial file, no sif in the record', async () => {
  const { ws } = workspace(OPEN);
  const bin = join(scratch, 'bin-no-sqfstar');
  mkdirSync(bin);
  // bash too: the command gateway runs tools through zx, which starts them from bash.
  for (const tool of ['docker', 'git', 'bash']) symlinkSync((await onPath(tool))!, join(bin, tool));
  const result = await run(ws, [], { PATH: bin });
  assertUserError(result, /sqfstar is not on PATH/);
  assert.match(result.stderr, /squashfs-tools/);
  assert.is(record(ws).sif, undefined);
  assertNoSif(join(ws.root, '.pixi-condor/sif'));
});

sifTest(
  'a full disk under .pixi-condor/sif, then a full staging folder: one error each, nothing half-written',
  async () => {
    const { ws } = workspace(OPEN);
    const reason = await tinyDisk(join(ws.root, '.pixi-condor/sif'), '256k');
    if (reason) {
      console.log(`image/sif/sif-docker.test.ts: skipping the full-disk case: ${reason}`);
      return;
    }
    const result = await run(ws, []);
    assertUserError(result, /no space left in .*\.pixi-condor\/sif for the SIF/);
    assert.is(record(ws).sif, undefined);
    assertNoSif(join(ws.root, '.pixi-condor/sif'));

    assert.ok(first, 'needs the first test');
    const stage = join(scratch, 'full-staging');
    const staged = await tinyDisk(stage, '256k');
    assert.is(staged, null);
    const before = JSON.stringify(record(first!.ws).sif);
    const full = await run(first!.ws, ['--stage', stage]);
    assertUserError(full, /no space left in .*full-staging for the SIF/);
    assertNoSif(stage);
    assert.is(JSON.stringify(record(first!.ws).sif), before, 'the recorded SIF is unchanged');
  },
);

sifTest('an image with no ENV: one error naming the fix, no SIF written', async () => {
  const name = `localhost/pixi-condor-sif-noenv:${uniqueName('t')}`;
  const context = join(scratch, 'noenv');
  mkdirSync(context);
  writeFileSync(join(context, 'f'), 'x');
  const tar = await runCommand('tar', ['-C', context, '-cf', join(scratch, 'noenv.tar'), 'f'], { timeoutMs: 30_000 });
  assert.is(tar.code, 0);
  const imported = await runCommand('docker', ['import', join(scratch, 'noenv.tar'), name], { timeoutMs: 60_000 });
  assert.is(imported.code, 0, imported.stderr);
  const out = join(scratch, 'noenv-out');
  try {
    await buildSif({
      shell: new Shell(),
      engineBin: 'docker',
      image: name,
      source: { reference: name, digest: 'none' },
      platform: 'linux/amd64',
      outDir: out,
      fileName: 'x.sif',
      err: () => {},
    });
    assert.unreachable('no error');
  } catch (error) {
    assert.instance(error, UserError);
    assert.match((error as Error).message, /has no ENV/);
    assert.not.match((error as Error).message, /\n/);
  } finally {
    await runCommand('docker', ['image', 'rm', '--force', name], { timeoutMs: 60_000 });
  }
  assertNoSif(out);
});

test.run();
