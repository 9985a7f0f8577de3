// Small text formatters shared by the live view and the summary.

/** `42s`, `5m12s`, `3h04m`, `2d03h`; `-` when unknown. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** `HH:MM:SS` local time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Cut a line to `width` columns (code points), marking the cut. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text; // no more code points than UTF-16 units: it fits
  const chars = [...text];
  return chars.length <= width ? text : chars.slice(0, Math.max(0, width - 1)).join('') + '…';
}

/**
 * Break `text` into lines of at most `width` columns at spaces (a word longer than a line is
 * cut), continuation lines indented by `indent`; at most `maxLines`, the last marked when cut.
 */
export function wrap(text: string, width: number, indent = '', maxLines = Infinity): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const prefix = lines.length === 0 && line === '' ? '' : line === '' ? indent : `${line} `;
    if ([...prefix].length + [...word].length <= width || (line === '' && [...indent].length >= width)) {
      line = prefix + word;
      continue;
    }
    if (line !== '') lines.push(line);
    line = fit((lines.length === 0 ? '' : indent) + word, width);
  }
  if (line !== '') lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = fit(kept[maxLines - 1]! + ' …', width);
  return kept;
}

/** Parse `90s`, `10m`, `2h`, `1d`, `0`; a bare number means minutes. Null when unreadable. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!m) return null;
  const value = Number(m[1]);
  const unit = (m[2] ?? 'm').toLowerCase();
  const factor =
    unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000;
  return value * factor;
}
