// The bounds on the files a submit file names (itself, `include :` targets, `queue … from`
// tables), read through ../bounded-read.ts: only regular files, never more than these sizes, so
// a hostile name costs neither memory nor time. condor_submit reads whatever it is given; these
// limits are ours.

/** A submit file or an include: real ones are a few KiB. */
export const MAX_SUBMIT_FILE_BYTES = 4 << 20;
/** A `queue … from` table: one line per proc, and at most 100,000 procs. */
export const MAX_ITEMS_FILE_BYTES = 32 << 20;
