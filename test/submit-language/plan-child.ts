// Plans a submit file in a child process, so a test of a file that once hung or blew up memory
// is a bounded failure (runCommand's time limit), not a stuck test run.
// Usage: node --import tsx test/submit-language/plan-child.ts SUBMIT_FILE CWD
import { UserError } from '../../scripts/lib/errors.ts';
import { planSubmit, readSubmitStatements } from '../../scripts/lib/submit-language/submit-plan.ts';

const [submitFile = '', cwd = process.cwd()] = process.argv.slice(2);
const started = Date.now();
try {
  const plan = planSubmit(readSubmitStatements(submitFile, submitFile), {
    submitFile,
    cwd,
    cluster: null,
    env: process.env,
  });
  process.stdout.write(JSON.stringify({ procs: plan.procs.length, warnings: plan.warnings, ms: Date.now() - started }));
} catch (error) {
  if (!(error instanceof UserError)) throw error;
  process.stdout.write(
    JSON.stringify({ error: { message: error.message, line: error.line, file: error.file }, ms: Date.now() - started }),
  );
}
