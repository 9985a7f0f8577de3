// Every tokeniser of a user file, fed long runs of blanks and separators (issue 25: a sweep row of
// `x`, 1 MiB of blanks, `,`, 1 MiB of blanks, `y` took over a minute in splitItem's regex trim).
// Each case must give the right tokens; the test runs this in a child process with a generous
// bound, so a quadratic tokeniser is a failure while a linear one finishes in milliseconds.
// Used by tokenisers.test.ts. Run alone: node test/submit-language/tokenisers.ts [RUN_LENGTH]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { readArguments } from '../../scripts/lib/submit-language/submit-args.ts';
import { parseSubmitText } from '../../scripts/lib/submit-language/submit-file.ts';
import { planSubmit } from '../../scripts/lib/submit-language/submit-plan.ts';
import { itemFileLines, splitItem } from '../../scripts/lib/submit-language/submit-queue.ts';
import { envKeys, MAX_ENV_BYTES } from '../../scripts/lib/validate/env-file.ts';

export interface TokeniserCase {
  name: string;
  ms: number;
  got: unknown;
  want: unknown;
}

const run = Number(process.argv[2] ?? 1 << 20);
const blanks = ' '.repeat(run);
const tabs = '\t'.repeat(run);
// .env is read only up to MAX_ENV_BYTES: its runs stay under that.
const envRun = ' '.repeat(Math.min(run, MAX_ENV_BYTES / 4));

function timed(name: string, want: unknown, work: () => unknown): TokeniserCase {
  const started = performance.now();
  const got = work();
  return { name, ms: Math.round(performance.now() - started), got, want };
}

function planArguments(dir: string): unknown {
  // Under the planner's 1 MiB bound on an expanded value.
  const quarter = ' '.repeat(run / 4);
  writeFileSync(join(dir, 'rows.txt'), `x${quarter},${quarter}y\n${'a,'.repeat(run / 8)}b\n`);
  const text = 'executable = /bin/true\narguments = $(a) $(b)\nqueue a, b from rows.txt\n';
  const plan = planSubmit(parseSubmitText(text, 'run.sub'), {
    submitFile: 'run.sub',
    cwd: dir,
    cluster: 1,
    env: process.env,
  });
  return plan.procs.map((p) => p.arguments.length);
}

const dir = mkdtempSync(join(tmpdir(), 'pixi-condor-tokenisers-'));
try {
  const cases: TokeniserCase[] = [
    // condor_submit's split_item: a blank or comma ends a value, then only blanks are skipped.
    timed('queue item: blanks around a comma', ['x', '', 'y'], () => splitItem(`x${blanks},${blanks}y`, 3)),
    timed('queue item: tabs then commas', ['x', '', ',y'], () => splitItem(`x${tabs},,y`, 3)),
    timed('queue item: a run of commas', ['a', '', `${','.repeat(run - 2)}b`], () =>
      splitItem(`a,,${','.repeat(run - 2)}b`, 3),
    ),
    timed('queue item: blanks only', null, () => splitItem(`${blanks}${tabs}\r\n`, 2)),
    timed(
      'items file: blank continuation lines',
      1,
      () => itemFileLines(`x${blanks}\\\n${blanks}\\\n${blanks}y\n`).length,
    ),
    timed('queue from a file, planned', [3, 2], () => planArguments(dir)),
    timed('.env keys: blanks around =', ['A', 'B'], () =>
      envKeys(`A${envRun}=${envRun}x${envRun}\n${envRun}B${envRun}:${envRun}\n#${envRun}\n`).keys.map((k) => k.key),
    ),
    timed('.env values (dotenv)', 'x', () => parseDotenv(`A=${envRun}x${envRun}#${envRun}\n`).A),
    timed('arguments, old syntax', 3, () => readArguments(`a${blanks}b${tabs}c`, undefined).argv.length),
    timed(
      'arguments, new syntax',
      ['a', 'b', `c${blanks}d`],
      () => readArguments(`"a${blanks}b${blanks}'c${blanks}d'${blanks}"`, undefined).argv,
    ),
  ];
  process.stdout.write(JSON.stringify(cases));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
