// `universe = container`/`docker`: `docker run` of the job's image the way HTCondor's Docker
// support creates the container (docker-api.cpp DockerAPI::createContainer): the sandbox
// mounted at its own path and used as the working directory, the invoking user's uid:gid (so
// files come back owned by the user), the request as limits (--memory, here --cpus rather than
// --cpu-shares so a laptop stays usable), --init, the image's entrypoint kept and the
// executable as its command. Every container carries our labels, so Ctrl-C and tests can find
// exactly the ones this run started. Environment values never go in argv: `-e NAME` makes
// docker take each value from its own environment.
import type { CpuTimes } from '../event-log/writer.ts';
import type { Shell } from '../shell.ts';
import { engineCall, engineSocket } from './docker-engine.ts';
import { startChild, type RunningChild } from './process-run.ts';

export const LOCAL_LABEL = 'org.pixi-condor.local';
export const JOB_LABEL = 'org.pixi-condor.job';

export interface ContainerLaunch {
  image: string;
  name: string;
  /** Value of LOCAL_LABEL: one per runner. */
  runId: string;
  jobId: string;
  executable: string;
  args: string[];
  sandbox: string;
  /** The working directory: the sandbox, or initialdir (mounted too) with should_transfer_files = NO. */
  workdir: string;
  env: Map<string, string>;
  /** FAMILY_VAR for the docker CLI process (never passed into the container). */
  familyMarker?: string | null;
  user: string;
  memoryMb: number | null;
  cpus: number | null;
  gpus: string[];
  /** --network: none where the engine has no bridge network. */
  network: string | null;
  /** The job's stdin file (`input`), or null: the docker CLI passes it in (`-i`). */
  stdinPath?: string | null;
  stdoutPath: string | null;
  stderrPath: string | null;
  append: boolean;
}

/** `docker://repo@sha256:…` → `repo@sha256:…`; null for images docker cannot run (.sif, directories). */
export function dockerImageName(image: string): string | null {
  const trimmed = image.trim().replace(/^"(.*)"$/, '$1');
  if (/^docker:\/\//.test(trimmed)) return trimmed.slice('docker://'.length);
  if (/^[a-z]+:\/\//i.test(trimmed) || trimmed.endsWith('.sif') || trimmed.endsWith('/') || trimmed.startsWith('/'))
    return null;
  return trimmed;
}

export function dockerRunArgv(launch: ContainerLaunch): string[] {
  const argv = [
    'docker',
    'run',
    '--name',
    launch.name,
    '--label',
    `${LOCAL_LABEL}=${launch.runId}`,
    '--label',
    `${JOB_LABEL}=${launch.jobId}`,
    '--init',
    '--user',
    launch.user,
    '--mount',
    bindMount(launch.sandbox),
    ...(launch.workdir !== launch.sandbox ? ['--mount', bindMount(launch.workdir)] : []),
    '--workdir',
    launch.workdir,
  ];
  if (launch.network) argv.push('--network', launch.network);
  if (launch.stdinPath) argv.push('--interactive');
  if (launch.memoryMb !== null) argv.push(`--memory=${launch.memoryMb}m`);
  if (launch.cpus !== null) argv.push(`--cpus=${launch.cpus}`);
  if (launch.gpus.length > 0) argv.push('--gpus', `"device=${launch.gpus.join(',')}"`);
  for (const name of [...launch.env.keys()].sort()) argv.push('-e', name);
  argv.push(launch.image, launch.executable, ...launch.args);
  return argv;
}

/**
 * `--mount` of a folder at the same path: `--volume A:A` splits a path on its `:`, and --mount's
 * fields are CSV, so a field with a comma or a quote is quoted (docker reads them with Go's csv).
 */
export function bindMount(path: string, keys: [source: string, target: string] = ['source', 'target']): string {
  const field = (text: string): string => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  return ['type=bind', field(`${keys[0]}=${path}`), field(`${keys[1]}=${path}`)].join(',');
}

export function startContainer(launch: ContainerLaunch): RunningChild {
  const argv = dockerRunArgv(launch);
  const child = startChild(
    {
      command: argv[0]!,
      args: argv.slice(1),
      cwd: launch.sandbox,
      env: { ...process.env, ...Object.fromEntries(launch.env) },
      familyMarker: launch.familyMarker ?? null,
      stdinPath: launch.stdinPath,
      stdoutPath: launch.stdoutPath,
      stderrPath: launch.stderrPath,
      append: launch.append,
    },
    false,
  );
  // The container's cgroup, as the starter reads it: peak memory and CPU time, sampled through
  // the engine's stats (one-shot, API 1.41+) about once a second while it runs.
  const socket = engineSocket();
  let peakKb = 0;
  let cpu: CpuTimes | null = null;
  let asking = false;
  const sample = async (): Promise<void> => {
    if (!socket || asking) return;
    asking = true;
    const answer = await engineCall(
      socket,
      'GET',
      `/containers/${encodeURIComponent(launch.name)}/stats?stream=false&one-shot=true`,
      5000,
    );
    asking = false;
    if (answer?.status !== 200) return;
    try {
      const stats = JSON.parse(answer.body);
      const bytes = Number(stats?.memory_stats?.max_usage ?? stats?.memory_stats?.usage ?? 0);
      if (bytes > 0) peakKb = Math.max(peakKb, Math.ceil(bytes / 1024));
      const usage = stats?.cpu_stats?.cpu_usage;
      if (usage?.usage_in_usermode !== undefined)
        cpu = {
          userSeconds: Number(usage.usage_in_usermode) / 1e9,
          systemSeconds: Number(usage.usage_in_kernelmode ?? 0) / 1e9,
        };
    } catch {
      // a stats document we do not understand: no figures
    }
  };
  const timer = socket ? setInterval(() => void sample(), 1000) : null;
  timer?.unref();
  void child.done.then(() => {
    if (timer) clearInterval(timer);
  });
  return { ...child, peakRssKb: () => peakKb, cpuTimes: () => cpu };
}

export interface ContainerOutcome {
  /** false: docker never created it (the image could not be found or pulled, a bad option). */
  exists: boolean;
  /** The kernel killed it for exceeding its memory limit. */
  oomKilled: boolean;
  /** Docker could not start the command (OCI runtime errors), else ''. */
  error: string;
  /** The engine could not be reached to ask (its message), else null: nothing is known of the container. */
  engineLost?: string | null;
}

/** What the docker CLI says when there is no engine to talk to (no socket, refused, gone mid-call). */
const ENGINE_UNREACHABLE =
  /Cannot connect to the Docker daemon|error during connect|Is the docker daemon running|connection refused|no such file or directory.*docker\.sock|unexpected EOF/i;

/** An inspect document (the engine's, with State inside) or the CLI's `{{json .State}}`: parsed once. */
function stateOf(text: string): ContainerOutcome {
  const doc = JSON.parse(text);
  const state = doc?.State ?? doc;
  return { exists: true, oomKilled: state.OOMKilled === true, error: String(state.Error ?? ''), engineLost: null };
}

/** After the container exited: did it run, and was it killed for its memory (docker_proc.cpp JobReaper)? */
export async function containerOutcome(shell: Shell, name: string): Promise<ContainerOutcome> {
  const socket = engineSocket();
  if (socket) {
    const answer = await engineCall(socket, 'GET', `/containers/${encodeURIComponent(name)}/json`);
    if (answer?.status === 404) return { exists: false, oomKilled: false, error: '', engineLost: null };
    if (answer?.status === 200) {
      try {
        return stateOf(answer.body);
      } catch {
        // fall back to the CLI
      }
    }
  }
  const r = await shell.run(['docker', 'inspect', '--format', '{{json .State}}', name], {
    nothrow: true,
    readOnly: true,
    timeoutMs: 30_000,
  });
  if (r.exitCode !== 0) {
    const said = r.stderr.trim().split('\n').at(-1) ?? '';
    // "No such object" is an answer; no engine to ask is not: the container may still be there.
    if (ENGINE_UNREACHABLE.test(r.stderr) || r.exitCode === null)
      return { exists: false, oomKilled: false, error: '', engineLost: said || `docker inspect exited ${r.exitCode}` };
    return { exists: false, oomKilled: false, error: '', engineLost: null };
  }
  try {
    return stateOf(r.stdout);
  } catch {
    return { exists: true, oomKilled: false, error: '', engineLost: null };
  }
}

/** Remove the container (stopping it first if it still runs); false when the engine could not be asked. */
export async function removeContainer(shell: Shell, name: string): Promise<boolean> {
  const socket = engineSocket();
  if (socket && !shell.dryRun) {
    const answer = await engineCall(socket, 'DELETE', `/containers/${encodeURIComponent(name)}?force=true&v=true`);
    if (answer && (answer.status === 204 || answer.status === 404)) return true;
    // 409: another removal of it is under way (a cancel while the proc ends): done when it is gone.
    if (answer?.status === 409) return gone(shell, name);
  }
  const r = await shell.run(['docker', 'rm', '-f', name], { nothrow: true, timeoutMs: 60_000 });
  if (/already in progress/i.test(r.stderr)) return gone(shell, name);
  return r.exitCode === 0 || /No such container/i.test(r.stderr);
}

/** Wait (bounded: 30 s, every 50 ms) until the engine no longer knows the container. */
async function gone(shell: Shell, name: string): Promise<boolean> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const outcome = await containerOutcome(shell, name);
    if (outcome.engineLost) return false;
    if (!outcome.exists) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** Names of the containers carrying LOCAL_LABEL=runId (a run's, found after its runner died); null: no engine. */
export async function labelledContainers(shell: Shell, runId: string): Promise<string[] | null> {
  const r = await shell.run(
    ['docker', 'ps', '--all', '--filter', `label=${LOCAL_LABEL}=${runId}`, '--format', '{{.Names}}'],
    { nothrow: true, readOnly: true, timeoutMs: 30_000 },
  );
  if (r.exitCode !== 0) return null;
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** The network to give containers: the engine's default bridge when it has one, else none. */
export async function containerNetwork(shell: Shell): Promise<string | null> {
  const socket = engineSocket();
  if (socket) {
    const answer = await engineCall(socket, 'GET', '/networks');
    if (answer?.status === 200) {
      try {
        const names = (JSON.parse(answer.body) as { Name?: string }[]).map((n) => n.Name);
        return names.includes('bridge') ? null : 'none';
      } catch {
        // fall back to the CLI
      }
    }
  }
  const r = await shell.run(['docker', 'network', 'ls', '--format', '{{.Name}}'], {
    nothrow: true,
    readOnly: true,
    timeoutMs: 30_000,
  });
  if (r.exitCode !== 0) return 'none';
  return r.stdout.split('\n').some((l) => l.trim() === 'bridge') ? null : 'none';
}

/** Does the engine have this image already (nothing is pulled to find out)? */
export async function imagePresent(shell: Shell, image: string): Promise<boolean> {
  const r = await shell.run(['docker', 'image', 'inspect', '--format', '{{.Id}}', image], {
    nothrow: true,
    readOnly: true,
    timeoutMs: 30_000,
  });
  return r.exitCode === 0;
}
