// Paths of this area's fixture copies (test/fixtures/condor; provenance in its SOURCES.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testFixtures } from '../helpers/paths.ts';

export const condorFixtures = join(testFixtures, 'condor');
export const eventLogDir = join(condorFixtures, 'event-logs');

export function eventLogNames(): string[] {
  return readdirSync(eventLogDir)
    .filter((name) => name.endsWith('.log'))
    .sort();
}

export function eventLog(name: string): string {
  return readFileSync(join(eventLogDir, name), 'utf8');
}

/** The path of one fixture event log (what the stand-in condor replays into a job's log). */
export function eventLogPath(name: string): string {
  return join(eventLogDir, name);
}
