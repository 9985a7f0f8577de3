// One rule for every size a user writes (`request_memory`, `request_disk`, `release --memory`):
// condor_submit's units (K, M, G, T, optionally with B; a bare number is MB for memory, KB for
// disk), parsed exactly (no float rounding of 20-digit numbers), and refused above a stated
// maximum instead of becoming `1.048576e+25` in a job ad.

/** 1 PiB, in KiB: more memory or disk than any execute point has; a request above it never matches. */
export const MAX_SIZE_KB = 1024n ** 4n;
export const MAX_SIZE_TEXT = '1 PiB';

const FACTOR_KB: Record<string, bigint> = { K: 1n, M: 1024n, G: 1024n ** 2n, T: 1024n ** 3n };

export type SizeRead = { value: number } | { problem: 'not-a-size' | 'too-large' };

/** `2GB` → 2048 (unitKb 1024: MiB) or 2097152 (unitKb 1: KiB), rounded up; the first of a comma list. */
export function readSize(text: string, unitKb: 1 | 1024): SizeRead {
  const first = text.split(',', 1)[0]!.trim();
  const m = /^(\d{1,64})(?:\.(\d{1,64}))?\s*([KMGT])?B?$/i.exec(first);
  if (!m) return { problem: 'not-a-size' };
  const fraction = m[2] ?? '';
  const factor = m[3] ? FACTOR_KB[m[3].toUpperCase()]! : BigInt(unitKb);
  const scale = 10n ** BigInt(fraction.length);
  // Exact: (int.fraction × factor) KiB, rounded up to whole KiB, then to whole units.
  const kb = ceilDiv(BigInt(m[1]! + fraction) * factor, scale);
  if (kb > MAX_SIZE_KB) return { problem: 'too-large' };
  return { value: Number(ceilDiv(kb, BigInt(unitKb))) };
}

/** readSize's value, or null for anything that is not a size within the maximum. */
export function sizeIn(text: string, unitKb: 1 | 1024): number | null {
  const read = readSize(text, unitKb);
  return 'value' in read ? read.value : null;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
