// What to do about a hold: HoldReasonCode (htcondor.md §d.3) first, then the reason text for
// the causes one code covers several of (a GPU the container cannot see is a code 6 too).

export interface HoldHint {
  /** Short name of the cause, e.g. "image pull". */
  cause: string;
  hint: string;
}

const RELEASE = 'then `condor_release <id>` (or `pixi run cancel` and submit again)';
/** Editing the submit file changes only the next submission; the queued job's request needs condor_qedit. */
const RAISE =
  '`pixi run release <id>` raises the request in the queued job (condor_qedit) and releases it (add --memory/--disk SIZE to choose; editing the submit file changes only the next submission)';

const BY_REASON: { pattern: RegExp; hint: HoldHint }[] = [
  {
    pattern:
      /could not select device driver|nvidia-container|no CUDA-capable device|CUDA driver version is insufficient|GPUs? (?:not|unavailable)/i,
    hint: {
      cause: 'GPU not available',
      hint: "the container did not get a usable GPU: keep request_gpus = 1 and the GPUs_DriverVersion requirement matching the environment's CUDA (`pixi run validate` checks it)",
    },
  },
  {
    pattern: /Image Architecture|exec format error/i,
    hint: {
      cause: 'image architecture',
      hint: 'the image was built for another CPU architecture: build for linux/amd64 ([tool.pixi-condor] platform) with `pixi run build-image`',
    },
  },
  {
    pattern: /Cannot pull image|Unable to Launch Container|pull access denied|manifest unknown|unauthorized/i,
    hint: {
      cause: 'image pull',
      hint: 'the execute point could not pull the image: make the package public (or give the pool credentials), check it exists with `docker manifest inspect <image>`, or rebuild with `pixi run build-image`',
    },
  },
  {
    pattern: /out-of-memory|memory limit|MemoryUsage/i,
    hint: {
      cause: 'memory',
      hint: `the job used more memory than it asked for: ${RAISE}`,
    },
  },
  {
    pattern: /Docker engine went away|Cannot inspect exited container/i,
    hint: {
      cause: 'Docker engine lost',
      hint: 'the Docker engine stopped answering while the job ran (not a problem of the image or the job): start it again and check it with `docker info`, then run the proc again',
    },
  },
];

const BY_CODE: Record<number, HoldHint> = {
  1: { cause: 'held by a user', hint: 'someone ran condor_hold: `condor_release <id>` when it should run again' },
  3: {
    cause: 'job policy',
    hint: "the submit file's periodic_hold/on_exit_hold expression held it: read the reason, fix the job or the expression",
  },
  6: {
    cause: 'job start',
    hint: 'the job could not start (executable, container runtime): check `executable` runs in the image, e.g. `docker run --rm <image> <executable>`',
  },
  7: {
    cause: 'output file',
    hint: "the execute point could not open the job's output: check output/error paths and their directories exist and are writable",
  },
  8: {
    cause: 'input file',
    hint: "the job's stdin (input) could not be opened: check the file `input` names exists and is a regular file",
  },
  12: {
    cause: 'output transfer',
    hint: `a file in transfer_output_files was missing or could not be sent back: make the job write it (or drop it from the list), ${RELEASE}`,
  },
  13: {
    cause: 'input transfer',
    hint: `a file in transfer_input_files is missing or unreadable (subcode 2 = no such file): check the paths (\`pixi run prepare-data\` makes MNIST_data.tar.gz), ${RELEASE}`,
  },
  14: {
    cause: 'initialdir',
    hint: 'initialdir is not accessible on the access point: fix the path in the submit file',
  },
  15: { cause: 'submitted on hold', hint: 'the submit file says `hold = true`: `condor_release <id>` to let it run' },
  22: {
    cause: 'log file',
    hint: "the event log could not be written: make sure the log path's folder exists and is writable",
  },
  26: {
    cause: 'pool policy',
    hint: "the pool's policy held the job (e.g. a runtime or resource limit): read the reason, adjust the request (+GPUJobLength, request_*), then submit again",
  },
  27: { cause: 'pool policy', hint: "the pool's policy held the job: read the reason, or ask the pool administrators" },
  32: {
    cause: 'input size',
    hint: "the inputs exceed the pool's transfer limit: shrink transfer_input_files or stage data elsewhere (e.g. OSDF)",
  },
  33: {
    cause: 'output size',
    hint: "the outputs exceed the pool's transfer limit: bring back less (transfer_output_files)",
  },
  34: {
    cause: 'memory or disk',
    hint: `the job outgrew its request (subcode 102 memory, 104 disk): ${RAISE}`,
  },
  35: {
    cause: 'image pull',
    hint: 'the execute point could not pull or start the image: make the package public (or give the pool credentials), check the architecture is linux/amd64, rebuild with `pixi run build-image`',
  },
  36: {
    cause: 'checkpoint upload',
    hint: `the checkpoint files could not be sent back: transfer_checkpoint_files (or transfer_output_files) must name files the job has written inside its sandbox when it exits with checkpoint_exit_code, ${RELEASE}`,
  },
  46: {
    cause: 'job duration',
    hint: "the job ran longer than allowed_job_duration (or the pool's limit): ask for a longer class (+GPUJobLength) or checkpoint",
  },
  47: { cause: 'execute duration', hint: 'the job ran longer than allowed_execute_duration: raise it or checkpoint' },
};

/** `reason (code C, subcode S)`, as HTCondor words a hold. */
export function holdText(reason: string | null, code: number | null, subcode: number | null): string {
  return `${reason ?? 'Reason unspecified'}${code !== null ? ` (code ${code}, subcode ${subcode ?? 0})` : ''}`;
}

/**
 * The hint for a hold; `id` (e.g. `4242.0`) replaces `<id>` in the commands it names. `local`:
 * the job ran with `submit --local`, where no queue holds it (no condor_release, no condor_qedit):
 * every command named is the local one, `resubmit --held CLUSTER --local`, which reads the submit
 * file again (so an edited request_memory applies).
 */
export function holdHint(
  code: number | null,
  subcode: number | null,
  reason: string | null,
  id?: string,
  local?: { cluster: number },
): HoldHint {
  const found = lookUp(code, subcode, reason);
  const hint = local ? localHint(found, local.cluster) : found;
  return id === undefined ? hint : { cause: hint.cause, hint: hint.hint.replaceAll('<id>', id) };
}

function localHint(hint: HoldHint, cluster: number): HoldHint {
  const again = `\`pixi run resubmit --held ${cluster} --local\``;
  if (hint.cause === 'image pull')
    return {
      cause: hint.cause,
      hint: `this machine's Docker engine could not find or pull the image: build it here (\`pixi run build-image\`) or \`docker pull\` it, then ${again}`,
    };
  let text = hint.hint
    .replaceAll(RELEASE, `then ${again}`)
    .replaceAll(
      RAISE,
      `raise request_memory/request_disk in the submit file, then ${again} (it reads the submit file again)`,
    )
    .replace(/`condor_release <id>`(?: when it should run again| to let it run| runs the job again)?/g, again)
    .replace(/; `condor_q -hold <id>` shows it too/g, '');
  if (!text.includes(again)) text = `${text}; then ${again}`;
  return { cause: hint.cause, hint: text };
}

/**
 * Codes that say what failed (condor_holdcodes.h: 12 TransferOutputError, 13 TransferInputError,
 * 32/33 a transfer over its size limit): their reason quotes a transfer's error text, whose
 * words (`401 Unauthorized`, `memory`) are not the cause the patterns below look for.
 */
const CODE_FIRST = new Set([12, 13, 32, 33]);

function lookUp(code: number | null, subcode: number | null, reason: string | null): HoldHint {
  if (code !== null && CODE_FIRST.has(code)) return BY_CODE[code]!;
  // 34/104 says disk, whatever the reason's words (`memory` among them).
  if (code === 34 && subcode === 104)
    return { cause: 'disk', hint: `the job used more disk than it asked for: ${RAISE}` };
  if (reason) for (const entry of BY_REASON) if (entry.pattern.test(reason)) return entry.hint;
  if (code === 34 && subcode === 102) return BY_REASON[3]!.hint;
  if (code !== null && BY_CODE[code]) return BY_CODE[code]!;
  return {
    cause: 'unknown',
    hint: 'read the reason above; `condor_q -hold <id>` shows it too, and `condor_release <id>` runs the job again',
  };
}

/** A job idle this long probably matches no machine. */
export const IDLE_NOTE_AFTER_MS = 15 * 60_000;

export function idleHint(id: string): string {
  return `no machine has started it yet: \`condor_q -better-analyze ${id}\` shows which requirement matches nothing (often request_gpus, gpus_minimum_capability, gpus_minimum_memory or GPUs_DriverVersion)`;
}
