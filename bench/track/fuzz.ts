// Fuzzing the two parsers (shared by the tests' fixed-seed runs in spirit, run here at full
// size): mutated real inputs must never crash the event-log parser, and the submit-file
// parser may only fail with a UserError. Each case is bounded in size, so a hang shows as time.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../test/helpers/paths.ts';
import {
  EVENT_LOG_MUTATION_PIECES,
  mutate,
  randomInt,
  SUBMIT_MUTATION_PIECES,
  seeded,
} from '../../test/helpers/random.ts';
import { parseEventLog } from '../../scripts/lib/event-log/event-log.ts';
import { JobTable } from '../../scripts/lib/jobs/job-state.ts';
import { parseSubmitText } from '../../scripts/lib/submit-language/submit-file.ts';
import { planSubmit } from '../../scripts/lib/submit-language/submit-plan.ts';
import { UserError } from '../../scripts/lib/errors.ts';

const fixtures = join(repoRoot, 'test', 'fixtures', 'condor');

export function fuzzEventLog(seed: number, cases: number): number {
  const rand = seeded(seed);
  const dir = join(fixtures, 'event-logs');
  const sources = readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .map((n) => readFileSync(join(dir, n), 'utf8'));
  const pieces = [...EVENT_LOG_MUTATION_PIECES, ' ...', '....'];
  for (let i = 0; i < cases; i++) {
    const text = mutate(rand, sources[randomInt(rand, 0, sources.length - 1)]!, pieces, 20);
    const table = new JobTable();
    for (const event of parseEventLog(text).events) {
      table.apply(event);
      void event.toJSON();
    }
  }
  return cases;
}

export function fuzzSubmitFile(seed: number, cases: number): number {
  const rand = seeded(seed);
  const dir = join(fixtures, 'submit-files');
  const sources = readdirSync(dir)
    .filter((n) => !n.endsWith('.subs'))
    .map((n) => readFileSync(join(dir, n), 'utf8'));
  const pieces = [...SUBMIT_MUTATION_PIECES, '$Fpq(', 'include : x\n'];
  for (let i = 0; i < cases; i++) {
    const text = mutate(rand, sources[randomInt(rand, 0, sources.length - 1)]!, pieces, 8);
    try {
      planSubmit(parseSubmitText(text, 'fuzz.sub'), {
        env: process.env,
        submitFile: 'fuzz.sub',
        cwd: fixtures,
        cluster: 1,
        maxProcs: 1000,
      });
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
    }
  }
  return cases;
}
