// A small trend of a running proc's loss beside its last epoch in the live view: `▇▅▃▂▁`, the
// last few epochs' losses scaled between their own lowest and highest. The drawing is a pure
// function of the losses; the live view only ever sees each proc's newest progress line, so the
// losses are gathered here as new lines arrive (one short list per proc, dropped with the proc).
import type { JobState } from './job-state.ts';

const BLOCKS = '▁▂▃▄▅▆▇█';
/** Epochs the trend shows. */
const TREND_LENGTH = 8;

/** `▇▅▃▂▁`: one block per value, lowest ▁ to highest █; a gap for a value that is not finite. */
export function lossTrend(losses: readonly (number | null)[], length = TREND_LENGTH): string {
  const shown = losses.slice(-length);
  const finite = shown.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length < 2) return '';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return shown
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      const f = hi === lo ? 0.5 : (v - lo) / (hi - lo);
      return BLOCKS[Math.round(f * (BLOCKS.length - 1))];
    })
    .join('');
}

/** The losses so far with one more progress line (unchanged when it is the same line again). */
export function withProgress(
  seen: { last: unknown; losses: (number | null)[] } | undefined,
  progress: Record<string, unknown>,
): { last: unknown; losses: (number | null)[] } {
  if (seen && seen.last === progress) return seen;
  const loss = typeof progress.loss === 'number' ? progress.loss : null;
  return { last: progress, losses: [...(seen?.losses ?? []), loss].slice(-TREND_LENGTH) };
}

const history = new WeakMap<JobState, { last: unknown; losses: (number | null)[] }>();

/** ` ▇▅▃▂▁` for a running proc with two or more losses seen, else ''. */
export function trendOf(job: JobState): string {
  if (!job.progress) return '';
  const seen = withProgress(history.get(job), job.progress);
  history.set(job, seen);
  const trend = lossTrend(seen.losses);
  return trend ? ` ${trend}` : '';
}
