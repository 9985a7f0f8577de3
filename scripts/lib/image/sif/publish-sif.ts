// The SIF half of build-image (--sif, or [tool.pixi-condor] sif = true), after the Docker image
// is pushed or found: when the registry already has the SIF tag (the content tag + `-sif`),
// record it and stop, as the Docker no-op does (no engine needed); else convert the exact image
// to .pixi-condor/sif/<name>.sif, push it as an oras:// artifact (or copy it to --stage DIR),
// and add `sif` to .pixi-condor/image.json. The record is written last, whole.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { UserError } from '../../errors.ts';
import { formatBytes } from '../../format.ts';
import { IMAGE_RECORD, readImageRecord, writeImageRecord, type SifRecord } from '../../image-record.ts';
import { STATE_DIR } from '../../workspace.ts';
import { detectEngine } from '../engine.ts';
import { login, type RegistryAuth } from '../login.ts';
import type { Plan } from '../plan.ts';
import type { PublishOptions } from '../publish.ts';
import type { RegistryClient } from '../registry.ts';
import { buildSif, sha256File, type BuiltSif } from './build-sif.ts';
import { lookupSif, pushSif } from './oras-push.ts';
import { stageSif } from './stage.ts';

export const SIF_DIR = join(STATE_DIR, 'sif');

function sifNames(plan: Plan): { fileName: string; tag: string; prefix: string } {
  const prefix = `${basename(plan.ref.path)}-`;
  return { fileName: `${prefix}${plan.contentTag}.sif`, tag: `${plan.contentTag}-sif`, prefix };
}

/** Keep only the current SIF in .pixi-condor/sif (each is about half the image). */
function pruneLocal(root: string, keep: string): void {
  const dir = join(root, SIF_DIR);
  for (const name of readdirSync(dir))
    if (name !== keep && name.endsWith('.sif')) rmSync(join(dir, name), { force: true });
}

async function saveSif(root: string, sif: SifRecord, options: PublishOptions): Promise<void> {
  if (options.shell.dryRun || !options.push) return;
  const record = await readImageRecord(root);
  if (!record)
    throw new UserError(`${IMAGE_RECORD} is missing after the image was recorded`, {
      hint: 'run build-image --sif again',
    });
  await writeImageRecord(root, { ...record, sif });
}

function printSif(sif: SifRecord, outcome: string, options: PublishOptions): void {
  options.out(outcome);
  options.out(`  sif     ${sif.reference}`);
  options.out(`  sha256  ${sif.sha256} (${formatBytes(sif.size)})`);
  if (sif.file) options.out(`  file    ${sif.file}`);
}

/** Convert the image the engine has (pulled by digest first when it is not here). */
async function convert(plan: Plan, options: PublishOptions, digest: string | null): Promise<BuiltSif | null> {
  const { shell } = options;
  const engine = await detectEngine(shell, options.engine, options.env, plan.explain).catch((error: unknown) => {
    if (shell.dryRun && error instanceof UserError) return { bin: options.engine ?? 'docker', kind: 'docker' as const };
    throw error;
  });
  const local = `${plan.repository}:${plan.contentTag}`;
  const pinned = digest ? `${plan.repository}@${digest}` : null;
  const have = await shell.run([engine.bin, 'image', 'inspect', '--format', '{{.Id}}', local], {
    readOnly: true,
    nothrow: true,
  });
  let image = local;
  if (have.exitCode !== 0 && pinned && !shell.dryRun) {
    // On an access point or a fresh CI runner the image is in the registry only.
    let auth: RegistryAuth | null = null;
    try {
      if (plan.credentials && 'clientVersion' in engine)
        auth = await login(shell, engine, plan.ref.registry, plan.credentials);
      options.err(`pulling ${pinned} to convert it`);
      await shell.run([engine.bin, 'pull', pinned], { env: auth?.env ?? {} });
      image = pinned;
    } finally {
      await auth?.dispose();
    }
  }
  const { fileName } = sifNames(plan);
  if (!shell.dryRun)
    options.err(`converting ${image} to a SIF (squashfs of its root filesystem; minutes for a CUDA image)`);
  return buildSif({
    shell,
    engineBin: engine.bin,
    image,
    source: { reference: pinned ?? local, digest: digest ?? 'not pushed' },
    platform: plan.config.platform,
    outDir: join(options.root, SIF_DIR),
    fileName,
    err: options.err,
  });
}

/** The staging folder has this content name already: record it (and prune) without converting. */
async function recordStaged(plan: Plan, options: PublishOptions): Promise<boolean> {
  const { fileName, prefix } = sifNames(plan);
  const staged = join(resolve(options.stage!), fileName);
  const size = statSync(staged, { throwIfNoEntry: false })?.isFile() ? statSync(staged).size : null;
  if (size === null) return false;
  const sha256 = await sha256File(staged);
  const stage = { dir: options.stage!, prefix, env: options.env, dryRun: false, err: options.err };
  const local = join(SIF_DIR, fileName);
  const file = statSync(join(options.root, local), { throwIfNoEntry: false })?.size === size ? local : null;
  const sif: SifRecord = { reference: stageSif(staged, fileName, size, stage), sha256, size, file };
  await saveSif(options.root, sif, options);
  printSif(sif, `up to date: ${staged} is there already (named by content); no SIF built`, options);
  return true;
}

export async function publishSif(plan: Plan, registry: RegistryClient, options: PublishOptions): Promise<number> {
  const { shell, root } = options;
  const { fileName, tag, prefix } = sifNames(plan);
  const record = options.push && !shell.dryRun ? await readImageRecord(root) : null;
  const oras = (digest: string) => `oras://${plan.repository}@${digest}`;
  if (options.push && !options.stage) {
    const found = await lookupSif(registry, tag).catch((error: unknown) => {
      if (shell.dryRun && error instanceof UserError) return { state: 'missing' as const };
      throw error;
    });
    if (found.state === 'needs-credentials') {
      throw new UserError(`registry ${plan.ref.registry} needs credentials to check ${plan.repository}:${tag}`, {
        hint: 'set REGISTRY_USER and REGISTRY_TOKEN in .env (see .env.example)',
      });
    }
    if (found.state === 'not-sif') {
      throw new UserError(`${plan.repository}:${tag} is there but is not a SIF Apptainer can pull (${found.reason})`, {
        hint: `delete that tag in the registry, then run build-image --sif again`,
      });
    }
    if (found.state === 'found') {
      const local = join(SIF_DIR, found.fileName || fileName);
      const sif: SifRecord = { reference: oras(found.digest), sha256: found.sha256, size: found.size, file: null };
      if (statSync(join(root, local), { throwIfNoEntry: false })?.size === found.size) sif.file = local;
      await saveSif(root, sif, options);
      printSif(sif, `up to date: the registry already has ${plan.repository}:${tag}; no SIF built or pushed`, options);
      return 0;
    }
  }
  if (options.stage && !shell.dryRun && (await recordStaged(plan, options))) return 0;
  const built = await convert(plan, options, record?.digest ?? null);
  if (!built && options.stage) {
    stageSif(null, fileName, 0, { dir: options.stage, prefix, env: options.env, dryRun: true, err: options.err });
    return 0;
  }
  if (!built) {
    options.err(
      options.stage
        ? `would stage the SIF in ${options.stage}`
        : `would push it as oras://${plan.repository}:${tag} and record it`,
    );
    return 0;
  }
  pruneLocal(root, fileName);
  const file = relative(root, built.path);
  if (options.stage) {
    const reference = stageSif(built.path, fileName, built.size, {
      dir: options.stage,
      prefix,
      env: options.env,
      dryRun: shell.dryRun,
      err: options.err,
    });
    const sif: SifRecord = { reference, sha256: built.sha256, size: built.size, file };
    await saveSif(root, sif, options);
    printSif(sif, `staged the SIF${options.push ? '' : ' (not recorded: --no-push)'}`, options);
    return 0;
  }
  if (!options.push) {
    options.out(`built ${file} (${formatBytes(built.size)}, sha256 ${built.sha256}); not pushed (--no-push)`);
    return 0;
  }
  const pushed = await pushSif(registry, tag, built, built.created);
  const sif: SifRecord = { reference: oras(pushed.digest), sha256: built.sha256, size: built.size, file };
  const { makePublicHint, probeAnonymousPull } = await import('../../submit/anonymous-pull.ts');
  const pull = await probeAnonymousPull(`${plan.repository}@${pushed.digest}`);
  if (pull.state === 'not-pullable') {
    options.err(`warning: execute points cannot pull ${sif.reference} without credentials: ${pull.reason}`);
    options.err(`hint: ${makePublicHint(`${plan.repository}@${pushed.digest}`)}`);
  }
  await saveSif(root, sif, options);
  printSif(
    sif,
    pushed.uploaded ? 'built and pushed the SIF' : 'built the SIF; the registry had its bytes already',
    options,
  );
  return 0;
}
