// Progress for long engine steps: a few meaningful lines (build steps, pushed layers) instead
// of the engine's full log, which is kept (last lines only) to explain a failure.
import { stderrPalette } from '../term.ts';

export class StepLog {
  private readonly tail: string[] = [];
  private readonly paint = stderrPalette();

  private readonly label: string;
  private readonly write: (line: string) => void;
  private readonly keep: number;

  constructor(label: string, write: (line: string) => void = (line) => process.stderr.write(line + '\n'), keep = 30) {
    this.label = label;
    this.write = write;
    this.keep = keep;
  }

  /** Remember an engine output line (for a failure report). */
  record(line: string): void {
    this.tail.push(stripAnsi(line));
    if (this.tail.length > this.keep) this.tail.shift();
  }

  show(text: string): void {
    this.write(`${this.paint.cyan(this.label)} ${text}`);
  }

  /** The remembered lines, indented, for printing before an error. */
  dumpTail(): void {
    for (const line of this.tail) this.write(this.paint.dim(`  | ${line}`));
  }
}

/** Parse docker's human sizes ("3.072kB", "1.2MB", "512B") into bytes. */
export function parseHumanBytes(text: string): number | null {
  const match = /^([\d.]+)\s*([kMGT]?i?B)$/.exec(text.trim());
  if (!match) return null;
  const factor: Record<string, number> = {
    B: 1,
    kB: 1e3,
    KB: 1e3,
    MB: 1e6,
    GB: 1e9,
    TB: 1e12,
    KiB: 1024,
    MiB: 1024 ** 2,
    GiB: 1024 ** 3,
    TiB: 1024 ** 4,
  };
  const unit = factor[match[2]!];
  return unit === undefined ? null : Math.round(Number(match[1]) * unit);
}

/** Engines colour some lines even into a pipe; messages and logs want plain text. */
export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}
