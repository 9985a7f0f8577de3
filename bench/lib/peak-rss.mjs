// `node --import ./bench/lib/peak-rss.mjs …`: at exit, writes the process's peak resident set
// size (KiB, process.resourceUsage().maxRSS) to $BENCH_PEAK_RSS. The benchmarks measure a
// whole task's memory this way, on every platform (no /usr/bin/time needed).
import { writeFileSync } from 'node:fs';

process.on('exit', () => writeFileSync(process.env.BENCH_PEAK_RSS, String(process.resourceUsage().maxRSS)));
