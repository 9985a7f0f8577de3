// `docker build` (or podman) of the workspace's Dockerfile: both tags at once, the platform,
// the resolved build args and the OCI labels, with build steps shown as they start. The
// daemon's image id comes back through --iidfile; the context size from the engine's report.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import type { Shell } from '../shell.ts';
import type { Engine } from './engine.ts';
import { formatBytes } from '../format.ts';
import { parseHumanBytes, StepLog, stripAnsi } from './progress.ts';

export interface BuildRequest {
  root: string;
  dockerfile: string;
  platform: string;
  /** Full references to tag, e.g. ghcr.io/a/b:tag. */
  tags: string[];
  buildArgs: Map<string, string>;
  labels: Record<string, string>;
  /** --network for RUN steps (e.g. host where the daemon has no bridge). */
  network?: string;
  noCache?: boolean;
}

export interface BuildResult {
  /** sha256:… image id, null under --dry-run. */
  imageId: string | null;
  /** Bytes of build context the engine reported receiving, when it said. */
  contextBytes: number | null;
}

const LOCK_STALE =
  /lock-?file (is )?not up[- ]to[- ]date|lock file is (out of date|not up to date)|--locked.*(out of date|not satisfied)/i;

export function buildArgv(engine: Engine, request: BuildRequest, iidfile: string): string[] {
  const argv = [engine.bin, 'build', '--platform', request.platform, '--file', join(request.root, request.dockerfile)];
  for (const tag of request.tags) argv.push('--tag', tag);
  for (const [name, value] of request.buildArgs) argv.push('--build-arg', `${name}=${value}`);
  for (const [name, value] of Object.entries(request.labels)) argv.push('--label', `${name}=${value}`);
  if (engine.builder === 'buildkit') argv.push('--progress', 'plain');
  if (engine.kind === 'podman') argv.push('--format', 'docker');
  if (request.network) argv.push('--network', request.network);
  if (request.noCache) argv.push('--no-cache');
  argv.push('--iidfile', iidfile, request.root);
  return argv;
}

/**
 * The labels build-image adds; the classic builder lists each as a step of its own (the last
 * steps of the count). Shown by name: their values (a hash, a date) say nothing new there.
 */
const OUR_LABEL_STEP = /^LABEL ((?:org\.opencontainers\.image|io\.pixi-condor)\.[\w.-]+)=/;
const STEP_WIDTH = 100;

/** A step as one short line: a RUN with continuation lines is long and full of spaces. */
function stepLine(counter: string, instruction: string): string {
  const ours = OUR_LABEL_STEP.exec(instruction);
  if (ours) return `[${counter}] LABEL ${ours[1]} (build-image's)`;
  const text = instruction.replace(/\s+/g, ' ').trim();
  return `[${counter}] ${text.length > STEP_WIDTH ? `${text.slice(0, STEP_WIDTH - 1)}…` : text}`;
}

/** Turn one engine output line into a progress line (or nothing), noting the context size. */
export function buildProgress(line: string, state: { contextBytes: number | null; seen: Set<string> }): string | null {
  let match =
    /^Sending build context to Docker daemon\s+(\S+)/.exec(line) ??
    /^#\d+ transferring context: ([\d.]+\s*[kMG]?i?B)/.exec(line);
  if (match) {
    const bytes = parseHumanBytes(match[1]!);
    if (bytes !== null) state.contextBytes = bytes;
    return line.startsWith('Sending') || /done/.test(line) ? `context ${formatBytes(bytes ?? 0)}` : null;
  }
  // classic: "Step 3/17 : COPY …"; podman: "STEP 3/17: COPY …"; BuildKit: "#7 [build 2/4] RUN …"
  match = /^(?:Step|STEP) (\d+\/\d+)\s?: (.*)$/.exec(line);
  if (match) return stepLine(match[1]!, match[2]!);
  match = /^#(\d+) \[([^\]]*\d+\/\d+)\] (.*)$/.exec(line);
  if (match && !state.seen.has(match[1]!)) {
    state.seen.add(match[1]!);
    return stepLine(match[2]!, match[3]!);
  }
  return null;
}

/** The one-line error for a failed build, from what the engine printed. */
export function buildFailure(output: string, exitCode: number): UserError {
  const plain = stripAnsi(output);
  if (LOCK_STALE.test(plain)) {
    return new UserError('pixi.lock is out of date with pixi.toml (`pixi install --locked` refused it in the build)', {
      file: 'pixi.lock',
      hint: 'run `pixi lock`, commit pixi.lock, and build again',
    });
  }
  if (/Cannot connect to the Docker daemon|Is the docker daemon running/i.test(plain)) {
    return new UserError('the Docker daemon stopped answering during the build', {
      hint: 'start Docker and run this again',
    });
  }
  const last =
    plain
      .trim()
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .pop() ?? `exit ${exitCode}`;
  return new UserError(`the image build failed: ${last}`, { hint: 'the build output above shows the failing step' });
}

export async function buildImage(
  shell: Shell,
  engine: Engine,
  request: BuildRequest,
  log = new StepLog('build'),
): Promise<BuildResult> {
  const dir = shell.dryRun ? tmpdir() : await mkdtemp(join(tmpdir(), 'pixi-condor-build-'));
  const iidfile = join(dir, 'iid');
  const state = { contextBytes: null as number | null, seen: new Set<string>() };
  try {
    const result = await shell.run(buildArgv(engine, request, iidfile), {
      env: engine.buildEnv,
      nothrow: true,
      onLine: (line) => {
        log.record(line);
        const shown = buildProgress(line, state);
        if (shown) log.show(shown);
      },
    });
    if (result.skipped) return { imageId: null, contextBytes: null };
    if (result.exitCode !== 0) {
      log.dumpTail();
      throw buildFailure(`${result.stdout}\n${result.stderr}`, result.exitCode);
    }
    const imageId = (await readFile(iidfile, 'utf8')).trim();
    return { imageId, contextBytes: state.contextBytes };
  } finally {
    if (!shell.dryRun) await rm(dir, { recursive: true, force: true });
  }
}
