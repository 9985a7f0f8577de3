// pixi run validate [--manifest PATH] [--json]: check pixi.toml, pixi.lock, the Dockerfile,
// the submit file and .env before anything slow (a docker build, a queue wait) finds out.
// The checks load only after the command line parsed (--help and usage errors stay instant).
import { booleanOption, parseOrHelp, stringOption, type CommandSpec } from './lib/cli.ts';
import { runMain } from './lib/main.ts';

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
  exitCodes: [
    ['0', 'valid (warnings allowed)'],
    ['1', 'invalid'],
    ['2', 'usage error or unreadable file'],
  ],
  docs: 'docs/validate.md (every rule and its fix)',
};

void runMain(async (args) => {
  const parsed = parseOrHelp(spec, args);
  if (!parsed) return 0;
  const [{ findWorkspaceRoot }, { validateWorkspace }, { reportHuman, reportJson }, { stdoutPalette }] =
    await Promise.all([
      import('./lib/workspace.ts'),
      import('./lib/validate/index.ts'),
      import('./lib/validate/report.ts'),
      import('./lib/term.ts'),
    ]);
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
