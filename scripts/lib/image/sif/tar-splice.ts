// The root filesystem travels as a tar stream (`docker export` → sqfstar) and is never unpacked.
// This transform edits it in flight: it drops what `docker create` added that is no part of
// the image (/.dockerenv) and anything at the paths the SIF's metadata takes, and appends the
// /.singularity.d files before the end-of-archive blocks. Headers are read as POSIX/GNU tar
// writes them (ustar, pax `x`/`g` and GNU `L`/`K` extension records pass through untouched).
import { Transform, type TransformCallback } from 'node:stream';

const BLOCK = 512;

export interface TarEntry {
  /** Path without a leading slash, e.g. `.singularity.d/env/99-base.sh`. */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  /** File contents (file), or the link target (symlink). */
  data?: Buffer;
  target?: string;
  mtime: number;
}

function octal(buf: Buffer, at: number, length: number, value: number): void {
  buf.write(value.toString(8).padStart(length - 1, '0') + '\0', at, length, 'ascii');
}

/** One ustar header (plus contents, padded) for `entry`. Paths must fit the 100-byte name field. */
export function tarEntry(entry: TarEntry): Buffer {
  const name = entry.type === 'dir' ? `${entry.path}/` : entry.path;
  if (Buffer.byteLength(name) > 99) throw new Error(`tar path too long: ${name}`);
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  octal(header, 100, 8, entry.mode);
  octal(header, 108, 8, 0);
  octal(header, 116, 8, 0);
  const data = entry.type === 'file' ? (entry.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
  octal(header, 124, 12, data.length);
  octal(header, 136, 12, entry.mtime);
  header.write(entry.type === 'file' ? '0' : entry.type === 'dir' ? '5' : '2', 156, 1, 'ascii');
  if (entry.type === 'symlink') header.write(entry.target ?? '', 157, 100, 'utf8');
  header.write('ustar\u000000', 257, 8, 'ascii');
  header.write('root', 265, 32, 'ascii');
  header.write('root', 297, 32, 'ascii');
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  const padded = Buffer.alloc(Math.ceil(data.length / BLOCK) * BLOCK);
  data.copy(padded);
  return Buffer.concat([header, padded]);
}

/** The size field: octal text, or GNU base-256 when its first byte has the high bit set. */
function entrySize(header: Buffer): number {
  if (header[124]! & 0x80) {
    let value = 0;
    for (let i = 125; i < 136; i++) value = value * 256 + header[i]!;
    return value;
  }
  const text = header.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim();
  return text ? Number.parseInt(text, 8) : 0;
}

function entryName(header: Buffer): string {
  const cut = (at: number, len: number) => header.toString('utf8', at, at + len).replace(/\0.*$/s, '');
  const prefix = header.toString('ascii', 257, 262) === 'ustar' ? cut(345, 155) : '';
  const name = cut(0, 100);
  return (prefix ? `${prefix}/${name}` : name).replace(/^\.?\//, '').replace(/\/$/, '');
}

/**
 * Pass a tar stream through, without the entries `drop` names (a plain header's path; a path in
 * a pax record is kept), and with `appended` before the end. The end blocks and anything after
 * them are replaced by a clean end of archive.
 */
export function spliceTar(drop: (path: string) => boolean, appended: Buffer): Transform {
  let pending = Buffer.alloc(0);
  /** Bytes of the current entry's contents still to pass (or skip). */
  let remaining = 0;
  let skipping = false;
  /** A pax or GNU extension record just passed: the next entry's name is not the header's. */
  let extended = false;
  let ended = false;
  const finish = (push: (b: Buffer) => void) => {
    if (ended) return;
    ended = true;
    push(Buffer.concat([appended, Buffer.alloc(BLOCK * 2)]));
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (ended) return callback();
      let data = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      pending = Buffer.alloc(0);
      while (data.length > 0 && !ended) {
        if (remaining > 0) {
          const take = Math.min(remaining, data.length);
          if (!skipping) this.push(data.subarray(0, take));
          data = data.subarray(take);
          remaining -= take;
          continue;
        }
        if (data.length < BLOCK) {
          pending = Buffer.from(data);
          break;
        }
        const header = data.subarray(0, BLOCK);
        data = data.subarray(BLOCK);
        if (header.every((b) => b === 0)) {
          finish((b) => this.push(b));
          break;
        }
        const type = String.fromCharCode(header[156]!);
        const size = entrySize(header);
        remaining = Math.ceil(size / BLOCK) * BLOCK;
        const isExtension = 'xgLK'.includes(type);
        skipping = !isExtension && !extended && drop(entryName(header));
        if (!skipping) this.push(Buffer.from(header));
        extended = isExtension;
      }
      callback();
    },
    flush(callback: TransformCallback) {
      // A stream cut short is the exporter's failure, reported by its exit status.
      if (remaining === 0 && pending.length === 0) finish((b) => this.push(b));
      callback();
    },
  });
}
