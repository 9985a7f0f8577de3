// The end of every run that has a digest (up to date or pushed): write .pixi-condor/image.json
// (atomically; only printed under --dry-run) and print the summary with the pinned reference.
import { IMAGE_RECORD, readImageRecord, writeImageRecord, type ImageRecord } from '../image-record.ts';
import type { Plan } from './plan.ts';
import { formatBytes } from '../format.ts';

export interface FinishOptions {
  root: string;
  dryRun: boolean;
  /** Summary lines (stdout). */
  out: (line: string) => void;
  /** Notes (stderr). */
  err: (line: string) => void;
}

/** The record for `digest`; `tags` are the tags that name it (default: the content and moving tag). */
export function recordFor(
  plan: Plan,
  digest: string,
  sizeBytes: number | undefined,
  tags = [plan.contentTag, plan.movingTag],
): ImageRecord {
  return {
    version: 1,
    repository: plan.repository,
    contentTag: plan.contentTag,
    tags,
    digest,
    reference: `${plan.repository}@${digest}`,
    contentHash: plan.contentHash,
    buildArgOverrides: plan.buildArgOverrides,
    inputDigests: plan.inputDigests,
    environment: plan.config.environment,
    cuda: plan.cuda,
    platform: plan.config.platform,
    gitRevision: plan.git.revision,
    recordedAt: new Date().toISOString(),
    ...(sizeBytes !== undefined ? { sizeBytes } : {}),
  };
}

/** Write the record for submit (under --dry-run: say it would). */
export async function saveRecord(record: ImageRecord, options: FinishOptions): Promise<void> {
  if (options.dryRun) options.err(`would write ${IMAGE_RECORD}`);
  else {
    // A SIF made from this same content tag stays valid: keep it (build-image without --sif).
    const previous = await readImageRecord(options.root).catch(() => null);
    if (!record.sif && previous?.sif && previous.contentTag === record.contentTag) record.sif = previous.sif;
    await writeImageRecord(options.root, record);
  }
}

/** The summary: `outcome` first (what happened); `localSize` is the unpacked size when this run built the image. */
export function printSummary(result: ImageRecord, outcome: string, options: FinishOptions, localSize?: number): void {
  const sizes = [
    result.sizeBytes !== undefined ? `${formatBytes(result.sizeBytes)} compressed in the registry` : null,
    localSize ? `${formatBytes(localSize)} unpacked` : null,
  ].filter(Boolean);
  options.out(outcome);
  options.out(`  image   ${result.reference}`);
  options.out(`  tags    ${result.tags.join(', ')}`);
  if (sizes.length > 0) options.out(`  size    ${sizes.join(', ')}`);
  options.out(`  record  ${IMAGE_RECORD}${options.dryRun ? ' (not written: dry run)' : ''}`);
}

/** Record `digest` for submit, then print the summary. */
export async function finish(
  plan: Plan,
  digest: string,
  sizeBytes: number | undefined,
  outcome: string,
  options: FinishOptions,
  localSize?: number,
): Promise<void> {
  const result = recordFor(plan, digest, sizeBytes);
  await saveRecord(result, options);
  printSummary(result, outcome, options, localSize);
}
