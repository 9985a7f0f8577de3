// Colour only for a person at a terminal: never in pipes, files, CI logs or under NO_COLOR.

export function colourEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR === '0') return false;
  return Boolean(stream.isTTY);
}

type Paint = (text: string) => string;

function sgr(open: number, close: number, on: boolean): Paint {
  return on ? (text) => `\u001b[${open}m${text}\u001b[${close}m` : (text) => text;
}

export interface Palette {
  /** Whether it paints at all (off: every paint returns its text). */
  on: boolean;
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
}

export function palette(on: boolean): Palette {
  return {
    on,
    bold: sgr(1, 22, on),
    dim: sgr(2, 22, on),
    red: sgr(31, 39, on),
    green: sgr(32, 39, on),
    yellow: sgr(33, 39, on),
    cyan: sgr(36, 39, on),
  };
}

export const stdoutPalette = (): Palette => palette(colourEnabled(process.stdout));
export const stderrPalette = (): Palette => palette(colourEnabled(process.stderr));
