// Printing a ValidationReport: for people, findings grouped by file with the source line and a
// caret under the column; for programs, the report as JSON. Colour only where term.ts allows.
import { readBoundedText } from '../bounded-read.ts';
import { MAX_LOCK_BYTES } from './lock-check.ts';
import { resolve } from 'node:path';
import type { Palette } from '../term.ts';
import { ENV_FILE } from './env-file.ts';
import type { Finding, ValidationReport } from './types.ts';

/** Files whose lines are never shown: their values are secrets (the finding names the key and line). */
const SECRET_FILES = new Set([ENV_FILE]);

export function reportJson(report: ValidationReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

export interface HumanOptions {
  /** Where relative file names are read from, to show the source line. */
  root: string;
  paint: Palette;
  /** Files already in memory (the manifest), by the name findings use. */
  sources?: Map<string, string>;
}

export function reportHuman(report: ValidationReport, options: HumanOptions): string {
  const { paint } = options;
  const out: string[] = [];
  const all = [
    ...report.errors.map((f) => ({ ...f, severity: 'error' as const })),
    ...report.warnings.map((f) => ({ ...f, severity: 'warning' as const })),
  ].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column);
  const lineCache = new Map<string, string[] | null>();
  const sourceLines = (file: string): string[] | null => {
    if (!lineCache.has(file)) {
      let text = options.sources?.get(file) ?? null;
      if (text === null) {
        try {
          // Through the one bounded reader: the file a finding names may be anything by now.
          text = readBoundedText(resolve(options.root, file), MAX_LOCK_BYTES); // the largest file validate reads
        } catch {
          text = null;
        }
      }
      lineCache.set(file, text === null ? null : text.split(/\r?\n/));
    }
    return lineCache.get(file)!;
  };

  let currentFile: string | null = null;
  for (const finding of all) {
    if (finding.file !== currentFile) {
      if (currentFile !== null) out.push('');
      out.push(paint.bold(finding.file));
      currentFile = finding.file;
    }
    const label = finding.severity === 'error' ? paint.red('error') : paint.yellow('warning');
    const where = finding.line > 0 ? `${finding.line}:${finding.column}` : '-';
    out.push(`  ${where.padEnd(7)} ${label} ${finding.message}  ${paint.dim(`[${finding.rule}]`)}`);
    const lines = finding.line > 0 && !SECRET_FILES.has(finding.file) ? sourceLines(finding.file) : null;
    const source = lines?.[finding.line - 1];
    if (source !== undefined) out.push(...codeFrame(source, finding, paint));
    if (finding.hint) out.push(`          ${paint.cyan('hint:')} ${finding.hint}`);
  }
  if (all.length > 0) out.push('');
  for (const skipped of report.skipped) out.push(paint.dim(`skipped ${skipped.rule}: ${skipped.reason}`));
  const counts = `${report.errors.length} error${report.errors.length === 1 ? '' : 's'}, ${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'}`;
  out.push(report.ok ? paint.green(`valid (${counts})`) : paint.red(`invalid (${counts})`));
  return out.join('\n') + '\n';
}

/** U+2400..U+241F (␀, ␛, ...) for C0 controls, ␡ for DEL, and � for C1 controls. */
function controlPicture(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x20 ? String.fromCharCode(0x2400 + code) : code === 0x7f ? '\u2421' : '\ufffd';
}

function codeFrame(source: string, finding: Finding, paint: Palette): string[] {
  // Tabs would shift the caret; long lines are cut around the column. Control characters (an
  // ESC in a hostile file) never reach the terminal raw: each shows as its one-column picture.
  const line = source.replace(/\t/g, ' ').replace(/[\x00-\x1f\x7f-\x9f]/g, controlPicture);
  const column = Math.max(1, finding.column);
  const start = column > 80 ? column - 40 : 0;
  const shown = line.slice(start, start + 120);
  const gutter = String(finding.line).padStart(5);
  return [
    `  ${paint.dim(gutter + ' |')} ${shown}`,
    `  ${paint.dim(' '.repeat(5) + ' |')} ${' '.repeat(column - 1 - start)}${paint.red('^')}`,
  ];
}
