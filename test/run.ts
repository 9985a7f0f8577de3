// Runs the uvu suite and closes with the plain "N passed, N failed, N skipped" line CI reads.
// uvu prints its own summary but no such line, and exits 0 when no test ran at all: both are
// fixed here. Usage: npm test [-- PATTERN]   (PATTERN: a regex on test file paths)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
// Only *.test.ts files run; an argument narrows them further (fixtures and helpers never run).
const filter = process.argv[2];
const pattern = filter ? `^(?=.*(?:${filter})).*\\.test\\.ts$` : '\\.test\\.ts$';
const uvu = join(root, 'node_modules', 'uvu', 'bin.js');

// Node >= 22.18 runs the TypeScript test files itself; an older one (20) through tsx.
const loader = process.features.typescript ? [] : ['--import', 'tsx'];
const child = spawn(process.execPath, [...loader, uvu, 'test', pattern, '-c', 'false'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});
let out = '';
child.stdout.on('data', (chunk: Buffer) => {
  out += chunk.toString();
  process.stdout.write(chunk);
});
child.on('close', (code) => {
  const number = (label: string) => {
    const match = new RegExp(`^\\s+${label}:\\s+(\\d+)`, 'm').exec(out);
    return match ? Number(match[1]) : null;
  };
  const total = number('Total');
  const passed = number('Passed') ?? 0;
  const skipped = number('Skipped') ?? 0;
  if (total === null) {
    // uvu stopped before its summary (an import-time throw): count it as one failure.
    console.log('0 passed, 1 failed, 0 skipped');
    process.exit(code || 1);
  }
  console.log(`${passed} passed, ${total - passed} failed, ${skipped} skipped`);
  if (total === 0) {
    console.error('no test ran: check the pattern and that every test file calls test.run()');
    process.exit(1);
  }
  process.exit(code ?? 1);
});
