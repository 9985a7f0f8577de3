// The worst inputs pixi-condor still accepts, made from the template's own files: a pixi.lock of
// `bytes` (the template's lock plus made-up package records its default environment refers to),
// and submit files at the proc limit. Used by bench/limits/run.ts and the limits tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The template's lock grown to about `bytes` with `n` extra conda records in default/linux-64. */
export function grownLock(repo: string, bytes: number): { text: string; packages: number } {
  const base = readFileSync(join(repo, 'pixi.lock'), 'utf8');
  const split = base.indexOf('\npackages:\n');
  const refsAt = base.indexOf('      linux-64:\n') + '      linux-64:\n'.length;
  const record = (i: number): string =>
    `- conda: https://conda.anaconda.org/conda-forge/linux-64/made-up-package-${i}-1.0.${i}-h${String(i).padStart(7, '0')}_0.conda\n` +
    `  sha256: ${i.toString(16).padStart(64, '0')}\n  md5: ${i.toString(16).padStart(32, '0')}\n` +
    `  depends:\n  - libgcc >=13\n  - __glibc >=2.17,<3.0.a0\n  license: BSD-3-Clause\n  size: ${1000 + i}\n  timestamp: 1764092331208\n`;
  const ref = (i: number): string =>
    `      - conda: https://conda.anaconda.org/conda-forge/linux-64/made-up-package-${i}-1.0.${i}-h${String(i).padStart(7, '0')}_0.conda\n`;
  const perPackage = record(1).length + ref(1).length + 8;
  const n = Math.max(0, Math.floor((bytes - base.length) / perPackage));
  const refs: string[] = [];
  const records: string[] = [];
  for (let i = 0; i < n; i++) {
    refs.push(ref(i));
    records.push(record(i));
  }
  const text =
    base.slice(0, refsAt) +
    refs.join('') +
    base.slice(refsAt, split + '\npackages:\n'.length) +
    records.join('') +
    base.slice(split + '\npackages:\n'.length);
  return { text, packages: n + (base.match(/^- (conda|pypi):/gm)?.length ?? 0) };
}
