// `pixi run status [CLUSTER]`: re-attach to a submitted job (the latest by default) from its
// job record, or read any event log with --log PATH (no HTCondor needed).
import { existsSync, statSync } from 'node:fs';
import { jobTextFor } from '../job-text.ts';
import { resolve } from 'node:path';
import { booleanOption, stringOption, type CommandSpec, type ParsedCommand } from '../cli.ts';
import { UsageError, UserError } from '../errors.ts';
import { onPath, Shell } from '../shell.ts';
import { displayPath, findWorkspaceRoot } from '../workspace.ts';
import { tailLines } from './progress.ts';
import { parseDuration } from './format.ts';
import { lostRunnerNote, parseClusterArg, readJobRecord, recordLogs, type JobRecord } from './job-store.ts';
import { latestJobRecord } from './record-heads.ts';
import { queueProbe } from './queue-probe.ts';
import { jobTitle, recordWatch, watchJob } from './watch.ts';

export const WATCH_OPTIONS: CommandSpec['options'] = {
  json: {
    type: 'boolean',
    description: "print the jobs' state as JSON (at the end, or now with --once) instead of the live view",
  },
  once: { type: 'boolean', description: 'print the current state and exit instead of following' },
  'held-timeout': {
    type: 'string',
    value: 'DURATION',
    default: '10m',
    description: 'stop watching when a proc stays held this long (e.g. 30s, 10m, 2h; 0 = at once)',
  },
  interval: {
    type: 'string',
    value: 'MS',
    default: '500',
    description: 'how often to read the event log, in milliseconds',
  },
};

export const STATUS_SPEC: CommandSpec = {
  usage: 'pixi run status [CLUSTER[.PROC]] [options]',
  summary: 'Follow a submitted job from its event log until it ends (the latest job by default).',
  positionals: { names: 'CLUSTER[.PROC]', max: 1 },
  options: {
    log: {
      type: 'string',
      multiple: true,
      value: 'PATH',
      description: "read this event log instead of a submitted job's (repeatable; implies --once unless --follow)",
    },
    follow: { type: 'boolean', description: 'with --log: keep following the log until its jobs end' },
    tail: {
      type: 'string',
      value: '[N]',
      implicitValue: '20',
      description:
        "print the last N lines (default 20) of each proc's output and error, as condor_tail would (CLUSTER.PROC: one proc)",
    },
    ...WATCH_OPTIONS,
  },
  epilog: [
    'examples:',
    '  pixi run status                 follow the latest job',
    '  pixi run status 4242 --once     show job 4242 now',
    '  pixi run status --log job.log --json',
  ].join('\n'),
  exitCodes: [
    ['0', 'every proc completed with return value 0'],
    ['N', "the single proc's return value (128 + signal when killed)"],
    ['1', 'several procs and one failed, or not finished (--once)'],
    ['2', 'held past --held-timeout, or removed; or a usage error'],
    ['130', 'you stopped watching (the job keeps running)'],
  ],
  docs: 'docs/submit.md',
};

export interface WatchSettings {
  json: boolean;
  once: boolean;
  heldTimeoutMs: number;
  intervalMs: number;
}

export function watchSettings(parsed: ParsedCommand): WatchSettings {
  const held = parseDuration(stringOption(parsed, 'held-timeout') ?? '10m');
  if (held === null)
    throw new UsageError(
      `--held-timeout '${stringOption(parsed, 'held-timeout')}' is not a duration`,
      'write it like 30s, 10m or 2h',
    );
  const interval = Number(stringOption(parsed, 'interval') ?? '500');
  if (!Number.isFinite(interval) || interval < 10)
    throw new UsageError(`--interval must be a number of milliseconds (at least 10)`);
  return {
    json: booleanOption(parsed, 'json'),
    once: booleanOption(parsed, 'once'),
    heldTimeoutMs: held,
    intervalMs: interval,
  };
}

export async function runStatus(parsed: ParsedCommand): Promise<number> {
  const settings = watchSettings(parsed);
  const logs = (parsed.values.log as string[] | undefined) ?? [];
  const clusterArg = parsed.positionals[0];
  const cluster = clusterArg !== undefined ? parseClusterArg(clusterArg) : null;

  const tail = stringOption(parsed, 'tail');
  if (logs.length > 0) {
    if (tail !== undefined)
      throw new UsageError("--tail reads a submitted job's output files; it does not go with --log");
    const paths = logs.map((p) => resolve(p));
    const follow = booleanOption(parsed, 'follow');
    // Reading a log now: one that is not there is a mistake, not something to wait for.
    const absent = follow ? undefined : logs.find((_, i) => !existsSync(paths[i]!));
    if (absent !== undefined) {
      throw new UserError(`event log ${absent} does not exist`, {
        hint: "pass the path the submit file's `log =` names; add --follow to wait for it to appear",
        exitCode: 2,
      });
    }
    // A folder fails the read, a FIFO blocks the open forever: only regular files are logs.
    for (const [i, path] of paths.entries()) {
      const kind = fileKind(path);
      if (kind !== 'file' && kind !== 'missing')
        throw new UserError(`${logs[i]} is ${kind}, not an event log`, {
          hint: "pass the file the submit file's `log =` names",
          exitCode: 2,
        });
    }
    return watchJob({
      root: process.cwd(),
      logs: paths,
      cluster,
      procs: null,
      ...settings,
      once: settings.once || !follow,
      title: `${logs.join(', ')}${cluster !== null ? ` (cluster ${cluster})` : ''}`,
    });
  }
  if (booleanOption(parsed, 'follow'))
    throw new UsageError('--follow goes with --log (a submitted job is followed by default)');

  const root = findWorkspaceRoot();
  // A submission cut off before its record was written (submit killed): record it first.
  // (Loaded here: `status --log` needs no workspace, and its start-up is most of a small log's read.)
  const { adoptPendingSubmissions } = await import('../submit/pending-submission.ts');
  await adoptPendingSubmissions(root, new Shell(), (line) => void process.stderr.write(`${line}\n`));
  const record = cluster !== null ? await readJobRecord(root, cluster) : await latestJobRecord(root);
  if (!record) {
    throw new UserError('no job has been submitted from this workspace yet', {
      hint: 'run `pixi run submit`, or pass --log PATH to read an event log',
    });
  }
  if (tail !== undefined) return printTails(record, clusterArg, tail, root);
  const procLogs = recordLogs(record);
  if (procLogs.length === 0)
    throw new UserError(`job ${record.cluster} has no event log to follow`, {
      hint: 'add `log = ...` to the submit file',
    });
  if (record.local) return statusOfLocal(root, record, settings);
  const shell = new Shell();
  const probe = (await onPath('condor_q')) ? queueProbe(shell, record.cluster, root) : undefined;
  return watchJob({
    ...recordWatch(root, record),
    ...settings,
    referenceTime: Date.parse(record.submittedAt),
    probe,
  });
}

/**
 * A local job is in no schedd's queue: its runner owns it. A runner that died is found here
 * (pid and start time) and its job recovered before anything is shown; then --once reads the
 * logs, and following re-attaches as `submit --local` watches.
 */
async function statusOfLocal(root: string, record: JobRecord, settings: WatchSettings): Promise<number> {
  // The local runner's modules (docker, the sandbox) load only for a local job.
  const [{ recoverIfRunnerLost }, { watchLocal }] = await Promise.all([
    import('../local/runner-recovery.ts'),
    import('../local/local-watch.ts'),
  ]);
  if (await recoverIfRunnerLost(root, record)) process.stderr.write(lostRunnerNote(record));
  if (!settings.once) return watchLocal({ root, record, json: settings.json, intervalMs: settings.intervalMs });
  return watchJob({
    ...recordWatch(root, record),
    ...settings,
    title: `${jobTitle(record)} · local`,
    referenceTime: Date.parse(record.submittedAt),
    local: { cluster: record.resubmitOf?.cluster ?? record.cluster },
  });
}

function fileKind(path: string): 'file' | 'missing' | 'a folder' | 'not a regular file (a FIFO, socket or device)' {
  try {
    const stats = statSync(path);
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'a folder' : 'not a regular file (a FIFO, socket or device)';
  } catch {
    return 'missing';
  }
}

/** `status --tail [N]`: the end of each proc's output and error (one proc with CLUSTER.PROC). */
async function printTails(
  record: JobRecord,
  idArg: string | undefined,
  countText: string,
  root: string,
): Promise<number> {
  const count = Number(countText);
  if (!Number.isInteger(count) || count < 1)
    throw new UsageError(`--tail ${countText}: give a number of lines (1 or more)`);
  const proc = idArg?.includes('.') ? Number(idArg.split('.')[1]) : null;
  const procs = proc === null ? record.procs : record.procs.filter((p) => p.proc === proc);
  if (procs.length === 0)
    throw new UserError(`job ${record.cluster} has no proc ${proc}`, {
      hint: `its procs are ${record.cluster}.0 to ${record.cluster}.${record.procs.length - 1}`,
      exitCode: 2,
    });
  // The job wrote these files: tokens masked, escape sequences shown, never sent raw.
  const jobText = jobTextFor(root);
  for (const p of procs) {
    for (const [label, path] of [
      ['output', p.output],
      ['error', p.error],
    ] as const) {
      const head = `== ${record.cluster}.${p.proc} ${label}`;
      if (!path) {
        process.stdout.write(`${head}: none (the submit file sets no ${label})\n`);
        continue;
      }
      const lines = tailLines(path, count);
      process.stdout.write(
        lines === null
          ? `${head}: ${displayPath(root, path)} is not there yet (stream_${label} = true brings it back while the job runs)\n`
          : `${head} (${displayPath(root, path)}, last ${lines.length} line${lines.length === 1 ? '' : 's'}) ==\n${lines.map((l) => `${jobText(l)}\n`).join('')}`,
      );
    }
  }
  return 0;
}
