#!/usr/bin/env node
// `pixi-condor`, the package's executable: pixi (>= 0.49) runs an executable named pixi-NAME
// found on PATH for `pixi NAME`, so once installed (npm install -g, or pixi global install) every
// task is `pixi condor <command>` in any pixi workspace. Each command is the very entry its pixi
// task runs (`node scripts/run.mjs <task>`: the same bundles and start-up), working on the
// workspace found from the current folder, as the tasks do. `help`, `--help`, `--version` and no
// command at all go to scripts/extension.ts, which lists the commands in the tasks' help shape.
// Plain JavaScript, like run.mjs: nothing is compiled before the task's own start-up begins.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The commands, in the order `pixi-condor --help` lists them (scripts/lib/extension/commands.ts). */
const COMMANDS = ['init', 'validate', 'build-image', 'submit', 'status', 'cancel', 'release', 'results', 'resubmit'];

const [command, ...rest] = process.argv.slice(2);
let task = 'extension';
let args = process.argv.slice(2);
if (command !== undefined && COMMANDS.includes(command)) {
  task = command;
  args = rest;
} else if (command === 'help' && rest.length === 1 && COMMANDS.includes(rest[0])) {
  // `pixi condor help submit` is `pixi condor submit --help`.
  task = rest[0];
  args = ['--help'];
}
// The help of each command names itself as `pixi condor <command>` (scripts/lib/cli.ts).
process.env.PIXI_CONDOR_COMMAND = 'pixi condor';
process.argv = [process.argv[0], join(dirname(fileURLToPath(import.meta.url)), 'run.mjs'), task, ...args];
await import('./run.mjs');
