// Strict UTF-8 for the files whose format requires it (TOML, the lock's YAML): where the first
// bad byte is, so the refusal can name its offset, line and column.
import { isUtf8 } from 'node:buffer';

/** Byte offset of the first byte that is not valid UTF-8, or null when the whole buffer is. */
export function firstInvalidUtf8(bytes: Uint8Array): number | null {
  if (isUtf8(bytes)) return null;
  // The longest prefix that decodes (a streaming decode keeps a cut-off character pending).
  let good = 0;
  let bad = bytes.length;
  while (bad - good > 1) {
    const mid = (good + bad) >>> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      good = mid;
    } catch {
      bad = mid;
    }
  }
  // A lead byte whose sequence the next byte breaks is where the error is: back up over it.
  for (let back = 0; back < 3 && good > 0; back++) {
    if (isUtf8(bytes.subarray(0, good))) break;
    good--;
  }
  return good;
}

/** 1-based line and column (in characters) of a byte offset, from the valid text before it. */
export function positionOfByte(bytes: Uint8Array, offset: number): { line: number; column: number } {
  const before = new TextDecoder('utf-8').decode(bytes.subarray(0, offset));
  const lastBreak = before.lastIndexOf('\n');
  let line = 1;
  for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) line++;
  return { line, column: before.length - lastBreak };
}
