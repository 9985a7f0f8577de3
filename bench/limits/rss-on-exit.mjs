// Loaded with --import by bench/limits: writes the process's peak resident set size (KiB) to
// $BENCH_RSS_OUT when it exits, however it exits.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.BENCH_RSS_OUT) writeFileSync(process.env.BENCH_RSS_OUT, String(process.resourceUsage().maxRSS));
});
