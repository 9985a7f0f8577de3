// Checks of a submit file that runs a SIF under Apptainer (its container_image is an oras://,
// osdf://, file:// or .sif image): the image's form (what HTCondor and Apptainer accept), CHTC's
// staging path (the 2025 layout /staging/<netid> stopped working on 2026-08-01; since then
// /staging/<letter>/<netid>, i.e. $STAGING), and a request_disk that leaves room for the SIF (the
// seed asks 7GB for Apptainer against 2GB for Docker). Pure: findings with line and column.
import { isSifImage } from '../submit/image-pin.ts';
import type { SubmitFinding, SubmitSource } from './submit-file.ts';

const APPTAINER_MIN_DISK_KIB = 7 * 1024 * 1024;

export interface ApptainerFinding extends SubmitFinding {
  severity: 'error' | 'warning';
}

/** request_disk as condor_submit reads it (KiB without a unit; K/M/G/T with an optional B), or null. */
export function diskKib(value: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(value);
  if (!m) return null;
  const scale = { '': 1, K: 1, M: 1024, G: 1024 ** 2, T: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Number(m[1]) * scale;
}

/** Why `image` is not a form Apptainer jobs can use, or null. */
function sifImageProblem(image: string): string | null {
  const v = image.trim();
  if (/^oras:/i.test(v)) {
    return /^oras:\/\/[a-z0-9.-]+(?::\d+)?(?:\/[a-z0-9._-]+)+(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$/.test(
      v,
    )
      ? null
      : 'is not oras://<registry>/<repository>:<tag> or @sha256:<64 hex>';
  }
  if (/^(?:osdf|pelican):/i.test(v)) {
    return /^(?:osdf|pelican):\/\/\/\S+\.sif$/i.test(v)
      ? null
      : 'is not osdf:///<namespace>/<path>.sif (three slashes, a .sif file)';
  }
  if (/^file:/i.test(v)) return /^file:\/\/\/\S+\.sif$/i.test(v) ? null : 'is not file:///<absolute path>.sif';
  return null;
}

/** `/staging/<netid>/…` without the letter folder, in an osdf:///chtc/… or file:///… image. */
function preLetterStaging(image: string): string | null {
  const m = /^(?:osdf:\/\/\/chtc|file:\/\/)\/staging\/([^/$]+)\//i.exec(image.trim());
  if (!m || m[1]!.length === 1 || m[1] === 'groups') return null;
  return m[1]!;
}

export function checkApptainerSubmit(source: SubmitSource): ApptainerFinding[] {
  const image = source.commands.get('container_image') ?? source.commands.get('containerimage');
  if (!image || !isSifImage(image.value)) return [];
  const findings: ApptainerFinding[] = [];
  const at = { line: image.line, column: image.column };
  const problem = sifImageProblem(image.value);
  if (problem) {
    findings.push({
      severity: 'error',
      rule: 'apptainer/container-image',
      message: `container_image ${problem}`,
      hint: 'let `pixi run submit` pin it (it appends the SIF build-image --sif recorded), or write oras://<repository>:<tag>-sif, osdf:///chtc$ENV(STAGING)/<name>.sif',
      ...at,
    });
  }
  const netid = preLetterStaging(image.value);
  if (netid) {
    findings.push({
      severity: 'error',
      rule: 'apptainer/staging-path',
      message: `container_image uses the pre-2026 staging path /staging/${netid}/, which CHTC stopped serving on 2026-08-01`,
      hint: `use osdf:///chtc$ENV(STAGING)/<name>.sif ($STAGING is /staging/${netid[0]}/${netid} on the access point)`,
      ...at,
    });
  }
  const disk = source.commands.get('request_disk') ?? source.commands.get('requestdisk');
  const kib = disk ? diskKib(disk.value) : null;
  if (!disk || (kib !== null && kib < APPTAINER_MIN_DISK_KIB)) {
    findings.push({
      severity: 'warning',
      rule: 'apptainer/request-disk',
      message: disk
        ? `request_disk = ${disk.value.trim()} is below the 7GB an Apptainer job of this image needs`
        : 'an Apptainer job without request_disk',
      hint: "set request_disk = 7GB, as the seed does: the SIF is fetched into the job's scratch space (and may be unpacked there)",
      line: disk?.line ?? image.line,
      column: disk?.column ?? image.column,
    });
  }
  return findings;
}
