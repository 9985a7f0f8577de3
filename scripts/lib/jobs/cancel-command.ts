// `pixi run cancel [CLUSTER]`: say what will be removed, then condor_rm it (the latest job by
// default). Removal is asynchronous: the 009 event in the log confirms it.
import { booleanOption, type CommandSpec, type ParsedCommand } from '../cli.ts';
import { UserError } from '../errors.ts';
import { lastLine, Shell } from '../shell.ts';
import { findWorkspaceRoot } from '../workspace.ts';
import { cancelLocal } from '../local/local-cancel.ts';
import { parseClusterArg, readJobRecord, recordLogs, type JobRecord } from './job-store.ts';
import { latestJobRecord } from './record-heads.ts';
import { adoptPendingSubmissions } from '../submit/pending-submission.ts';
import { readJobOnce } from './tracker.ts';

export const CANCEL_SPEC: CommandSpec = {
  usage: 'pixi run cancel [CLUSTER] [options]',
  summary: 'Remove a submitted job from the queue with condor_rm (the latest job by default).',
  positionals: { names: 'CLUSTER', max: 1 },
  options: {
    'dry-run': { type: 'boolean', description: 'say what would be removed and the condor_rm command; remove nothing' },
  },
  epilog: [
    'A local job (submit --local): its runner is asked to remove it (SIGTERM); a runner that died is',
    'found, what it left running is ended and the lost run logged (022, 024, 009), its last checkpoint',
    'kept for `pixi run resubmit --failed --local`.',
  ].join('\n'),
  exitCodes: [
    ['0', 'removal requested, or the job had already ended (its log says so)'],
    ['1', 'condor_rm failed (e.g. the job already left the queue)'],
    ['2', 'usage error'],
  ],
  docs: 'docs/submit.md',
};

export async function runCancel(parsed: ParsedCommand): Promise<number> {
  const root = findWorkspaceRoot();
  const dryRun = booleanOption(parsed, 'dry-run');
  // A submission cut off before its record was written (submit killed): record it first.
  if (!dryRun) await adoptPendingSubmissions(root, new Shell(), (line) => void process.stderr.write(`${line}\n`));
  const arg = parsed.positionals[0];
  const record =
    arg !== undefined
      ? await readJobRecord(root, parseClusterArg(arg))
      : await latestJobRecord(root, { keep: !dryRun });
  if (!record)
    throw new UserError('no job has been submitted from this workspace yet', {
      hint: 'name the cluster: `pixi run cancel 4242`',
    });
  const procs = record.procs.length;
  // The log may already say how it ended: then there is nothing to remove, and condor_rm would fail.
  const ended = await endedPerLog(record, root);
  if (ended) {
    process.stdout.write(
      `job ${record.cluster} has already ended (${ended}); nothing to remove. \`pixi run status ${record.cluster} --once\` shows how\n`,
    );
    return 0;
  }
  process.stdout.write(
    `${dryRun ? 'would remove' : 'removing'} job ${record.cluster} (${record.batchName}, ${procs} proc${procs === 1 ? '' : 's'}, submitted ${record.submittedAt} from ${record.submitFile})\n`,
  );
  if (record.local) return cancelLocal(root, record, dryRun);
  const shell = new Shell({
    dryRun,
    log: (line) => process.stdout.write(line + '\n'),
  });
  const result = await shell.run(['condor_rm', String(record.cluster)], {
    cwd: root,
    nothrow: true,
    timeoutMs: 120_000,
  });
  if (result.skipped) return 0;
  if (result.stdout.trim()) process.stdout.write(result.stdout.trim() + '\n');
  if (result.exitCode !== 0) {
    throw new UserError(`condor_rm ${record.cluster} failed: ${lastLine(result.stderr) || `exit ${result.exitCode}`}`, {
      hint: `the job may have left the queue already: \`pixi run status ${record.cluster} --once\` shows how it ended`,
    });
  }
  process.stdout.write(`the log confirms the removal: \`pixi run status ${record.cluster}\`\n`);
  return 0;
}

/** `3 completed, 1 removed` when the job's logs show every proc ended; null otherwise (or unreadable). */
async function endedPerLog(record: JobRecord, root: string): Promise<string | null> {
  const logs = recordLogs(record);
  if (logs.length === 0) return null;
  try {
    const result = await readJobOnce(record, root);
    if (!result.table.allDone()) return null;
    const counts = result.table.counts();
    return [
      counts.completed > 0 ? `${counts.completed} completed` : null,
      counts.removed > 0 ? `${counts.removed} removed` : null,
    ]
      .filter(Boolean)
      .join(', ');
  } catch {
    return null; // an unreadable log does not stop a removal
  }
}
