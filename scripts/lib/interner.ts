// Repeated text stored once: a string's id is its place in `strings` (hosts, hold reasons and
// other texts that 100,000 procs or events share a few hundred of).
export class Interner {
  readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();

  /** Take `strings` as the ids 0, 1, … (a recorded table's texts), after any already held. */
  load(strings: readonly string[]): void {
    for (const value of strings) this.intern(value);
  }

  /** The id of `value`, made on first sight. */
  intern(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(value);
      this.ids.set(value, id);
    }
    return id;
  }
}
