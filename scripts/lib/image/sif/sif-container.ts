// The SIF container format (Singularity Image Format, version 01, as sylabs/sif's pkg/sif reads
// it): a 128-byte global header, a fixed table of 48 descriptors of 585 bytes each at 4096, then
// the data objects. Written here rather than with siftool so that the bytes are ours to keep
// reproducible: nil UUID and Go's zero time everywhere (what sif's OptCreateDeterministic
// writes), objects in the order Apptainer's build writes them, all in group 1, the squashfs as
// the primary system partition aligned to 4096 (the only partition Apptainer mounts).

export const SIF_LAUNCH_SCRIPT = '#!/usr/bin/env run-singularity\n';
export const SIF_MAGIC = 'SIF_MAGIC';
export const SIF_VERSION = '01';
export const HEADER_SIZE = 128;
export const DESCRIPTOR_COUNT = 48;
export const DESCRIPTOR_SIZE = 585;
export const DESCRIPTORS_OFFSET = 4096;
export const DATA_OFFSET = DESCRIPTORS_OFFSET + DESCRIPTOR_COUNT * DESCRIPTOR_SIZE; // 32176
export const PARTITION_ALIGNMENT = 4096;
/** Go's time.Time{}.Unix(): what a deterministic SIF stores for every time. */
export const GO_ZERO_TIME = -62135596800n;

/** sif DataType values (0x4001 + iota in pkg/sif). */
export const DataType = { deffile: 0x4001, partition: 0x4004, genericJson: 0x4006 } as const;
const FS_SQUASH = 1;
const PART_PRIM_SYS = 2;
/** Group IDs are stored with this mask (sif descrGroupMask). */
const GROUP_MASK = 0xf0000000;

/** sif's architecture codes (hdrArch*), 3 bytes with a NUL. */
export const SIF_ARCH: Record<string, string> = {
  'linux/386': '01',
  'linux/amd64': '02',
  'linux/arm/v7': '03',
  'linux/arm/v6': '03',
  'linux/arm64': '04',
  'linux/arm64/v8': '04',
  'linux/ppc64le': '07',
  'linux/s390x': '09',
  'linux/riscv64': '13',
};

export interface SifObject {
  type: number;
  /** Descriptor name (at most 127 bytes), e.g. `inspect-metadata.json`. */
  name: string;
  /** Small objects carry their bytes; the partition is written by mksquashfs at its offset. */
  data?: Buffer;
  size: number;
}

export interface SifLayout {
  /** [offset, sizeWithPadding] of each object, in order. */
  placements: { offset: number; padding: number }[];
  /** Where the partition (the last object) starts. */
  partitionOffset: number;
}

function align(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}

/**
 * Where each object goes: small objects packed from DATA_OFFSET, the partition (last) aligned to
 * 4096. The partition's size need not be known yet: its offset depends only on what precedes it.
 */
export function layoutSif(smallObjectSizes: number[]): SifLayout {
  const placements: SifLayout['placements'] = [];
  let end = DATA_OFFSET;
  for (const size of smallObjectSizes) {
    placements.push({ offset: end, padding: 0 });
    end += size;
  }
  const partitionOffset = align(end, PARTITION_ALIGNMENT);
  placements.push({ offset: partitionOffset, padding: partitionOffset - end });
  return { placements, partitionOffset };
}

function writeFixedString(buf: Buffer, at: number, length: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length >= length) throw new Error(`SIF field '${text}' is longer than ${length - 1} bytes`);
  bytes.copy(buf, at);
}

function descriptor(object: SifObject, id: number, offset: number, padding: number, arch: string): Buffer {
  const d = Buffer.alloc(DESCRIPTOR_SIZE);
  let at = 0;
  d.writeInt32LE(object.type, at);
  at += 4;
  d.writeUInt8(1, at); // used
  at += 1;
  d.writeUInt32LE(id, at);
  at += 4;
  d.writeUInt32LE((GROUP_MASK | 1) >>> 0, at); // group 1, as Apptainer's build
  at += 4;
  d.writeUInt32LE(0, at); // linked to nothing
  at += 4;
  d.writeBigInt64LE(BigInt(offset), at);
  at += 8;
  d.writeBigInt64LE(BigInt(object.size), at);
  at += 8;
  d.writeBigInt64LE(BigInt(object.size + padding), at);
  at += 8;
  d.writeBigInt64LE(GO_ZERO_TIME, at); // created
  at += 8;
  d.writeBigInt64LE(GO_ZERO_TIME, at); // modified
  at += 8;
  at += 16; // deprecated UID, GID: 0
  writeFixedString(d, at, 128, object.name);
  at += 128;
  if (object.type === DataType.partition) {
    d.writeInt32LE(FS_SQUASH, at);
    d.writeInt32LE(PART_PRIM_SYS, at + 4);
    writeFixedString(d, at + 8, 3, arch);
  }
  return d;
}

/**
 * Everything before the partition: header, descriptor table and the small objects, as one
 * buffer of `layout.partitionOffset` bytes (the padding before the partition is zeros).
 */
export function sifPrefix(objects: SifObject[], platform: string): Buffer {
  const arch = SIF_ARCH[platform];
  if (!arch) throw new Error(`no SIF architecture code for ${platform}`);
  if (objects.length > DESCRIPTOR_COUNT) throw new Error('too many SIF objects');
  const partition = objects[objects.length - 1]!;
  if (partition.type !== DataType.partition) throw new Error('the last SIF object must be the partition');
  const layout = layoutSif(objects.slice(0, -1).map((o) => o.size));
  const out = Buffer.alloc(layout.partitionOffset);
  // Global header.
  writeFixedString(out, 0, 32, SIF_LAUNCH_SCRIPT);
  writeFixedString(out, 32, 10, SIF_MAGIC);
  writeFixedString(out, 42, 3, SIF_VERSION);
  writeFixedString(out, 45, 3, arch);
  // 48..63: the UUID, nil.
  const end = layout.partitionOffset + partition.size;
  const fields = [
    GO_ZERO_TIME, // created
    GO_ZERO_TIME, // modified
    BigInt(DESCRIPTOR_COUNT - objects.length), // free descriptors
    BigInt(DESCRIPTOR_COUNT),
    BigInt(DESCRIPTORS_OFFSET),
    BigInt(DESCRIPTOR_COUNT * DESCRIPTOR_SIZE),
    BigInt(DATA_OFFSET),
    BigInt(end - DATA_OFFSET),
  ];
  for (const [i, value] of fields.entries()) out.writeBigInt64LE(value, 64 + i * 8);
  objects.forEach((object, i) => {
    const place = layout.placements[i]!;
    descriptor(object, i + 1, place.offset, place.padding, arch).copy(out, DESCRIPTORS_OFFSET + i * DESCRIPTOR_SIZE);
    if (object.data) object.data.copy(out, place.offset);
  });
  return out;
}

/** The facts a reader needs from a SIF's first bytes (for checks and tests). */
export interface SifSummary {
  launch: string;
  magic: string;
  version: string;
  arch: string;
  descriptorsTotal: number;
  descriptorsFree: number;
  dataOffset: number;
  dataSize: number;
  objects: {
    id: number;
    type: number;
    group: number;
    offset: number;
    size: number;
    name: string;
    fsType?: number;
    partType?: number;
    arch?: string;
  }[];
}

function cString(buf: Buffer, at: number, length: number): string {
  const slice = buf.subarray(at, at + length);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul < 0 ? length : nul).toString('utf8');
}

/** Read the header and used descriptors from the first DATA_OFFSET bytes of a SIF. */
export function readSifSummary(head: Buffer): SifSummary | null {
  if (head.length < DATA_OFFSET || cString(head, 32, 10) !== SIF_MAGIC) return null;
  const total = Number(head.readBigInt64LE(88));
  const offset = Number(head.readBigInt64LE(96));
  const objects: SifSummary['objects'] = [];
  for (let i = 0; i < Math.min(total, DESCRIPTOR_COUNT); i++) {
    const at = offset + i * DESCRIPTOR_SIZE;
    if (head.readUInt8(at + 4) !== 1) continue;
    const type = head.readInt32LE(at);
    const object: SifSummary['objects'][number] = {
      id: head.readUInt32LE(at + 5),
      type,
      group: (head.readUInt32LE(at + 9) & ~GROUP_MASK) >>> 0,
      offset: Number(head.readBigInt64LE(at + 17)),
      size: Number(head.readBigInt64LE(at + 25)),
      name: cString(head, at + 73, 128),
    };
    if (type === DataType.partition) {
      object.fsType = head.readInt32LE(at + 201);
      object.partType = head.readInt32LE(at + 205);
      object.arch = cString(head, at + 209, 3);
    }
    objects.push(object);
  }
  return {
    launch: cString(head, 0, 32),
    magic: cString(head, 32, 10),
    version: cString(head, 42, 3),
    arch: cString(head, 45, 3),
    descriptorsFree: Number(head.readBigInt64LE(80)),
    descriptorsTotal: total,
    dataOffset: Number(head.readBigInt64LE(112)),
    dataSize: Number(head.readBigInt64LE(120)),
    objects,
  };
}
