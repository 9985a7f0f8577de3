// Mutation test: break every real manifest in each of the ways users do, and require that
// validate reports each mistake with the right rule on the right line.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateManifestSource } from '../../scripts/lib/validate/index.ts';
import { admitsBelow } from '../../scripts/lib/validate/manifest-model.ts';
import { hasShared, repoRoot, sharedFixtures, testFixtures } from '../helpers/paths.ts';

interface Mutant {
  text: string;
  rule: string;
  /** The line the finding must be on: the first line containing this marker. */
  marker: string;
  /** The rule is a warning: pixi loads the manifest and fails only when a task runs. */
  warning?: boolean;
}

const appendTable = (text: string, table: string) => `${text.replace(/\n*$/, '\n')}\n${table}\n`;

/** Insert `line` right after the first header matching `header`, or append the table if absent. */
function insertInto(text: string, header: string, line: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.trim() === header);
  if (at < 0) return appendTable(text, `${header}\n${line}`);
  lines.splice(at + 1, 0, line);
  return lines.join('\n');
}

/** The lines of the [workspace] (or [project]) table. */
function workspaceRange(lines: string[]): [number, number] {
  const start = lines.findIndex((l) => /^\[(workspace|project)\]\s*(#.*)?$/.test(l.trim()));
  let end = start + 1;
  while (end < lines.length && !/^\s*\[/.test(lines[end]!)) end++;
  return [start, end];
}

const MUTATIONS: Record<string, (text: string) => Mutant | null> = {
  'unknown top-level key': (text) => ({
    text: appendTable(text, '[foobar]\nmutant = 1'),
    rule: 'schema/unknown-key',
    marker: '[foobar]',
  }),
  'typo in a task field': (text) => {
    const lines = text.split('\n');
    const at = lines.findIndex((l) => /(^|[{,]\s*)cmd\s*=/.test(l));
    if (at < 0)
      return {
        text: appendTable(text, '[tasks.mutant-typo]\ncmdd = "echo"'),
        rule: 'schema/unknown-key',
        marker: 'cmdd =',
      };
    lines[at] = lines[at]!.replace(/(^|[{,]\s*)cmd(\s*=)/, '$1cmnd$2');
    return { text: lines.join('\n'), rule: 'schema/unknown-key', marker: lines[at]! };
  },
  'bad platform': (text) => {
    const lines = text.split('\n');
    const [start, end] = workspaceRange(lines);
    for (let i = start; i < end; i++) {
      const match = /"(linux-64|linux-aarch64|osx-arm64|osx-64|win-64)"/.exec(lines[i]!);
      if (match && /platforms|^\s*"|^\s*\{/.test(lines[i]!)) {
        lines[i] = lines[i]!.replace(match[0], '"linux-65"');
        return { text: lines.join('\n'), rule: 'manifest/unknown-platform', marker: lines[i]! };
      }
    }
    return null;
  },
  'undefined feature': (text) => ({
    text: appendTable(text, '[environments.mutant-env]\nfeatures = ["no-such-feature"]'),
    rule: 'manifest/undefined-feature',
    marker: 'features = ["no-such-feature"]',
  }),
  'missing depends-on target': (text) => ({
    text: appendTable(text, '[tasks.mutant-dep]\ncmd = "echo"\ndepends-on = ["no-such-task"]'),
    rule: 'manifest/missing-task',
    marker: 'depends-on = ["no-such-task"]',
    warning: true,
  }),
  'empty dependency spec': (text) => ({
    text: insertInto(text, '[dependencies]', 'mutant-empty = ""'),
    rule: 'schema/empty-value',
    marker: 'mutant-empty = ""',
  }),
  'wrong type': (text) => ({
    text: insertInto(text, '[dependencies]', 'mutant-int = 3'),
    rule: 'schema/type',
    marker: 'mutant-int = 3',
  }),
  'CUDA mismatch': (text) => ({
    text: appendTable(
      text,
      '[feature.mutant-cuda.system-requirements]\ncuda = "11.8"\n\n[feature.mutant-cuda.dependencies]\ncuda-version = "14.2.*"\n\n[environments.mutant-cuda]\nfeatures = ["mutant-cuda"]',
    ),
    rule: 'cuda/pin-mismatch',
    marker: 'cuda-version = "14.2.*"',
  }),
  'TOML syntax error': (text) => ({
    text: appendTable(text, '[mutant-syntax]\nbroken = = 1'),
    rule: 'toml/syntax',
    marker: 'broken = = 1',
  }),
  'bad environment name': (text) => ({
    text: appendTable(text, '[environments.Mutant_Env]\nfeatures = []'),
    rule: 'manifest/environment-name',
    marker: '[environments.Mutant_Env]',
  }),
  'bad task name': (text) => ({
    text: appendTable(text, '[tasks."mutant task"]\ncmd = "echo"'),
    rule: 'manifest/task-name',
    marker: '[tasks."mutant task"]',
    warning: true,
  }),
  'task cycle': (text) => ({
    text: appendTable(
      text,
      '[tasks.mutant-a]\ncmd = "echo"\ndepends-on = ["mutant-b"]\n\n[tasks.mutant-b]\ncmd = "echo"\ndepends-on = ["mutant-a"]',
    ),
    rule: 'manifest/task-cycle',
    marker: 'depends-on = ["mutant-a"]',
    warning: true,
  }),
  'undeclared task argument': (text) => ({
    text: appendTable(text, '[tasks.mutant-arg]\ncmd = "echo {{ who }}"'),
    rule: 'manifest/undeclared-task-arg',
    marker: 'cmd = "echo {{ who }}"',
    warning: true,
  }),
  'unknown [tool.pixi-condor] key': (text) => ({
    text: insertInto(text, '[tool.pixi-condor]', 'repo = "ghcr.io/x/y"'),
    rule: 'schema/unknown-key',
    marker: 'repo = "ghcr.io/x/y"',
  }),
  // pixi >= 0.71 loads it with a warning (the selector matches no platform); older pixi refuses it.
  'unknown target platform': (text) => {
    const requires = /^\s*requires-pixi\s*=\s*"([^"]*)"/m.exec(text)?.[1];
    const old = requires !== undefined && admitsBelow(requires, '0.71');
    return {
      text: appendTable(text, '[target.linux-65.dependencies]\nmutant = "*"'),
      rule: old ? 'manifest/unknown-platform' : 'manifest/target-no-platform',
      marker: '[target.linux-65.dependencies]',
      warning: !old,
    };
  },
  'wrong type for channels': (text) => {
    const lines = text.split('\n');
    const [start, end] = workspaceRange(lines);
    for (let i = start; i < end; i++) {
      if (/^\s*channels\s*=\s*\[.*\]\s*(#.*)?$/.test(lines[i]!)) {
        lines[i] = 'channels = "conda-forge"';
        return { text: lines.join('\n'), rule: 'schema/type', marker: 'channels = "conda-forge"' };
      }
    }
    return null;
  },
};

function manifests(): { name: string; text: string }[] {
  const list = [{ name: 'template pixi.toml', text: readFileSync(join(repoRoot, 'pixi.toml'), 'utf8') }];
  const local = join(testFixtures, 'validate', 'manifests');
  for (const f of readdirSync(local)) list.push({ name: `fixtures/${f}`, text: readFileSync(join(local, f), 'utf8') });
  if (hasShared) {
    const shared = join(sharedFixtures, 'pixi', 'manifests');
    for (const f of readdirSync(shared).filter((f) => f.endsWith('.toml')))
      list.push({ name: `shared/${f}`, text: readFileSync(join(shared, f), 'utf8') });
    const locks = join(sharedFixtures, 'pixi', 'locks');
    for (const d of readdirSync(locks))
      if (existsSync(join(locks, d, 'pixi.toml')))
        list.push({ name: `shared/locks/${d}`, text: readFileSync(join(locks, d, 'pixi.toml'), 'utf8') });
  } else {
    console.log('mutations: ../shared/fixtures is absent; mutating the template and the copied fixtures only');
  }
  return list;
}

test('at least 12 kinds of mistake', () => {
  assert.ok(Object.keys(MUTATIONS).length >= 12);
});

test('every kind of mistake is detected in every manifest, with the right rule and line', async () => {
  const failures: string[] = [];
  let applied = 0;
  for (const manifest of manifests()) {
    const before = await validateManifestSource(manifest.text);
    const beforeRules = new Set(before.errors.map((e) => `${e.rule}@${e.line}`));
    for (const [kind, mutate] of Object.entries(MUTATIONS)) {
      const mutant = mutate(manifest.text);
      if (!mutant) continue;
      applied++;
      const expectedLine = mutant.text.split('\n').findIndex((l) => l.includes(mutant.marker)) + 1;
      const report = await validateManifestSource(mutant.text);
      // pixi loads a manifest with these and fails (or misorders) only at `pixi run`: warnings.
      const hit = (mutant.warning ? report.warnings : report.errors).find(
        (e) => e.rule === mutant.rule && e.line === expectedLine && !beforeRules.has(`${e.rule}@${e.line}`),
      );
      if (!hit) {
        failures.push(
          `${manifest.name} / ${kind}: expected ${mutant.rule} on line ${expectedLine}, got ${JSON.stringify(report.errors.map((e) => `${e.rule}@${e.line}`))}`,
        );
      }
    }
  }
  assert.ok(applied >= 12 * 5, `only ${applied} mutations applied`);
  assert.equal(failures, []);
});

test.run();
