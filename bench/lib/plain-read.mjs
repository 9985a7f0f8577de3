// The baseline of the big-job benchmarks, as its own process: the fastest plain Node read of
// the files named on the command line (or, with @LIST, in that file), 1 MiB at a time into one
// buffer, counting their lines with Buffer.indexOf. What tracking or results cost is measured
// against this, the floor of any reader of those bytes.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

const args = process.argv.slice(2);
const files = args[0]?.startsWith('@') ? readFileSync(args[0].slice(1), 'utf8').split('\n').filter(Boolean) : args;
const buffer = Buffer.allocUnsafe(1 << 20);
let lines = 0;
for (const file of files) {
  const fd = openSync(file, 'r');
  for (let offset = 0; ; ) {
    const n = readSync(fd, buffer, 0, buffer.length, offset);
    if (n <= 0) break;
    offset += n;
    for (let i = buffer.indexOf(10); i >= 0 && i < n; i = buffer.indexOf(10, i + 1)) lines++;
  }
  closeSync(fd);
}
process.stdout.write(`${lines}\n`);
