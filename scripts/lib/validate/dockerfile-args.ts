// The global ARG defaults of a Dockerfile (those before the first FROM), with their lines:
// all validate needs (CUDA_VERSION, ENVIRONMENT). A few lines of reading instead of loading a
// full Dockerfile parser keeps `validate` fast.

export interface DockerArg {
  name: string;
  /** The default, quotes removed; null for `ARG NAME` without one. */
  value: string | null;
  line: number;
  /** 1-based column of the value (or the name when there is no value). */
  column: number;
}

export function globalArgs(text: string): Map<string, DockerArg> {
  const args = new Map<string, DockerArg>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (/^\s*(#|$)/.test(raw)) continue;
    if (/^\s*FROM\b/i.test(raw)) break;
    const match = /^(\s*ARG\s+)(.*)$/i.exec(raw);
    if (!match) continue;
    let offset = match[1]!.length;
    const rest = match[2]!;
    // ARG A=1 B="two words"
    const pattern = /([A-Za-z_][A-Za-z0-9_]*)(?:=("([^"]*)"|'([^']*)'|[^\s]*))?/g;
    for (const part of rest.matchAll(pattern)) {
      const name = part[1]!;
      const hasValue = part[2] !== undefined;
      const value = hasValue ? (part[3] ?? part[4] ?? part[2]!) : null;
      const valueColumn = offset + part.index! + name.length + 2 + (part[3] !== undefined || part[4] !== undefined ? 1 : 0);
      args.set(name, { name, value, line: i + 1, column: hasValue ? valueColumn : offset + part.index! + 1 });
    }
    offset = 0;
  }
  return args;
}
