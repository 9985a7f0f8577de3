// CUDA versions as the template compares them: major.minor, where a bare major ("12") agrees
// with any minor of that major.
import { isTable } from './text.ts';

export interface CudaVersion {
  major: number;
  minor: number | null;
}

/** "12.9", "12.9.*", ">=12.9,<13", "==12.9.1" -> 12.9; "12" -> 12 (minor null); null when not a version. */
export function cudaMajorMinor(text: string): CudaVersion | null {
  const match = /^\s*(?:==|>=|=|~=)?\s*(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return null;
  return { major: Number(match[1]), minor: match[2] === undefined ? null : Number(match[2]) };
}

export const formatCuda = (v: CudaVersion): string => (v.minor === null ? `${v.major}` : `${v.major}.${v.minor}`);

export function sameCuda(a: CudaVersion, b: CudaVersion): boolean {
  return a.major === b.major && (a.minor === null || b.minor === null || a.minor === b.minor);
}

/** The version text of a `cuda-version` dependency: `"12.9.*"` or `{ version = "12.9.*" }`; null otherwise. */
export function pinVersionText(spec: unknown): string | null {
  if (typeof spec === 'string') return spec;
  return isTable(spec) && typeof spec.version === 'string' ? spec.version : null;
}
