// `docker push` (or podman) of one tag, showing each layer as the registry takes it and
// reading the pushed manifest digest from the engine's last line (podman: --digestfile).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { lastLine, type Shell } from '../shell.ts';
import type { Engine } from './engine.ts';
import { tlsFlags } from './login.ts';
import { StepLog } from './progress.ts';

export interface PushResult {
  /** Digest the engine reported, null under --dry-run or when it printed none. */
  digest: string | null;
}

const REFUSED = /denied|unauthorized|forbidden|authentication required|tag invalid|immutable|not allowed|unsupported/i;
const UNREACHABLE = /connection refused|no such host|i\/o timeout|dial tcp|network is unreachable|connection reset/i;

export interface LayerCount {
  total: Set<string>;
  done: Set<string>;
  /** Layers the registry already had: counted, not listed (the moving tag's push is all of these). */
  existing: Set<string>;
}

/** Turn one push output line into a progress line, counting layers. */
export function pushProgress(line: string, layers: LayerCount): string | null {
  let match =
    /^([0-9a-f]{12}): (Preparing|Waiting)$/.exec(line) ??
    /^Copying (?:blob|config) (?:sha256:)?([0-9a-f]{12})/.exec(line);
  if (match) {
    layers.total.add(match[1]!);
    if (!line.startsWith('Copying')) return null;
    layers.done.add(match[1]!);
    return `layer ${match[1]} (${layers.done.size})`;
  }
  match = /^([0-9a-f]{12}): (Pushed|Layer already exists|Mounted from .*)$/.exec(line);
  if (match) {
    layers.total.add(match[1]!);
    layers.done.add(match[1]!);
    if (match[2] === 'Layer already exists') {
      layers.existing.add(match[1]!);
      return null;
    }
    return `layer ${match[1]} ${match[2]!.toLowerCase()} (${layers.done.size}/${layers.total.size})`;
  }
  return null;
}

/** The line that closes a push: how many layers, and how many of them the registry had. */
export function pushSummary(layers: LayerCount): string {
  return `${layers.done.size} layers, ${layers.existing.size} of them already in the registry`;
}

export async function pushImage(
  shell: Shell,
  engine: Engine,
  reference: string,
  registry: string,
  env: Record<string, string>,
  log = new StepLog('push'),
): Promise<PushResult> {
  const dir = shell.dryRun || engine.kind !== 'podman' ? null : await mkdtemp(join(tmpdir(), 'pixi-condor-push-'));
  const digestFile = dir ? join(dir, 'digest') : null;
  const layers: LayerCount = { total: new Set(), done: new Set(), existing: new Set() };
  let digest: string | null = null;
  try {
    const argv = [
      engine.bin,
      'push',
      ...tlsFlags(engine, registry),
      ...(engine.kind === 'podman' ? ['--format', 'docker'] : []),
      ...(digestFile ? ['--digestfile', digestFile] : []),
      reference,
    ];
    if (!shell.dryRun) log.show(reference);
    const result = await shell.run(argv, {
      env,
      nothrow: true,
      timeoutMs: 60 * 60_000,
      onLine: (line) => {
        log.record(line);
        const shown = pushProgress(line, layers);
        if (shown) log.show(shown);
        const printed = /digest: (sha256:[0-9a-f]{64})/.exec(line);
        if (printed) digest = printed[1]!;
      },
    });
    if (result.skipped) return { digest: null };
    if (result.exitCode !== 0) {
      log.dumpTail();
      const last = lastLine(result.stderr) || `exit ${result.exitCode}`;
      if (UNREACHABLE.test(result.stderr)) {
        throw new UserError(`registry ${registry} is unreachable: ${last}`, {
          hint: 'check the network and the registry host in [tool.pixi-condor] repository',
        });
      }
      if (REFUSED.test(result.stderr)) {
        throw new UserError(`registry ${registry} refused the tag ${reference}: ${last}`, {
          hint: 'check that the token may write this repository (ghcr.io: write:packages) and that the registry allows this tag',
        });
      }
      throw new UserError(`the push of ${reference} failed: ${last}`, { hint: 'the push output above shows why' });
    }
    if (digestFile) digest = (await readFile(digestFile, 'utf8')).trim() || digest;
    if (layers.done.size > 0) log.show(`done: ${pushSummary(layers)}`);
    return { digest };
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
