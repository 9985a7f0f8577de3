// GPUs this machine can give a local job: the UUIDs nvidia-smi lists (none when it is absent or
// fails). UUIDs, not indices, name them to docker and in CUDA_VISIBLE_DEVICES, as HTCondor does,
// because a container renumbers the devices it sees from 0.
import type { Shell } from '../shell.ts';

export async function visibleGpus(shell: Shell): Promise<string[]> {
  const result = await shell
    .run(['nvidia-smi', '--query-gpu=uuid', '--format=csv,noheader'], {
      readOnly: true,
      nothrow: true,
      timeoutMs: 20_000,
    })
    .catch(() => null);
  if (result?.exitCode !== 0) return [];
  return result.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^GPU-/.test(l));
}
