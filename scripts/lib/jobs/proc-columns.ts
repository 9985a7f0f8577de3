// Per-proc state as columns: one typed array per field, indexed by a proc's slot (the order the
// table first saw it), and repeated text (hosts, hold reasons) interned once. 100,000 procs cost
// about 150 bytes each this way, against a kilobyte or more as one object per proc with its
// strings and its terminate event.
import { Interner } from '../interner.ts';

/** null in a numeric column (no field is ever -Infinity; NaN stays a legitimate unreadable date). */
export const NONE = Number.NEGATIVE_INFINITY;

/** The numeric fields, each a Float64Array (times in epoch ms, codes, usage figures). */
const NUMBERS = [
  'cluster',
  'proc',
  'since',
  'startedAt',
  'endedAt',
  'runMs',
  'runStart',
  'exitCode',
  'signal',
  'holdCode',
  'holdSubcode',
  'cpuSeconds',
  'memoryMb',
  'memoryRequestMb',
  'diskKb',
  'diskRequestKb',
  'gpus',
] as const;
/** Codes and flags, each a Uint8Array. */
// `evented`: an event of the proc was read (a proc only expected from the record has none).
const FLAGS = ['state', 'activity', 'uploadPending', 'ended', 'memoryRow', 'evented'] as const;
/** Counts, each a Uint32Array. */
const COUNTS = ['holds', 'starts', 'evictions', 'checkpoints'] as const;
/** Interned text ids (-1: none), each an Int32Array. */
const TEXTS = ['host', 'holdReason', 'lastMessage'] as const;

export type NumberColumn = (typeof NUMBERS)[number];
export type FlagColumn = (typeof FLAGS)[number];
export type CountColumn = (typeof COUNTS)[number];
export type TextColumn = (typeof TEXTS)[number];

export class ProcColumns {
  size = 0;
  private capacity = 0;
  n = {} as Record<NumberColumn, Float64Array>;
  f = {} as Record<FlagColumn, Uint8Array>;
  c = {} as Record<CountColumn, Uint32Array>;
  t = {} as Record<TextColumn, Int32Array>;
  private readonly texts = new Interner();

  constructor() {
    this.grow(256);
  }

  /** A new slot, every field null or zero. */
  add(): number {
    if (this.size === this.capacity) this.grow(this.capacity * 2);
    // New capacity is made cleared (grow), so a new slot needs no writes.
    return this.size++;
  }

  clear(slot: number): void {
    for (const name of NUMBERS) this.n[name][slot] = NONE;
    this.n.runMs[slot] = 0;
    for (const name of FLAGS) this.f[name][slot] = 0;
    for (const name of COUNTS) this.c[name][slot] = 0;
    for (const name of TEXTS) this.t[name][slot] = -1;
  }

  /** The number, or null for NONE. */
  get(name: NumberColumn, slot: number): number | null {
    const value = this.n[name][slot]!;
    return value === NONE ? null : value;
  }

  text(name: TextColumn, slot: number): string | null {
    return this.textOf(this.t[name][slot]!);
  }

  /** An interned text by its id (-1: null). */
  textOf(id: number): string | null {
    return id < 0 ? null : this.texts.strings[id]!;
  }

  setText(name: TextColumn, slot: number, value: string | null | undefined): void {
    this.t[name][slot] = value === null || value === undefined ? -1 : this.texts.intern(value);
  }

  /** Every column's bytes over the first `size` slots, by name (`n.cluster`, `f.state`, …), and the texts. */
  snapshot(): { size: number; columns: [string, Uint8Array][]; strings: readonly string[] } {
    const columns = this.named().map(([name, column]): [string, Uint8Array] => [name, bytesOf(column, this.size)]);
    return { size: this.size, columns, strings: this.texts.strings };
  }

  /**
   * Fill an empty table from a snapshot: false (the table left as it was) when a column is
   * missing or of the wrong length, or a text id points past the texts.
   */
  load(size: number, columns: ReadonlyMap<string, Uint8Array>, strings: readonly string[]): boolean {
    if (this.size !== 0) return false;
    for (const [name, column] of this.named())
      if (columns.get(name)?.length !== size * column.BYTES_PER_ELEMENT) return false;
    for (const name of TEXTS) {
      // A copy of the bytes, aligned for an Int32Array view, checked before any is taken.
      const ids = new Int32Array(Uint8Array.from(columns.get(`t.${name}`)!).buffer);
      if (ids.some((id) => id < -1 || id >= strings.length)) return false;
    }
    this.grow(Math.max(this.capacity, size));
    for (const [name, column] of this.named()) bytesOf(column, size).set(columns.get(name)!);
    this.texts.load(strings);
    this.size = size;
    return true;
  }

  /** Every column with its name (`n.cluster`, `f.state`, …), in one fixed order. */
  private named(): [string, Float64Array | Uint8Array | Uint32Array | Int32Array][] {
    return [
      ...NUMBERS.map((name): [string, Float64Array] => [`n.${name}`, this.n[name]]),
      ...FLAGS.map((name): [string, Uint8Array] => [`f.${name}`, this.f[name]]),
      ...COUNTS.map((name): [string, Uint32Array] => [`c.${name}`, this.c[name]]),
      ...TEXTS.map((name): [string, Int32Array] => [`t.${name}`, this.t[name]]),
    ];
  }

  /** New columns of `capacity` slots, the old slots copied and only the new ones filled. */
  private grow(capacity: number): void {
    const old = this.capacity;
    for (const name of NUMBERS) this.n[name] = copied(new Float64Array(capacity), this.n[name]).fill(NONE, old);
    this.n.runMs.fill(0, old);
    for (const name of FLAGS) this.f[name] = copied(new Uint8Array(capacity), this.f[name]);
    for (const name of COUNTS) this.c[name] = copied(new Uint32Array(capacity), this.c[name]);
    for (const name of TEXTS) this.t[name] = copied(new Int32Array(capacity), this.t[name]).fill(-1, old);
    this.capacity = capacity;
  }
}

/** The bytes of a column's first `size` slots (a view, not a copy). */
function bytesOf(column: Float64Array | Uint8Array | Uint32Array | Int32Array, size: number): Uint8Array {
  return new Uint8Array(column.buffer, column.byteOffset, size * column.BYTES_PER_ELEMENT);
}

function copied<T extends Float64Array | Uint32Array | Int32Array | Uint8Array>(into: T, from: T | undefined): T {
  if (from) into.set(from);
  return into;
}
