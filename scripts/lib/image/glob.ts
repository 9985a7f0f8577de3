// Glob patterns as Docker reads them, turned into anchored regexes over `/`-separated paths:
// `*` and `?` stop at `/`, `[...]` is a class (`^` or `!` negates), `\` escapes. `.dockerignore`
// adds `**` (any number of folders); COPY sources (Go's filepath.Match) do not have it.
export function globRegex(pattern: string, options: { doubleStar: boolean }): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    const cls = ch === '[' ? classAt(pattern, i) : null;
    if (ch === '*' && options.doubleStar && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') i++;
      out += i + 1 >= pattern.length ? '.*' : '(.*/)?';
    } else if (ch === '*') {
      out += '[^/]*';
    } else if (ch === '?') {
      out += '[^/]';
    } else if (cls) {
      out += cls.regex;
      i = cls.end;
    } else if (ch === '\\' && i + 1 < pattern.length) {
      out += escapeRegex(pattern[++i]!);
    } else {
      out += escapeRegex(ch);
    }
  }
  return new RegExp(out + '$');
}

/**
 * The `[...]` class at `at` as a regex class and where it ends, or null when it is not closed or
 * is none a regex takes (`[z-a]`: Go refuses such a pattern; here its `[` is a plain character,
 * never a regex that throws).
 */
function classAt(pattern: string, at: number): { regex: string; end: number } | null {
  const end = pattern.indexOf(']', at + 1);
  if (end < 0) return null;
  let cls = pattern.slice(at + 1, end);
  if (cls.startsWith('^') || cls.startsWith('!')) cls = '^' + cls.slice(1);
  const regex = `[${cls.replace(/\\/g, '\\\\')}]`;
  try {
    new RegExp(regex);
    return { regex, end };
  } catch {
    return null;
  }
}

function escapeRegex(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}
