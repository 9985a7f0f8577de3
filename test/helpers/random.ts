// A seeded random source for the chunking and fuzz tests (mulberry32): the same seed gives
// the same cases on every run, so a failure can be replayed.
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

/** Mutate `text` with 1..`edits` random edits: insert one of `pieces`, cut up to 40 characters, or cut the rest. */
export function mutate(rand: () => number, text: string, pieces: readonly string[], edits: number): string {
  let out = text;
  for (let m = randomInt(rand, 1, edits); m > 0; m--) {
    const at = randomInt(rand, 0, out.length);
    const kind = randomInt(rand, 0, 2);
    if (kind === 0) out = out.slice(0, at) + pieces[randomInt(rand, 0, pieces.length - 1)] + out.slice(at);
    else if (kind === 1) out = out.slice(0, at) + out.slice(at + randomInt(rand, 1, 40));
    else out = out.slice(0, at);
  }
  return out;
}

/** Fragments of HTCondor's event-log format the event-log fuzzers insert (each may add its own after these). */
export const EVENT_LOG_MUTATION_PIECES: readonly string[] = [
  '...\n',
  '\n',
  '(',
  ')',
  '.',
  '-',
  '000 (',
  '012 (1.-1.0) ',
  '99/99 ',
  '2026-13-45 ',
  '\t',
  '\r\n',
  'Code x Subcode',
  '\u0000',
  '✓',
];

/** Fragments of the submit language the submit-file fuzzers insert (each fuzzer may add its own after these). */
export const SUBMIT_MUTATION_PIECES: readonly string[] = [
  '$(',
  ')',
  '\\\n',
  '\n',
  'queue ',
  ' in (',
  ' from ',
  '@=x\n',
  '$INT(',
  '$(Process)',
  '#',
  '=',
  '"',
  "'",
  'if ',
  'endif\n',
  '[1:',
  '999999999 ',
];
