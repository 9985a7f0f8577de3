// Small wording helpers shared by the checks: TOML names for paths, did-you-mean, value kinds.

/** Edit distance (Levenshtein), capped: anything above `max` returns max + 1. */
export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    previous = current;
  }
  return previous[b.length]!;
}

/** The candidate closest to `word` (case-insensitive, `_` = `-`), if it is close enough to be a typo. */
export function closest(word: string, candidates: Iterable<string>): string | null {
  const normal = (s: string) => s.toLowerCase().replace(/_/g, '-');
  const target = normal(word);
  const limit = target.length <= 4 ? 1 : target.length <= 8 ? 2 : 3;
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    // A cut-short key (`repo` for `repository`) is a typo too.
    if (target.length >= 3 && normal(candidate).startsWith(target) && bestDistance > 0) {
      best = candidate;
      bestDistance = 0.5;
      continue;
    }
    const distance = editDistance(target, normal(candidate), limit);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `feature.cuda.dependencies` / `workspace.platforms[0]`: how a TOML user names a place. */
export function tomlPath(segments: string[]): string {
  let out = '';
  for (const segment of segments) {
    if (/^\d+$/.test(segment) && out !== '') out += `[${segment}]`;
    else out += (out ? '.' : '') + (/^[A-Za-z0-9_-]+$/.test(segment) ? segment : JSON.stringify(segment));
  }
  return out;
}

/** "the string "x"", "an integer (3)", "a table": what the user wrote, for "must be X, not Y". */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return value.length > 40 ? 'a long string' : `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  if (typeof value === 'bigint') return `the integer ${value}`;
  if (typeof value === 'boolean') return `${value}`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  return 'a table';
}

export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

export function asTable(value: unknown): Record<string, unknown> {
  return isTable(value) ? value : {};
}

export function asStringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
