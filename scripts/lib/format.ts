// Sizes for people, one spelling everywhere (build-image's summary, submit's output list).

/** `512 B`, `1.5 KiB`, `22.3 MiB`, `3.7 GiB`; no decimal from 100 up. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}
