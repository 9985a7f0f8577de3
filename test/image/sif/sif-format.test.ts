// The SIF pieces that need no engine: the container format (against sif's layout: 128-byte
// header, 48 descriptors of 585 bytes at 4096, data from 32176, the partition at a 4096
// boundary), the tar splice, the /.singularity.d metadata, staging names and pruning, the
// submit pin and validate's Apptainer checks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { UserError } from '../../../scripts/lib/errors.ts';
import {
  DATA_OFFSET,
  DataType,
  layoutSif,
  readSifSummary,
  sifPrefix,
} from '../../../scripts/lib/image/sif/sif-container.ts';
import {
  dockerEnvScript,
  parseImageInspect,
  runscript,
  singularityMetadata,
} from '../../../scripts/lib/image/sif/singularity-metadata.ts';
import { spliceTar, tarEntry } from '../../../scripts/lib/image/sif/tar-splice.ts';
import { sifManifest } from '../../../scripts/lib/image/sif/oras-push.ts';
import { pruneStaged, preLetterStagingPath, stagedReference } from '../../../scripts/lib/image/sif/stage.ts';
import { isSifImage, pinnedImageLine } from '../../../scripts/lib/submit/image-pin.ts';
import { parseSubmitText } from '../../../scripts/lib/submit-language/submit-file.ts';
import { checkApptainerSubmit, diskKib } from '../../../scripts/lib/validate/apptainer-checks.ts';
import { readSubmitFile } from '../../../scripts/lib/validate/submit-file.ts';
import type { ImageRecord } from '../../../scripts/lib/image-record.ts';
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { repoRoot } from '../../helpers/paths.ts';

const inspect = (env: string[] | null) =>
  JSON.stringify([
    {
      Id: 'sha256:' + 'c'.repeat(64),
      Created: '2026-12-05T19:54:03.915398804Z',
      Architecture: 'amd64',
      Config: { Env: env, Entrypoint: ['/app/entrypoint.sh'], Cmd: null, WorkingDir: '/app', Labels: { a: 'b' } },
    },
  ]);
const source = { reference: 'r.example/x@sha256:' + 'd'.repeat(64), digest: 'sha256:' + 'd'.repeat(64) };

test('the SIF prefix: header, descriptors, objects and the partition place as sif lays them out', () => {
  const small = [Buffer.from('bootstrap: docker\n'), Buffer.from('{"x":1}')];
  const objects = [
    { type: DataType.deffile, name: '', data: small[0]!, size: small[0]!.length },
    { type: DataType.genericJson, name: 'inspect-metadata.json', data: small[1]!, size: small[1]!.length },
    { type: DataType.partition, name: '', size: 8192 },
  ];
  const prefix = sifPrefix(objects, 'linux/amd64');
  const { partitionOffset } = layoutSif(small.map((b) => b.length));
  assert.is(prefix.length, partitionOffset);
  assert.is(partitionOffset % 4096, 0);
  assert.is(prefix.subarray(0, 31).toString(), '#!/usr/bin/env run-singularity\n'.slice(0, 31));
  const summary = readSifSummary(prefix)!;
  assert.is(summary.magic, 'SIF_MAGIC');
  assert.is(summary.version, '01');
  assert.is(summary.arch, '02');
  assert.is(summary.descriptorsTotal, 48);
  assert.is(summary.descriptorsFree, 45);
  assert.is(summary.dataOffset, DATA_OFFSET);
  assert.is(summary.dataOffset, 32176);
  assert.is(summary.dataSize, partitionOffset + 8192 - 32176);
  assert.equal(
    summary.objects.map((o) => [o.id, o.type, o.group, o.offset, o.size, o.name]),
    [
      [1, 0x4001, 1, 32176, small[0]!.length, ''],
      [2, 0x4006, 1, 32176 + small[0]!.length, small[1]!.length, 'inspect-metadata.json'],
      [3, 0x4004, 1, partitionOffset, 8192, ''],
    ],
  );
  const part = summary.objects[2]!;
  assert.equal([part.fsType, part.partType, part.arch], [1, 2, '02']);
  assert.is(prefix.subarray(32176, 32176 + small[0]!.length).toString(), 'bootstrap: docker\n');
  // Deterministic: nil UUID, Go's zero time (-62135596800) in the header.
  assert.ok(prefix.subarray(48, 64).every((b) => b === 0));
  assert.is(prefix.readBigInt64LE(64), -62135596800n);
  assert.equal(sifPrefix(objects, 'linux/amd64'), prefix);
});

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function tarNames(tar: Buffer): string[] {
  const names: string[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    names.push(header.toString('utf8', 0, 100).replace(/\0.*$/s, ''));
    const size = Number.parseInt(header.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

test('the tar splice drops .dockerenv, keeps the rest byte for byte, and appends before the end', async () => {
  const input = Buffer.concat([
    tarEntry({ path: '.dockerenv', type: 'file', mode: 0o755, data: Buffer.alloc(0), mtime: 1 }),
    tarEntry({ path: 'bin', type: 'dir', mode: 0o755, mtime: 1 }),
    tarEntry({ path: 'bin/a', type: 'file', mode: 0o755, data: Buffer.alloc(1000, 7), mtime: 1 }),
    Buffer.alloc(1024),
  ]);
  const appended = tarEntry({
    path: '.singularity.d/runscript',
    type: 'file',
    mode: 0o755,
    data: Buffer.from('x'),
    mtime: 2,
  });
  // In small odd chunks: headers and contents split across writes.
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i += 333) chunks.push(input.subarray(i, i + 333));
  const out = await collect(Readable.from(chunks).pipe(spliceTar((p) => p === '.dockerenv', appended)));
  assert.equal(tarNames(out), ['bin/', 'bin/a', '.singularity.d/runscript']);
  assert.is(out.length % 512, 0);
  assert.ok(out.subarray(out.length - 1024).every((b) => b === 0));
  assert.equal(out.subarray(512, 512 + 512 + 1024), input.subarray(1024, 1024 + 512 + 1024));
});

test('a tar stream cut short gets no end blocks (sqfstar then fails instead of taking half an image)', async () => {
  const input = tarEntry({ path: 'bin/a', type: 'file', mode: 0o755, data: Buffer.alloc(1000, 7), mtime: 1 }).subarray(
    0,
    900,
  );
  const out = await collect(Readable.from([input]).pipe(spliceTar(() => false, Buffer.alloc(0))));
  assert.is(out.length, 512 + 388);
});

test('the metadata: ENV as 10-docker2singularity.sh, 99-base.sh puts the libs folder on LD_LIBRARY_PATH, runscript runs ENTRYPOINT', () => {
  const config = parseImageInspect(inspect(['PATH=/a/bin:/bin', 'CONDA_OVERRIDE_CUDA=12.9', 'Q=a"b$c']), 'img');
  const env = dockerEnvScript(config.env);
  assert.match(env, /^export PATH="\/a\/bin:\/bin"$/m);
  assert.match(env, /^export CONDA_OVERRIDE_CUDA="\$\{CONDA_OVERRIDE_CUDA:-"12\.9"\}"$/m);
  assert.match(env, /^export Q="\$\{Q:-"a\\"b\\\$c"\}"$/m);
  const meta = singularityMetadata(config, source);
  const file = (path: string) => meta.entries.find((e) => e.path === path);
  assert.match(
    file('.singularity.d/env/99-base.sh')!.data!.toString(),
    /LD_LIBRARY_PATH="\$LD_LIBRARY_PATH:\/\.singularity\.d\/libs"/,
  );
  assert.match(file('.singularity.d/runscript')!.data!.toString(), /^exec '\/app\/entrypoint\.sh' "\$@"$/m);
  const labels = JSON.parse(file('.singularity.d/labels.json')!.data!.toString());
  assert.is(labels['io.pixi-condor.source-digest'], source.digest);
  assert.is(labels.a, 'b');
  assert.is(file('singularity')!.target, '.singularity.d/runscript');
  assert.ok(meta.entries.every((e) => e.mtime === Date.UTC(2026, 11, 5, 19, 54, 3) / 1000));
  assert.match(runscript({ ...config, entrypoint: null, cmd: ['python', 'x y'] }, source), /set -- 'python' 'x y'/);
});

test('an image with no ENV is a user error naming the fix', () => {
  for (const env of [null, []]) {
    try {
      parseImageInspect(inspect(env), 'localhost/x:1');
      assert.unreachable('no error');
    } catch (error) {
      assert.instance(error, UserError);
      assert.match((error as Error).message, /image localhost\/x:1 has no ENV/);
      assert.match((error as UserError).hint ?? '', /ENV PATH=/);
    }
  }
});

test('the oras manifest: one SIF layer with the file sha256, the empty config, the image created time', () => {
  const manifest = JSON.parse(
    sifManifest({ fileName: 'a.sif', sha256: 'e'.repeat(64), size: 42 }, '2026-01-01T00:00:00Z').toString(),
  );
  assert.is(manifest.config.mediaType, 'application/vnd.sylabs.sif.config.v1+json');
  assert.is(manifest.config.digest, 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  assert.is(manifest.layers.length, 1);
  assert.equal(manifest.layers[0], {
    mediaType: 'application/vnd.sylabs.sif.layer.v1.sif',
    digest: `sha256:${'e'.repeat(64)}`,
    size: 42,
    annotations: { 'org.opencontainers.image.title': 'a.sif' },
  });
  assert.is(manifest.annotations['org.opencontainers.image.created'], '2026-01-01T00:00:00Z');
});

test('staging: the osdf or file form by size and place; the pre-2026 layout is recognised', () => {
  assert.is(
    stagedReference('/staging/a/alice/x.sif', 2e9, { STAGING: '/staging/a/alice' }),
    'osdf:///chtc$ENV(STAGING)/x.sif',
  );
  assert.is(
    stagedReference('/staging/a/alice/s/x.sif', 2e9, { STAGING: '/staging/a/alice' }),
    'osdf:///chtc$ENV(STAGING)/s/x.sif',
  );
  // A folder whose name begins with two dots is inside $STAGING: its name stays in the reference.
  assert.is(
    stagedReference('/staging/a/alice/..sifs/x.sif', 2e9, { STAGING: '/staging/a/alice' }),
    'osdf:///chtc$ENV(STAGING)/..sifs/x.sif',
  );
  assert.is(stagedReference('/staging/a/alice/x.sif', 2e9, {}), 'osdf:///chtc/staging/a/alice/x.sif');
  assert.is(stagedReference('/staging/a/alice/x.sif', 31e9, {}), 'file:///staging/a/alice/x.sif');
  assert.ok(preLetterStagingPath('/staging/alice'));
  assert.not.ok(preLetterStagingPath('/staging/a/alice'));
  assert.not.ok(preLetterStagingPath('/staging/groups'));
});

test('pruning keeps the current SIF and the newest older one, leaves other files alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-sif-prune-'));
  try {
    const names = ['pc-a.sif', 'pc-b.sif', 'pc-c.sif', 'pc-now.sif', 'other-x.sif', 'pc-notes.txt'];
    names.forEach((name, i) => {
      writeFileSync(join(dir, name), name);
      utimesSync(join(dir, name), 1000 + i, 1000 + i);
    });
    const said: string[] = [];
    const dry = pruneStaged(dir, 'pc-now.sif', { dir, prefix: 'pc-', env: {}, dryRun: true, err: (l) => said.push(l) });
    assert.equal(dry.sort(), ['pc-a.sif', 'pc-b.sif']);
    assert.is(readdirSync(dir).length, names.length, 'a dry run removes nothing');
    assert.match(said.join('\n'), /would remove the older .*pc-a\.sif/);
    pruneStaged(dir, 'pc-now.sif', { dir, prefix: 'pc-', env: {}, dryRun: false, err: () => {} });
    assert.equal(readdirSync(dir).sort(), ['other-x.sif', 'pc-c.sif', 'pc-notes.txt', 'pc-now.sif']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const record = {
  version: 1,
  repository: 'r.example/x',
  digest: 'sha256:' + 'a'.repeat(64),
  reference: 'r.example/x@sha256:' + 'a'.repeat(64),
} as ImageRecord;

test('submit pins a SIF submit file to the recorded SIF, a Docker one to the image; no SIF recorded is one clear error', () => {
  const apptainer = parseSubmitText('container_image = oras://r.example/x:t-sif\nqueue\n', 'a.sub');
  const docker = parseSubmitText('universe = container\nqueue\n', 'd.sub');
  const sif = { reference: `oras://r.example/x@sha256:${'b'.repeat(64)}`, sha256: 'c'.repeat(64), size: 1, file: null };
  assert.is(pinnedImageLine({ ...record, sif }, apptainer, 'a.sub'), `container_image = ${sif.reference}`);
  assert.is(pinnedImageLine({ ...record, sif }, docker, 'd.sub'), `container_image = docker://${record.reference}`);
  assert.is(pinnedImageLine(null, apptainer, 'a.sub'), null);
  assert.throws(() => pinnedImageLine(record, apptainer, 'a.sub'), /a\.sub runs a SIF .* records none/);
  for (const image of ['oras://a/b:c', 'osdf:///chtc/staging/a/b/x.sif', 'file:///x.sif', '/home/a/x.sif'])
    assert.ok(isSifImage(image), image);
  assert.not.ok(isSifImage('docker://a/b:c'));
});

test('validate: the container_image form, the pre-2026 staging path and request_disk of an Apptainer file', () => {
  const rules = (text: string) =>
    checkApptainerSubmit(readSubmitFile(text, 'a.sub')).map((f) => `${f.severity} ${f.rule} ${f.line}:${f.column}`);
  assert.equal(rules('container_image = oras://ghcr.io/o/pixi-condor:t-sif\nrequest_disk = 7GB\nqueue\n'), []);
  assert.equal(rules('container_image = docker://ghcr.io/o/p:t\nrequest_disk = 1GB\nqueue\n'), []);
  assert.equal(rules('container_image = osdf://chtc/staging/a/alice/x.sif\nrequest_disk = 7GB\nqueue\n'), [
    'error apptainer/container-image 1:19',
  ]);
  assert.equal(rules('container_image = osdf:///chtc/staging/alice/x.sif\nrequest_disk = 8G\nqueue\n'), [
    'error apptainer/staging-path 1:19',
  ]);
  assert.equal(rules('container_image = osdf:///chtc$ENV(STAGING)/x.sif\nrequest_disk = 2GB\nqueue\n'), [
    'warning apptainer/request-disk 2:16',
  ]);
  assert.is(diskKib('7GB'), 7 * 1024 * 1024);
  assert.is(diskKib('2000000'), 2000000);
  assert.is(diskKib('$(x)'), null);
});

test('the workflow installs squashfs-tools before each build-image step when pixi.toml says sif = true', () => {
  const workflow = load(readFileSync(join(repoRoot, '.github/workflows/build-image.yml'), 'utf8')) as {
    jobs: Record<string, { steps: { run?: string }[] }>;
  };
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const install = job.steps.findIndex((s) => /apt-get install .*squashfs-tools/.test(s.run ?? ''));
    const build = job.steps.findIndex((s) => /pixi run .*build-image/.test(s.run ?? ''));
    assert.ok(install >= 0 && install < build, name);
    assert.match(job.steps[install]!.run!, /grep -Eq .*sif.*true.* pixi\.toml/);
  }
});

test('the record reader: a record without sif stays valid; a sif it cannot read is dropped, the rest kept', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pixi-condor-sif-record-'));
  try {
    const { mkdirSync } = await import('node:fs');
    const { readImageRecord } = await import('../../../scripts/lib/image-record.ts');
    mkdirSync(join(root, '.pixi-condor'));
    const write = (value: unknown) => writeFileSync(join(root, '.pixi-condor/image.json'), JSON.stringify(value));
    // The reader checks the whole record's shape (issue 25): every field build-image writes.
    const full = {
      ...record,
      contentTag: 'default-noble-cuda12.9-0123456789ab',
      tags: ['default-noble-cuda12.9-0123456789ab'],
      contentHash: 'd'.repeat(64),
      environment: 'default',
      cuda: '12.9',
      platform: 'linux/amd64',
      gitRevision: null,
      recordedAt: '2026-12-05T00:00:00.000Z',
    };
    write(full);
    assert.is((await readImageRecord(root))!.sif, undefined);
    const sif = {
      reference: `oras://r.example/x@sha256:${'b'.repeat(64)}`,
      sha256: 'c'.repeat(64),
      size: 5,
      file: null,
    };
    write({ ...full, sif });
    assert.equal((await readImageRecord(root))!.sif, sif);
    write({ ...full, sif: { ...sif, reference: 'docker://nope' } });
    const read = (await readImageRecord(root))!;
    assert.is(read.sif, undefined);
    assert.is(read.digest, record.digest);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
