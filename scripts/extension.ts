// `pixi condor` itself (scripts/pixi-condor.mjs runs this for `--help`, `help`, `--version` and
// no command): the list of commands in the tasks' one help shape, and the package's version.
// Each command is its own entry with its own --help (`pixi condor help submit`).
import { booleanOption, type CommandSpec, helpText, parseCommand } from './lib/cli.ts';
import { UsageError } from './lib/errors.ts';
import { EXTENSION_COMMANDS } from './lib/extension/commands.ts';
import { runMain } from './lib/main.ts';

const width = Math.max(...EXTENSION_COMMANDS.map(([name]) => name.length));

const spec: CommandSpec = {
  usage: 'pixi condor COMMAND [ARGS] | pixi condor help [COMMAND] | pixi condor --version',
  summary:
    "pixi-condor as a pixi extension: the template's tasks in any pixi workspace (pixi.toml, or pyproject.toml " +
    'with [tool.pixi]), found from the current folder. `pixi condor init` adds what the workspace lacks.',
  options: {
    version: { type: 'boolean', description: "print pixi-condor's version and exit" },
  },
  positionals: { names: 'help [COMMAND]', max: 2 },
  epilog: [
    'commands:',
    ...EXTENSION_COMMANDS.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`),
    '',
    'Each command takes --help. Inside a fork of the template, `pixi condor X` is `pixi run X`.',
  ].join('\n'),
  exitCodes: [
    ['0', 'help or version printed'],
    ['2', 'usage error (an unknown command)'],
    ['N', "a command's own exit code (see its --help)"],
  ],
  docs: 'docs/extension.md',
};

void runMain(async (args) => {
  const parsed = parseCommand(spec, args);
  if (booleanOption(parsed, 'version')) {
    const { packageVersion } = await import('./lib/extension/version.ts');
    process.stdout.write(`pixi-condor ${packageVersion()}\n`);
    return 0;
  }
  const [first, second] = parsed.positionals;
  if (first !== undefined && (first !== 'help' || second !== undefined)) {
    const unknown = first === 'help' ? second! : first;
    throw new UsageError(
      `unknown command '${unknown}'`,
      `the commands: ${EXTENSION_COMMANDS.map(([name]) => name).join(', ')} (pixi condor --help)`,
    );
  }
  process.stdout.write(helpText(spec));
  return 0;
});
