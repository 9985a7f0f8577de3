// The checkout's root folder, for files the scripts ship with (schema/, node_modules/). Found
// from this file's place: scripts/lib/ is two folders below the root, and so are the bundles
// (.build/bundles/*.cjs) that inline this module; test/lib/bundles.test.ts checks that both agree.
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
