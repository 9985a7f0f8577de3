// Is a path inside a folder? By its `..` components, never by a text prefix: `..ckpt` and
// `...` are names inside the folder, only `..` (or `../…`) leads out of it.
import { isAbsolute, relative, sep } from 'node:path';

/** Is `path` `root` or below it (both absolute, normalised)? */
export function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
