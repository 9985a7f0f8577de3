// `node scripts/run.mjs compile-schema`: after editing schema/*.schema.json, write the
// precompiled validator validate loads (schema/manifest-validator.cjs, ajv's standalone code).
// A test fails while the compiled file is older than the schema.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './lib/atomic-file.ts';
import { booleanOption, parseOrHelp, type CommandSpec } from './lib/cli.ts';
import { runMain } from './lib/main.ts';

const spec: CommandSpec = {
  usage: 'node scripts/run.mjs compile-schema [--dry-run]',
  summary:
    'Compile schema/pixi-manifest.schema.json and schema/tool-pixi-condor.schema.json into schema/manifest-validator.cjs, the validator `pixi run validate` loads.',
  options: {
    'dry-run': { type: 'boolean', description: 'compile, say whether the file would change, write nothing' },
  },
  exitCodes: [
    ['0', 'written (or, with --dry-run, compiled)'],
    ['2', 'usage error'],
  ],
  docs: 'docs/validate.md (Editing the schema)',
};

void runMain(async (args) => {
  const parsed = parseOrHelp(spec, args);
  if (!parsed) return 0;
  const { COMPILED_VALIDATOR, compileStandalone } = await import('./lib/validate/schema-source.ts');
  const code = await compileStandalone();
  let current: string | null = null;
  try {
    current = readFileSync(COMPILED_VALIDATOR, 'utf8');
  } catch {
    // not there yet
  }
  const verdict = current === code ? 'is current' : current === null ? 'is missing' : 'is out of date';
  if (booleanOption(parsed, 'dry-run')) {
    process.stdout.write(`${COMPILED_VALIDATOR} ${verdict}; --dry-run: nothing written\n`);
    return 0;
  }
  await writeFileAtomic(COMPILED_VALIDATOR, code);
  process.stdout.write(
    `wrote ${COMPILED_VALIDATOR} (it ${verdict === 'is current' ? 'was current already' : verdict.replace('is ', 'was ')})\n`,
  );
  return 0;
});
