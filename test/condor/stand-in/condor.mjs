// TEST DOUBLE — not HTCondor. Stand-in condor_submit / condor_q / condor_rm for pixi-condor's
// end-to-end tests (HTCondor cannot be installed here). Each prints the real output formats
// of ../shared/reference/htcondor.md byte for byte:
//   condor_submit  `Submitting job(s)` + one `.` per proc, `N job(s) submitted to cluster C.`,
//                  the 25.13+ `To monitor your job(s), run: condor_watch_q -clusters C` on stderr,
//                  or on rejection `ERROR: Failed to commit job submission into the queue.` (§a.1, §a.4)
//   condor_q       `condor_q C -af:j JobStatus` lines `C.P S`; nothing when not queued (§d.1);
//                  `condor_q -constraint 'Attr == "v"' -af A B` one line per queued proc, the
//                  values space-separated (only `==` on a string attribute the submit appended)
//   condor_rm      `All jobs in cluster C have been marked for removal` (§d.4)
//   condor_qedit   `Set attribute "A" for 1 matching jobs.` for `C.P A V` (`... for all matching jobs.`
//                  for a whole cluster); `Failed to set attribute "A" for job C.P.` + `Queue
//                  transaction failed.  No attributes were set.` and exit 1 when the job is not
//                  queued (htcondor/htcondor src/condor_tools/qedit.cpp, the printf after SetAttribute)
//   condor_release `Job C.P released` / `All jobs in cluster C have been released`; `Job C.P not
//                  held to be released` (stderr, exit 1) when it is not held (§d.4)
// After a successful submit it starts a detached "replayer" that writes a fixture event log,
// event by event, into the submit file's log path(s): the fixture's events keep their text,
// only the job id and the date are rewritten (to the new cluster/proc and the current time).
//
// Driven by files in $STANDIN_CONDOR_DIR (the test writes scenario.json):
//   scenario.json  { mode: "ok" | "reject", log: <fixture path>, delayMs, startDelayMs,
//                    procLogs: {"<proc>": <fixture>} (that proc replays another fixture),
//                    outputs: {"<path with $(Cluster)/$(Process)>": "<content, $(Process) too>"}
//                            (written when a proc terminates with return value 0),
//                    progress: true (a `PIXI_CONDOR_PROGRESS {json}` line per event after
//                            001 into the proc's `output =` file, as job/main.py prints per epoch),
//                    untilHold (stop replaying after the first 012: the job stays held),
//                    afterRelease: <fixture> (condor_release writes 013, then replays this
//                            fixture's events after its first 013, else from its first 001),
//                    submitDelayMs (condor_submit takes this long after queueing the job),
//                    submitGate / startGate / endGate: <name> (condor_submit waits after
//                            queueing, the replay before its first event, each proc before
//                            its 005/009, until the file $STANDIN_CONDOR_DIR/<name> exists:
//                            the test opens the gate when it has seen what it waits for, so
//                            a busy machine cannot make the job end before the test looks),
//                    output: "standard" | "monitor-hint-only" | "none" (what it prints then)
//                            | "killed" (queues the job, then dies by SIGTERM printing nothing)
//                            | "killed-before-queue" (dies by SIGTERM before queueing anything) }
//   calls.jsonl    one line per invocation: {tool, argv, cwd}      (written here)
//   next-cluster   the cluster id the next submit gets (default 4242)
//   jobs/<C>.json  {procs, removed, done[]}                         (written here)
//   pids           pids of replayers started (the tests stop them)
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [tool, ...argv] = process.argv.slice(2);
const dir = process.env.STANDIN_CONDOR_DIR;
if (!dir) {
  process.stderr.write(`${tool} (stand-in): STANDIN_CONDOR_DIR is not set\n`);
  process.exit(1);
}
mkdirSync(join(dir, 'jobs'), { recursive: true });
if (tool !== 'replay')
  appendFileSync(
    join(dir, 'calls.jsonl'),
    // condor_submit's environment names: what `getenv` would copy into the job ad.
    JSON.stringify({
      tool,
      argv,
      cwd: process.cwd(),
      ...(tool === 'condor_submit' ? { envNames: Object.keys(process.env).sort() } : {}),
    }) + '\n',
  );
const scenario = existsSync(join(dir, 'scenario.json'))
  ? JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8'))
  : { mode: 'ok' };

const jobFile = (cluster) => join(dir, 'jobs', `${cluster}.json`);
const readJob = (cluster) => (existsSync(jobFile(cluster)) ? JSON.parse(readFileSync(jobFile(cluster), 'utf8')) : null);
// Written whole (a temp file renamed over it): the replayer reads it while condor_rm writes it.
const writeJob = (cluster, job) => {
  const temp = `${jobFile(cluster)}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(job));
  renameSync(temp, jobFile(cluster));
};

function submit() {
  // condor_submit.cpp reads an argument with `=` as a NAME=VALUE define, never as the file.
  const file = argv.find(
    (a, i) => !a.startsWith('-') && !a.includes('=') && !['-append', '-a', '-batch-name'].includes(argv[i - 1] ?? ''),
  );
  if (!file || !existsSync(file)) {
    process.stderr.write(`\nERROR: Failed to open command file (${file}) (No such file or directory)\n`);
    process.exit(1);
  }
  if (scenario.mode === 'reject') {
    process.stdout.write('Submitting job(s).\n');
    process.stderr.write(
      'ERROR: Failed to commit job submission into the queue.\nERROR: This pool does not accept standard universe jobs.\n',
    );
    process.exit(1);
  }
  // Just enough of the submit language for the test files: `log =` and the last `queue [N]`.
  const text = readFileSync(file, 'utf8');
  const log = [...text.matchAll(/^\s*log\s*=\s*(.+?)\s*$/gim)].pop()?.[1];
  const queue = [...text.matchAll(/^\s*queue(?:\s+(\d+))?\s*$/gim)].pop();
  // `queue v1, v2 from FILE`: one proc per non-blank, non-comment line of the table.
  // Its name may be a macro the command line defines (`TABLE=sweep.csv`, `queue … from $(TABLE)`).
  const defines = Object.fromEntries(
    argv.filter((a) => /^\w+=/.test(a)).map((a) => [a.split('=')[0], a.slice(a.indexOf('=') + 1)]),
  );
  const table = /^\s*queue\s+[\w\s,]+\s+from\s+(\S+)\s*$/im
    .exec(text)?.[1]
    ?.replace(/\$\((\w+)\)/g, (whole, name) => defines[name] ?? whole);
  const count = table
    ? readFileSync(table, 'utf8')
        .split(/\r?\n/)
        .filter((l) => l.trim() !== '' && !l.trim().startsWith('#')).length
    : queue
      ? Number(queue[1] ?? 1)
      : 1;
  const outputPath = [...text.matchAll(/^\s*output\s*=\s*(.+?)\s*$/gim)].pop()?.[1];
  const clusterFile = join(dir, 'next-cluster');
  const cluster = existsSync(clusterFile) ? Number(readFileSync(clusterFile, 'utf8')) : 4242;
  writeFileSync(clusterFile, String(cluster + 1));
  const logs = Array.from({ length: count }, (_, proc) =>
    log
      ? resolve(
          log.replace(/\$\((Cluster|ClusterId)\)/gi, String(cluster)).replace(/\$\((Process|ProcId)\)/gi, String(proc)),
        )
      : null,
  );
  const outputs = ([...text.matchAll(/^\s*transfer_output_files\s*=\s*(.+?)\s*$/gim)].pop()?.[1] ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  if (scenario.output === 'killed-before-queue') dieBySignal();
  // `-append '+Attr = "value"'` lines become job attributes condor_q -constraint can match.
  const attributes = {};
  for (const [i, a] of argv.entries()) {
    const m = ['-append', '-a'].includes(a) ? /^\s*(?:\+|MY\.)(\w+)\s*=\s*"(.*)"\s*$/i.exec(argv[i + 1] ?? '') : null;
    if (m) attributes[m[1]] = m[2];
  }
  writeJob(cluster, {
    procs: count,
    removed: false,
    done: [],
    outs: Array.from({ length: count }, (_, proc) =>
      outputPath ? resolve(expandId(outputPath, cluster, proc)) : null,
    ),
    cwd: process.cwd(),
    logs,
    outputs: outputs.map((f) => resolve(f)),
    attributes,
  });
  if (scenario.submitDelayMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, scenario.submitDelayMs);
  if (scenario.submitGate) {
    const until = Date.now() + GATE_LIMIT_MS;
    while (!existsSync(join(dir, scenario.submitGate)) && Date.now() < until)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  const output = scenario.output ?? 'standard';
  if (output === 'killed') {
    startReplay(cluster, log);
    dieBySignal();
  }
  if (output !== 'none') process.stdout.write(`Submitting job(s)${'.'.repeat(count)}\n`);
  if (output === 'standard') process.stdout.write(`${count} job(s) submitted to cluster ${cluster}.\n`);
  if (output !== 'none') process.stderr.write(`To monitor your job(s), run: condor_watch_q -clusters ${cluster}\n`);
  startReplay(cluster, log);
}

function dieBySignal() {
  process.kill(process.pid, 'SIGTERM');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
}

function startReplay(cluster, log) {
  if (!scenario.log || !log) return;
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'replay', String(cluster)], {
    detached: true,
    stdio: 'ignore',
    env: process.env,
  });
  appendFileSync(join(dir, 'pids'), `${child.pid}\n`);
  child.unref();
}

/** The fixture's events for its first job id, as texts without the `...` line. */
function fixtureEvents(path) {
  const text = readFileSync(path, 'utf8');
  const events = text
    .split(/^\.\.\.\r?\n?/m)
    .map((e) => e.replace(/^\s+/, ''))
    .filter((e) => /^\d{3} \(/.test(e));
  const first = /^\d{3} \(([-\d.]+)\)/.exec(events[0])[1];
  return events.filter((e) => e.startsWith(`${e.slice(0, 3)} (${first})`));
}

function now() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function expandId(template, cluster, proc) {
  return template
    .replace(/\$\((Cluster|ClusterId)\)/gi, String(cluster))
    .replace(/\$\((Process|ProcId)\)/gi, String(proc));
}

function header(code, cluster, proc) {
  const pad = (n) => String(n).padStart(3, '0');
  return `${code} (${pad(cluster)}.${pad(proc)}.000) ${now()} `;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A gate the test never opens (it failed first) must not keep a replayer alive for ever. */
const GATE_LIMIT_MS = 10 * 60_000;

/** Wait until the test opens gate `name` (creates the file), or the job is removed. */
async function gate(name, cluster) {
  const until = Date.now() + GATE_LIMIT_MS;
  while (!existsSync(join(dir, name)) && !readJob(cluster)?.removed && Date.now() < until) await sleep(20);
}

async function replay(cluster, only = null) {
  const job = readJob(cluster);
  const eventsOf = (proc) => {
    let events = fixtureEvents(only === null ? (scenario.procLogs?.[proc] ?? scenario.log) : scenario.afterRelease);
    if (only !== null) {
      // After a release: what the job did next in the fixture.
      const released = events.findIndex((e) => e.startsWith('013'));
      events = events.slice(
        released >= 0
          ? released + 1
          : Math.max(
              0,
              events.findIndex((e) => e.startsWith('001')),
            ),
      );
    } else if (scenario.untilHold) {
      const hold = events.findIndex((e) => e.startsWith('012'));
      if (hold >= 0) events = events.slice(0, hold + 1);
    }
    return events;
  };
  const perProc = Array.from({ length: job.procs }, (_, proc) => eventsOf(proc));
  const events = perProc[only ?? 0];
  const length = Math.max(...perProc.map((e) => e.length));
  await sleep(only === null ? (scenario.startDelayMs ?? 0) : 0);
  if (only === null && scenario.startGate) await gate(scenario.startGate, cluster);
  for (let i = 0; i < length; i++) {
    for (let proc = 0; proc < job.procs; proc++) {
      if (only !== null && proc !== only) continue;
      if (i >= perProc[proc].length) continue;
      if (scenario.endGate && /^00[59]/.test(perProc[proc][i])) await gate(scenario.endGate, cluster);
      if (readJob(cluster).removed) {
        // condor_rm: the schedd writes the abort event (≥ 8.9.4 text).
        for (let p = 0; p < job.procs; p++)
          appendFileSync(
            job.logs[p],
            `${header('009', cluster, p)}Job was aborted.\n\tvia condor_rm (by user tester)\n...\n`,
          );
        writeJob(cluster, { ...readJob(cluster), done: [...Array(job.procs).keys()] });
        return;
      }
      const event = perProc[proc][i];
      const body = event.replace(/^(\d{3}) \([-\d.]+\) \S+ \S+ /, '');
      mkdirSync(dirname(job.logs[proc]), { recursive: true });
      // Output files arrive before the terminate event is written (as HTCondor transfers them).
      if (event.startsWith('005') && /return value 0\)/.test(event)) {
        for (const file of job.outputs) writeFileSync(file, `stand-in output of ${cluster}.${proc}\n`);
        for (const [template, content] of Object.entries(scenario.outputs ?? {})) {
          const path = resolve(job.cwd, expandId(template, cluster, proc));
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, expandId(content, cluster, proc));
        }
      }
      // Streamed stdout: a progress line per event once the job runs.
      const out = job.outs?.[proc];
      const started = perProc[proc].findIndex((e) => e.startsWith('001'));
      if (scenario.progress && out && started >= 0 && i > started && !/^00[59]/.test(event)) {
        mkdirSync(dirname(out), { recursive: true });
        const epoch = i - started;
        const line = { epoch, epochs: 20, loss: 1 / (epoch + 1), accuracy: 0.9 + epoch / 1000, images_per_s: 1500 };
        appendFileSync(out, `epoch ${epoch} done\nPIXI_CONDOR_PROGRESS ${JSON.stringify(line)}\n`);
      }
      appendFileSync(
        job.logs[proc],
        `${header(event.slice(0, 3), cluster, proc)}${body.endsWith('\n') ? body : body + '\n'}...\n`,
      );
    }
    await sleep(scenario.delayMs ?? 100);
  }
  // The job leaves the queue only when it ended (005 or 009); a held job stays.
  const last = events[events.length - 1] ?? '';
  const procs = only === null ? [...Array(job.procs).keys()] : [only];
  const now = readJob(cluster);
  if (/^00[59]/.test(last)) writeJob(cluster, { ...now, done: [...new Set([...now.done, ...procs])] });
  else if (last.startsWith('012')) writeJob(cluster, { ...now, held: [...new Set([...(now.held ?? []), ...procs])] });
}

/** `C.P` or `C` → the procs of a queued job it names; null when none is queued. */
function queuedProcs(id) {
  const [cluster, proc] = id.split('.').map(Number);
  const job = readJob(cluster);
  if (!job) return null;
  const procs = proc === undefined || Number.isNaN(proc) ? [...Array(job.procs).keys()] : [proc];
  const queued = procs.filter((p) => p < job.procs && !job.done.includes(p));
  return queued.length > 0 ? { cluster, job, procs: queued, whole: proc === undefined } : null;
}

function qedit() {
  const [id, attr, value] = argv;
  const found = queuedProcs(id);
  if (!found) {
    process.stderr.write(
      `Failed to set attribute "${attr}" for job ${id}.\nQueue transaction failed.  No attributes were set.\n`,
    );
    process.exit(1);
  }
  const edits = found.job.edits ?? {};
  for (const p of found.procs) edits[p] = { ...(edits[p] ?? {}), [attr]: value };
  writeJob(found.cluster, { ...found.job, edits });
  process.stdout.write(`Set attribute "${attr}" for ${found.whole ? 'all' : found.procs.length} matching jobs.\n`);
}

function release() {
  const id = argv[0];
  const found = queuedProcs(id);
  const held = found ? found.procs.filter((p) => (found.job.held ?? []).includes(p)) : [];
  if (!found || held.length === 0) {
    process.stderr.write(found ? `Job ${id} not held to be released\n` : `Job ${id} not found\n`);
    process.exit(1);
  }
  writeJob(found.cluster, { ...found.job, held: (found.job.held ?? []).filter((p) => !held.includes(p)) });
  for (const p of held)
    appendFileSync(
      found.job.logs[p],
      `${header('013', found.cluster, p)}Job was released.\n\tvia condor_release (by user tester)\n...\n`,
    );
  process.stdout.write(
    found.whole ? `All jobs in cluster ${found.cluster} have been released\n` : `Job ${id} released\n`,
  );
  if (!scenario.afterRelease) return;
  for (const p of held) {
    const child = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), 'replay', String(found.cluster), String(p)],
      {
        detached: true,
        stdio: 'ignore',
        env: process.env,
      },
    );
    appendFileSync(join(dir, 'pids'), `${child.pid}\n`);
    child.unref();
  }
}

function queueStatus() {
  const constraint = argv[argv.indexOf('-constraint') + 1];
  if (argv.includes('-constraint')) return queueByConstraint(constraint);
  const cluster = Number(argv[0]);
  const job = readJob(cluster);
  if (!job || job.done.length === job.procs) return; // not in the queue: empty output
  for (let proc = 0; proc < job.procs; proc++)
    if (!job.done.includes(proc)) process.stdout.write(`${cluster}.${proc} ${job.removed ? 3 : 1}\n`);
}

function queueByConstraint(constraint) {
  const m = /^\s*(\w+)\s*==\s*"(.*)"\s*$/.exec(constraint ?? '');
  const af = argv.indexOf('-af');
  if (!m || af < 0) {
    process.stderr.write(`condor_q (stand-in): only -constraint 'Attr == "value"' -af ATTRS is modelled\n`);
    process.exit(1);
  }
  const attrs = argv.slice(af + 1);
  for (const name of readdirSync(join(dir, 'jobs'))
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const cluster = Number(name.replace('.json', ''));
    const job = readJob(cluster);
    if (job.attributes?.[m[1]] !== m[2]) continue;
    for (let proc = 0; proc < job.procs; proc++) {
      if (job.done.includes(proc)) continue;
      const values = { ClusterId: cluster, ProcId: proc, JobStatus: job.removed ? 3 : 1 };
      process.stdout.write(attrs.map((a) => values[a] ?? 'undefined').join(' ') + '\n');
    }
  }
}

function remove() {
  const cluster = Number(argv[0]);
  const job = readJob(cluster);
  if (!job || job.done.length === job.procs) {
    process.stderr.write(`Couldn't find/remove all jobs in cluster ${cluster}\n`);
    process.exit(1);
  }
  writeJob(cluster, { ...job, removed: true });
  process.stdout.write(`All jobs in cluster ${cluster} have been marked for removal\n`);
}

if (tool === 'condor_submit') submit();
else if (tool === 'condor_q') queueStatus();
else if (tool === 'condor_rm') remove();
else if (tool === 'condor_qedit') qedit();
else if (tool === 'condor_release') release();
else if (tool === 'replay') await replay(Number(argv[0]), argv[1] === undefined ? null : Number(argv[1]));
else {
  process.stderr.write(`stand-in: unknown tool ${tool}\n`);
  process.exit(1);
}
