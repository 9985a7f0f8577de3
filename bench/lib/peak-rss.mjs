// `node --import ./bench/lib/peak-rss.mjs …`: at exit, writes the process's peak resident set
// size (KiB) to $BENCH_PEAK_RSS. On Linux it is /proc/self/status VmHWM, the high-water mark of
// this process's own memory: process.resourceUsage().maxRSS (getrusage) is kept across
// fork+exec, so a child of a large benchmark process would report the parent's size.
import { readFileSync, writeFileSync } from 'node:fs';

/** Peak resident set of this process, KiB. */
export function peakRssKb() {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]);
  } catch {
    // not Linux: getrusage's figure
  }
  return process.resourceUsage().maxRSS;
}

if (process.env.BENCH_PEAK_RSS)
  process.on('exit', () => writeFileSync(process.env.BENCH_PEAK_RSS, String(peakRssKb())));
