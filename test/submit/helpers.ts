// Shared by the submit tests: a hermetic image reference, and running a script with its
// .pixi-condor on a filesystem of our making (read-only, or full) in a user and mount
// namespace of its own (`unshare -rm`), so no root is needed and nothing outside changes.
import { readImageRecord, writeImageRecord } from '../../scripts/lib/image-record.ts';
import { runCommand, tsxLoader, type RunResult } from '../helpers/process.ts';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import type { TestWorkspace } from '../condor/workspace.ts';

/** A loopback registry port nothing listens on: the pull check answers "unknown" at once. */
export const CLOSED_REGISTRY = '127.0.0.1:9';

/**
 * Point the workspace's image record at `repository` (default: a closed loopback port), so
 * preflight's anonymous pull check never reaches the internet (ghcr.io/tester would answer
 * "private" wherever there is a network).
 */
export async function pointImageAt(
  ws: TestWorkspace,
  repository = `${CLOSED_REGISTRY}/tester/pixi-condor`,
  digest?: string,
) {
  const record = (await readImageRecord(ws.root))!;
  const pinned = digest ?? record.digest;
  await writeImageRecord(ws.root, { ...record, repository, digest: pinned, reference: `${repository}@${pinned}` });
}

/** Why `unshare -rm` cannot give a test its own tmpfs here, or null when it can. */
export async function namespaceSkipReason(dir: string): Promise<string | null> {
  const probe = await runCommand(
    'unshare',
    ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$1" && umount "$1"', 'sh', dir],
    { timeoutMs: 10_000 },
  );
  if (probe.code === 0) return null;
  return `unshare -rm cannot mount a tmpfs here (${(probe.stderr.trim().split('\n').pop() ?? '') || `exit ${probe.code}`})`;
}

/**
 * Run scripts/<script> with `<root>/.pixi-condor` replaced by a small tmpfs holding a copy of
 * what was there, made read-only (`readonly`) or filled to the last byte (`full`).
 */
export function runWithStateDir(
  ws: TestWorkspace,
  how: 'readonly' | 'full',
  script: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<RunResult> {
  const setup = [
    'set -e',
    'state="$1/.pixi-condor"; copy="$1/../state-copy"',
    'rm -rf "$copy"; cp -a "$state" "$copy"',
    'mount -t tmpfs -o size=256k tmpfs "$state"',
    'cp -a "$copy/." "$state/"',
    how === 'readonly'
      ? 'mount -o remount,ro "$state"'
      : 'dd if=/dev/zero of="$state/filler" bs=1024 2>/dev/null || true',
    'shift',
    'exec "$@"',
  ].join('\n');
  return runCommand(
    'unshare',
    [
      '-rm',
      'sh',
      '-c',
      setup,
      'sh',
      ws.root,
      process.execPath,
      '--import',
      tsxLoader,
      join(repoRoot, 'scripts', script),
      ...args,
    ],
    { env: ws.env, timeoutMs },
  );
}
