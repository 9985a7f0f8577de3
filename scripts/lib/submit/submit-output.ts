// What condor_submit prints (htcondor.md §a.1–a.4, §g.1): `N job(s) submitted to cluster C.`
// per cluster (or `C.P - C.Q` with -terse), `ERROR:` and `WARNING:` lines on stderr, and since
// 25.13 a `To monitor your job(s), run: condor_watch_q -clusters C` hint on stderr, which names
// the cluster too (a fallback when the usual line is missing).

export interface SubmittedCluster {
  cluster: number;
  firstProc: number;
  count: number;
}

export interface SubmitOutput {
  clusters: SubmittedCluster[];
  errors: string[];
  warnings: string[];
  /** The `has only empty "queue" commands -- no jobs queued` warning (condor_submit exits 0). */
  noJobs: string | null;
}

export function parseSubmitOutput(stdout: string, stderr: string): SubmitOutput {
  const clusters: SubmittedCluster[] = [];
  for (const m of stdout.matchAll(/^(\d+) job\(s\) submitted to cluster (\d+)\.\s*$/gm)) {
    clusters.push({ cluster: Number(m[2]), firstProc: 0, count: Number(m[1]) });
  }
  for (const m of stdout.matchAll(/^(\d+)\.(\d+) - (\d+)\.(\d+)\s*$/gm)) {
    clusters.push({ cluster: Number(m[1]), firstProc: Number(m[2]), count: Number(m[4]) - Number(m[2]) + 1 });
  }
  if (clusters.length === 0) {
    const watch = /condor_watch_q -clusters (\d+)/.exec(stderr);
    // `Submitting job(s)` prints one dot per proc queued.
    const dots = /^Submitting job\(s\)(\.*)/m.exec(stdout)?.[1]?.length ?? 0;
    if (watch) clusters.push({ cluster: Number(watch[1]), firstProc: 0, count: dots });
  }
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const raw of `${stdout}\n${stderr}`.split('\n')) {
    const line = raw.trim();
    if (/^ERROR\b/.test(line)) errors.push(line);
    else if (/^WARNING\b/i.test(line)) warnings.push(line);
  }
  const noJobs = warnings.find((w) => /no jobs queued/.test(w)) ?? null;
  return { clusters, errors, warnings, noJobs };
}

/** What to do about a condor_submit failure, from its ERROR lines. */
export function submitFailureHint(errors: string[]): string {
  const text = errors.join('\n');
  if (/Can't find address of local schedd|Failed to connect to local queue manager/.test(text)) {
    return 'run `pixi run submit` on the HTCondor access point (where `condor_q` works), or check the schedd is up';
  }
  if (/Failed to commit job submission/.test(text))
    return 'the pool refused the job (its submit requirements): the ERROR line after this one says why';
  if (/Can't open|Can't access executable|has zero length/.test(text))
    return 'a file the submit file names is missing or unreadable: check executable, log, output, error and transfer_input_files';
  if (/not a valid container image|container_image/.test(text))
    return 'the container image reference is wrong: run `pixi run build-image` to record it again';
  if (/on Line \d+|Failed to parse command file/.test(text))
    return 'fix the submit file at the line condor_submit names (`pixi run validate` checks it too)';
  return "read condor_submit's message above; `condor_submit -dry-run - FILE` shows what it reads";
}
