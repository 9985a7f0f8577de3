// Where things are, for tests: the repository root and the read-only shared fixtures.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const testFixtures = join(repoRoot, 'test', 'fixtures');

/** ../shared beside the checkout (absent in a checkout without it: tests that need it say so). */
export const sharedRoot = resolve(repoRoot, '..', 'shared');
export const sharedFixtures = join(sharedRoot, 'fixtures');
export const hasShared = existsSync(sharedFixtures);
