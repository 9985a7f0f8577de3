// pixi run validate [--manifest PATH] [--json]: check pixi.toml, pixi.lock, the Dockerfile,
// the submit file and .env before anything slow (a docker build, a queue wait) finds out.
import { parseOrHelp, booleanOption, stringOption, type CommandSpec } from './lib/cli.ts';
import { runMain } from './lib/main.ts';
import { stdoutPalette } from './lib/term.ts';
import { findWorkspaceRoot } from './lib/workspace.ts';
import { validateWorkspace } from './lib/validate/index.ts';
import { reportHuman, reportJson } from './lib/validate/report.ts';

const spec: CommandSpec = {
  usage: 'pixi run validate [--manifest PATH] [--json]',
  summary:
    "Validate the workspace: pixi.toml against the schema and pixi's rules, and its agreement with pixi.lock, the Dockerfile, the submit file and .env.",
  options: {
    manifest: {
      type: 'string',
      value: 'PATH',
      description: 'validate this manifest alone (checks that need other files are skipped)',
    },
    json: { type: 'boolean', description: 'print {ok, errors, warnings, skipped} as JSON' },
  },
  epilog:
    'exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error or unreadable file\nrules and their fixes: docs/validate.md',
};

await runMain(async (args) => {
  const parsed = parseOrHelp(spec, args);
  if (!parsed) return 0;
  const manifestPath = stringOption(parsed, 'manifest');
  const root = manifestPath !== undefined ? process.cwd() : findWorkspaceRoot();
  const report = await validateWorkspace({ root, ...(manifestPath !== undefined ? { manifestPath } : {}) });
  process.stdout.write(
    booleanOption(parsed, 'json')
      ? reportJson(report)
      : reportHuman(report, { root: manifestPath !== undefined ? process.cwd() : root, paint: stdoutPalette() }),
  );
  return report.ok ? 0 : 1;
});
