// The package's version, from its package.json (`pixi condor --version`).
import { join } from 'node:path';
import { readBoundedText } from '../bounded-read.ts';
import { REPO_ROOT } from '../repo-root.ts';

export function packageVersion(root = REPO_ROOT): string {
  const data = JSON.parse(readBoundedText(join(root, 'package.json'), 1024 * 1024)) as { version?: unknown };
  return typeof data.version === 'string' ? data.version : 'unknown';
}
