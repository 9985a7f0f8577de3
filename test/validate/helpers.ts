// Shared by the validate tests: a throwaway copy of the template workspace to break on purpose,
// and short ways to look at a report.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding, ValidationReport } from '../../scripts/lib/validate/index.ts';
import { repoRoot } from '../helpers/paths.ts';
import { runScript, type RunOptions, type RunResult } from '../helpers/process.ts';

const TEMPLATE_FILES = ['pixi.toml', 'pixi.lock', 'Dockerfile', 'mnist_gpu_docker.sub', 'job', '.env.example'];

export interface TempWorkspace {
  root: string;
  read(file: string): string;
  write(file: string, text: string): void;
  /** Replace `from` (must occur) with `to` in `file`. */
  edit(file: string, from: string | RegExp, to: string): void;
  remove(): void;
}

export function tempWorkspace(): TempWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'pixi-condor-validate-'));
  for (const file of TEMPLATE_FILES) cpSync(join(repoRoot, file), join(root, file), { recursive: true });
  const read = (file: string) => readFileSync(join(root, file), 'utf8');
  const write = (file: string, text: string) => writeFileSync(join(root, file), text);
  return {
    root,
    read,
    write,
    edit(file, from, to) {
      const text = read(file);
      const next = text.replace(from, to);
      if (next === text) throw new Error(`edit: ${String(from)} not found in ${file}`);
      write(file, next);
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

export function findings(report: ValidationReport): Finding[] {
  return [...report.errors, ...report.warnings];
}

export function byRule(report: ValidationReport, rule: string): Finding[] {
  return findings(report).filter((f) => f.rule === rule);
}

/** 1-based line of the first line containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`lineOf: ${needle} not found`);
  return index + 1;
}

export function summary(report: ValidationReport): string {
  return findings(report)
    .map((f) => `${f.rule}@${f.file}:${f.line}:${f.column} ${f.message}`)
    .join('\n');
}

/** Run the validate task (`node scripts/run.mjs validate`, as pixi does) from any folder. */
export function runValidate(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runScript('validate.ts', args, { timeoutMs: 30_000, ...options });
}
