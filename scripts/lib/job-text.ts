// Text a job wrote (its output and error, its progress lines, its metrics.json, the names of
// files it made) on its way to a terminal: the workspace's secrets masked (a job that prints a
// token it was never given still must not show it), and every control character shown as an
// escape (`\x1b`), so a job cannot move the cursor, recolour, retitle or clear the terminal.
// Tabs stay; a line is one line.
import { type SecretMask, workspaceSecrets } from './secret-mask.ts';

/** C0 controls but tab, DEL, and the C1 range (0x80-0x9f: CSI is 0x9b), as `\xNN`. */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

export function visibleControls(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A job's text as it may be shown: secrets masked first (a token split by an escape is still one), then controls made visible. */
export function jobTextFilter(mask: SecretMask | null): (text: string) => string {
  return (text) => visibleControls(mask ? mask.mask(text) : text);
}

/**
 * What a job's text is masked of in the workspace at `root`: the tokens of the environment and
 * of `.env` (a job given none may still find one and print it). Not `.env`'s other values: they
 * are withheld from jobs, but many are no secret (a project name, a user name in every path),
 * and masking them would change the job's own data (a sweep value in results.csv).
 */
export function jobSecretMask(root: string | null): SecretMask {
  return workspaceSecrets(root).mask;
}

const filters = new Map<string, (text: string) => string>();

/** jobTextFilter of jobSecretMask(root), made once per workspace and process. */
export function jobTextFor(root: string): (text: string) => string {
  let filter = filters.get(root);
  if (!filter) {
    filter = jobTextFilter(jobSecretMask(root));
    filters.set(root, filter);
  }
  return filter;
}
