// The commands of the pixi extension (`pixi condor <command>`), each the pixi task of the same
// name. scripts/pixi-condor.mjs dispatches exactly these (a test holds the two lists together).

/** Command name and its one line for `pixi condor --help` (the pixi task's description). */
export const EXTENSION_COMMANDS: [name: string, summary: string][] = [
  ['init', 'Add what this workspace lacks to run its own task on HTCondor (Dockerfile, submit file, ...)'],
  ['validate', 'Check the manifest against the schema, the lock, the Dockerfile and the submit file'],
  ['build-image', 'Build the image, tag it by content, push it and record its digest'],
  ['submit', 'Submit the job with the image pinned to its digest and follow it to the end (--local: here)'],
  ['status', 'Show or follow a submitted job (latest by default) from its event log'],
  ['cancel', 'Remove a submitted job from the queue with condor_rm (latest by default)'],
  ['release', "Raise a held proc's memory or disk request in the queue (condor_qedit) and release it"],
  ['results', "One table of every proc's queue variables, outcome and metrics.json; names the best run"],
  ['resubmit', 'Submit again exactly the procs that failed or were held, same values, same pinned image'],
];
