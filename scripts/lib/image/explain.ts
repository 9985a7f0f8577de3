// --explain: where every value build-image uses came from (pixi.toml, .env, the environment,
// the git remote, the Dockerfile), printed before it acts. Secrets are only ever noted as set.
export class Explain {
  readonly lines: { key: string; value: string; source: string }[] = [];

  note(key: string, value: string, source: string): void {
    this.lines.push({ key, value, source });
  }

  format(): string {
    const width = Math.max(0, ...this.lines.map((l) => l.key.length));
    return this.lines.map((l) => `  ${l.key.padEnd(width)}  ${l.value}  (${l.source})`).join('\n');
  }
}
