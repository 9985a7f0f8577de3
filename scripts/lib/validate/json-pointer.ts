// JSON pointers (RFC 6901): how findings name a place in the manifest's (or lock's) data before
// the reporter turns it into a line and column.

const NEEDS_ESCAPE = /[~/]/;

/** Escape one segment. Most keys need nothing, and this runs for every task and dependency. */
export function escapePointer(segment: string | number): string {
  const text = String(segment);
  return NEEDS_ESCAPE.test(text) ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text;
}

export function pointerOf(segments: readonly (string | number)[]): string {
  let pointer = '';
  for (const segment of segments) pointer += '/' + escapePointer(segment);
  return pointer;
}

export function splitPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => (s.includes('~') ? s.replace(/~1/g, '/').replace(/~0/g, '~') : s));
}
