// The tracker's render stage: one renderer per way of showing a job, chosen once.
//   snapshot  --once: the table as it is now, whole (no cursor moves)
//   block     a terminal: a block redrawn in place when something changed, or each second
//   lines     logs and pipes: one line per change, per note said, per new progress line
import type { Palette } from '../term.ts';
import type { JobState, JobTable, StateChange } from './job-state.ts';
import { BlockWriter, describeChange, renderView, rowExtras } from './live-view.ts';

export interface TrackView {
  write: (text: string) => void;
  tty: boolean;
  width: number;
  height: number;
  paint: Palette;
}

/** A line said once as it happens (a log appearing late, the queue's answer, an unreadable record). */
export interface Said {
  text: string;
  /** Said in a --once snapshot too (the queue's answer), not only while following. */
  inSnapshot: boolean;
}

export interface Frame {
  table: JobTable;
  now: number;
  /** Lines under the title. */
  notes: string[];
  said: Said[];
  /** State changes read since the last frame (kept only for the lines renderer). */
  changes: StateChange[];
  /** Running procs whose progress line changed. */
  progressed: JobState[];
}

export interface Renderer {
  frame(frame: Frame): void;
  /** Every log is read again from its start. */
  restarted(now: number): void;
  /** Leave what was drawn; later output goes below it. */
  release(): void;
}

export type ViewMode = 'none' | 'snapshot' | 'block' | 'lines';

export function viewMode(view: TrackView | null, once: boolean): ViewMode {
  if (!view) return 'none';
  if (once) return 'snapshot';
  return view.tty ? 'block' : 'lines';
}

export interface RenderSettings {
  title: string;
  procVars: Map<number, Record<string, string> | null>;
  /** A `submit --local` job: hold hints name the local commands. */
  local?: { cluster: number };
}

function clockNow(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

const RENDERERS: Record<ViewMode, (view: TrackView, settings: RenderSettings) => Renderer> = {
  none: () => ({ frame: () => {}, restarted: () => {}, release: () => {} }),

  snapshot: (view, settings) => ({
    frame: ({ table, now, notes, said }) => {
      for (const line of said) if (line.inSnapshot) view.write(`${line.text}\n`);
      // A snapshot: the current table, not the history of changes.
      // Written a thousand rows at a time as they are made (renderView's sink).
      const sink = (lines: string[]): void => {
        if (lines.length > 0) view.write(`${lines.join('\n')}\n`);
      };
      sink(
        renderView(table, { ...settings, now, width: view.width, height: Infinity, paint: view.paint, notes, sink }),
      );
    },
    restarted: (now) => view.write(`${clockNow(now)} a log was truncated or replaced; read it again from the start\n`),
    release: () => {},
  }),

  block: (view, settings) => {
    const block = new BlockWriter(view.write);
    let lastDraw = Number.NEGATIVE_INFINITY;
    let lastTable: JobTable | null = null;
    let lastEvents = -1;
    let lastNotes = '';
    return {
      frame: ({ table, now, notes, progressed }) => {
        // Drawn from the table's counts and groups (renderView), when anything moved or a second passed.
        const moved =
          table !== lastTable || table.events !== lastEvents || progressed.length > 0 || notes.join('\n') !== lastNotes;
        if (!moved && now - lastDraw < 1000) return;
        block.draw(
          renderView(table, { ...settings, now, width: view.width, height: view.height, paint: view.paint, notes }),
        );
        lastDraw = now;
        lastTable = table;
        lastEvents = table.events;
        lastNotes = notes.join('\n');
      },
      restarted: () => {},
      release: () => block.release(),
    };
  },

  lines: (view, settings) => ({
    frame: ({ now, said, changes, progressed }) => {
      for (const line of said) view.write(`${line.text}\n`);
      // In logs and pipes, each new progress line is a line of ours too.
      for (const job of progressed)
        view.write(`${clockNow(now)} ${job.id} ${rowExtras(job, settings.procVars.get(job.proc) ?? null)}\n`);
      for (const change of changes)
        for (const line of describeChange(change, view.paint, settings.local)) view.write(`${line}\n`);
    },
    restarted: (now) => view.write(`${clockNow(now)} a log was truncated or replaced; read it again from the start\n`),
    release: () => {},
  }),
};

export function makeRenderer(view: TrackView | null, mode: ViewMode, settings: RenderSettings): Renderer {
  return view ? RENDERERS[mode](view, settings) : RENDERERS.none(view as never, settings);
}
