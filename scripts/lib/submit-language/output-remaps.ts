// transfer_output_remaps = "a = b; c = d": read the same by submit's plan (the job record) and by
// the local runner's output transfer. condor_submit's form: pairs split on `;`, `\;` keeping a
// `;` in a name, the outer quotes optional.

/** The value's `from = to` pairs, in order (a pair with no `=` or no name is left out). */
export function remapPairs(value: string | undefined): [from: string, to: string][] {
  if (!value) return [];
  const text = value.trim().replace(/^"(.*)"$/s, '$1');
  const pairs: [string, string][] = [];
  for (const part of text.split(/(?<!\\);/)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const from = part.slice(0, eq).trim().replace(/\\;/g, ';');
    const to = part
      .slice(eq + 1)
      .trim()
      .replace(/\\;/g, ';');
    if (from) pairs.push([from, to]);
  }
  return pairs;
}
