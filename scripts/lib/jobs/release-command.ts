// `pixi run release [CLUSTER[.PROC]] [--memory SIZE] [--disk SIZE]`: a proc held for memory or
// disk gets a larger request in the queue (condor_qedit RequestMemory/RequestDisk), then
// condor_release. Editing the submit file would change only the next submission: the queued
// job keeps the request it was submitted with until condor_qedit changes it. With no size, the
// suggestion from the hold reason (HTCondor names the limit and the last measured usage).
import { booleanOption, stringOption, type CommandSpec, type ParsedCommand } from '../cli.ts';
import { UsageError, UserError } from '../errors.ts';
import { Shell, lastLine, shellQuote } from '../shell.ts';
import { sizeIn } from '../submit-language/submit-plan.ts';
import { findWorkspaceRoot } from '../workspace.ts';
import { holdHint } from './hold-hints.ts';
import type { JobState } from './job-state.ts';
import { parseClusterArg, readJobRecord, type JobRecord } from './job-store.ts';
import { latestJobRecord } from './record-heads.ts';
import { readJobOnce } from './tracker.ts';
import { MAX_SIZE_TEXT, readSize } from '../sizes.ts';
import { heldFor, suggestAfterHold, type HeldResource } from './usage.ts';

export const RELEASE_SPEC: CommandSpec = {
  usage: 'pixi run release [CLUSTER[.PROC]] [options]',
  summary:
    'Raise the request of procs held for memory or disk in the queued job (condor_qedit), then condor_release them (the latest job by default).',
  positionals: { names: 'CLUSTER[.PROC]', max: 1 },
  options: {
    memory: {
      type: 'string',
      value: 'SIZE',
      description: 'request_memory to set, e.g. 4GB or 3000 (MB); default: suggested from the hold reason',
    },
    disk: {
      type: 'string',
      value: 'SIZE',
      description: 'request_disk to set, e.g. 10GB or 500000 (KB); default: suggested from the hold reason',
    },
    'dry-run': { type: 'boolean', description: 'print the condor_qedit and condor_release commands; change nothing' },
    json: { type: 'boolean', description: 'print what was (or would be) done as JSON' },
  },
  epilog: [
    'Only held procs are touched. A proc held for another cause (image pull, input files, ...) is',
    'released only when --memory or --disk is given; otherwise its hint says what to fix first.',
  ].join('\n'),
  exitCodes: [
    ['0', 'released (or nothing held)'],
    ['1', 'condor_qedit or condor_release failed, or a held proc needs another fix'],
    ['2', 'usage error, or an unreadable job record'],
  ],
  docs: 'docs/long-runs.md',
};

export interface ReleasePlan {
  id: string;
  resource: HeldResource | null;
  /** condor_qedit edits: attribute → value (RequestMemory in MiB, RequestDisk in KiB). */
  edits: Record<string, string>;
  /** Why nothing is done for this proc (another hold cause), else null. */
  skip: string | null;
}

function parseSize(text: string, option: string, unitKb: 1 | 1024): number {
  const read = readSize(text, unitKb);
  if ('problem' in read && read.problem === 'too-large')
    throw new UsageError(
      `--${option} ${text} is more than ${MAX_SIZE_TEXT}, more than any execute point has`,
      `ask for what the job needs, e.g. --${option} ${option === 'memory' ? '16GB' : '20GB'}`,
    );
  if ('problem' in read || read.value <= 0)
    throw new UsageError(`--${option} ${text} is not a size`, 'write it like 4GB, 1536MB or a plain number');
  return read.value;
}

/** What to do for each held proc. Exported for tests. */
export function planRelease(
  held: JobState[],
  record: Pick<JobRecord, 'procs'>,
  sizes: { memoryMb: number | null; diskKb: number | null },
): ReleasePlan[] {
  return held.map((job) => {
    const resource = heldFor(job);
    const proc = record.procs.find((p) => p.proc === job.proc);
    const edits: Record<string, string> = {};
    if (sizes.memoryMb !== null) edits.RequestMemory = String(sizes.memoryMb);
    if (sizes.diskKb !== null) edits.RequestDisk = String(sizes.diskKb);
    if (resource === 'memory' && sizes.memoryMb === null) {
      const suggested = suggestAfterHold(job.holdReason, proc?.requestMemoryMb ?? null);
      if (suggested) edits.RequestMemory = String(sizeIn(suggested, 1024));
    }
    if (resource === 'disk' && sizes.diskKb === null) {
      const requestMb = proc?.requestDiskKb != null ? proc.requestDiskKb / 1024 : null;
      const suggested = suggestAfterHold(job.holdReason, requestMb);
      if (suggested) edits.RequestDisk = String(sizeIn(suggested, 1));
    }
    let skip: string | null = null;
    if (Object.keys(edits).length === 0) {
      const hint = holdHint(job.holdCode, job.holdSubcode, job.holdReason, job.id);
      skip =
        resource === null
          ? `held for ${hint.cause}, not memory or disk: ${hint.hint}`
          : `no size could be worked out from the hold reason: give --${resource} SIZE`;
    }
    return { id: job.id, resource, edits, skip };
  });
}

export async function runRelease(parsed: ParsedCommand): Promise<number> {
  const root = findWorkspaceRoot();
  const arg = parsed.positionals[0];
  const dryRun = booleanOption(parsed, 'dry-run');
  const json = booleanOption(parsed, 'json');
  const memoryText = stringOption(parsed, 'memory');
  const diskText = stringOption(parsed, 'disk');
  const sizes = {
    memoryMb: memoryText !== undefined ? parseSize(memoryText, 'memory', 1024) : null,
    diskKb: diskText !== undefined ? parseSize(diskText, 'disk', 1) : null,
  };
  const record =
    arg !== undefined
      ? await readJobRecord(root, parseClusterArg(arg))
      : await latestJobRecord(root, { keep: !dryRun });
  if (!record)
    throw new UserError('no job has been submitted from this workspace yet', {
      hint: 'name the cluster: `pixi run release 4242`',
    });
  const { table } = await readJobOnce(record, root);
  if (record.local) {
    // No queue holds a local job: the local command that runs a proc again is resubmit, and which
    // flag depends on how its procs ended (the table's counts: no walk over the procs).
    const counts = table.counts();
    const first = record.resubmitOf?.cluster ?? record.cluster;
    const held = counts.held > 0;
    const failed = counts.removed > 0 || table.failed > 0;
    throw new UserError(`job ${record.cluster} ran locally (submit --local): there is no queue to release it in`, {
      hint: held
        ? `run its held procs again (after the fix; request_memory/request_disk are read from the submit file again): \`pixi run resubmit ${first} --held --local\``
        : failed
          ? `none of its procs is held; run the failed ones again: \`pixi run resubmit ${first} --failed --local\``
          : `none of its procs is held: \`pixi run status ${record.cluster}\` shows how it ended`,
    });
  }
  const onlyProc = arg?.includes('.') ? Number(arg.split('.')[1]) : null;
  const held = table.list().filter((j) => j.state === 'held' && (onlyProc === null || j.proc === onlyProc));
  const say = (line: string): void => void (json ? process.stderr : process.stdout).write(`${line}\n`);
  if (held.length === 0) {
    say(
      `nothing to release: ${onlyProc !== null ? `${record.cluster}.${onlyProc} is` : `no proc of job ${record.cluster} is`} held (per its event log)`,
    );
    if (json) process.stdout.write(`${JSON.stringify({ cluster: record.cluster, dryRun, procs: [] }, null, 2)}\n`);
    return 0;
  }
  const plans = planRelease(held, record, sizes);
  const shell = new Shell({ dryRun, log: say });
  let failed = 0;
  const done: (ReleasePlan & { released: boolean })[] = [];
  for (const plan of plans) {
    if (plan.skip) {
      say(`${plan.id}: ${plan.skip}`);
      failed++;
      done.push({ ...plan, released: false });
      continue;
    }
    const what = Object.entries(plan.edits)
      .map(([attr, value]) => `${attr} = ${value}${attr === 'RequestMemory' ? ' MB' : ' KB'}`)
      .join(', ');
    say(
      `${dryRun ? 'would set' : 'setting'} ${what} for ${plan.id} (held for ${plan.resource ?? 'another cause'}), then release it`,
    );
    let ok = true;
    for (const [attr, value] of Object.entries(plan.edits)) {
      const result = await shell.run(['condor_qedit', plan.id, attr, value], {
        cwd: root,
        nothrow: true,
        timeoutMs: 120_000,
      });
      if (!result.skipped && result.stdout.trim()) say(result.stdout.trim());
      if (result.exitCode !== 0) {
        say(`error: condor_qedit ${plan.id} ${attr} failed: ${lastLine(result.stderr) || `exit ${result.exitCode}`}`);
        ok = false;
        break;
      }
    }
    if (ok) {
      const result = await shell.run(['condor_release', plan.id], { cwd: root, nothrow: true, timeoutMs: 120_000 });
      if (!result.skipped && result.stdout.trim()) say(result.stdout.trim());
      if (result.exitCode !== 0) {
        say(`error: condor_release ${plan.id} failed: ${lastLine(result.stderr) || `exit ${result.exitCode}`}`);
        ok = false;
      }
    }
    if (!ok) failed++;
    done.push({ ...plan, released: ok && !dryRun });
  }
  if (json) process.stdout.write(`${JSON.stringify({ cluster: record.cluster, dryRun, procs: done }, null, 2)}\n`);
  else if (!dryRun && failed < plans.length)
    say(
      `follow it with \`pixi run status ${record.cluster}\`; the next submission still uses the submit file's request: raise it there too`,
    );
  if (dryRun) say(`dry run: ${plans.length - failed} proc(s) would be edited and released: ${commandsOf(plans)}`);
  return failed > 0 ? 1 : 0;
}

function commandsOf(plans: ReleasePlan[]): string {
  return plans
    .filter((p) => !p.skip)
    .flatMap((p) => [
      ...Object.entries(p.edits).map(([a, v]) => ['condor_qedit', p.id, a, v].map(shellQuote).join(' ')),
      `condor_release ${p.id}`,
    ])
    .join('; ');
}
