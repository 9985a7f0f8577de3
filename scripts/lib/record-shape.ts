// A typed reader for the JSON state files pixi-condor writes itself (.pixi-condor/jobs/*.json,
// image.json): each file's shape is checked once, where it is read, so a hand-edited or cut-short
// record is one line naming the field and what it should hold, never a TypeError deep in a command.
// Unknown keys are kept: a newer pixi-condor may add fields an older one does not know.
import { isAbsolute } from 'node:path';
import { UserError } from './errors.ts';

/** The first field that does not hold what the reader needs, by its path in the file (`procs[2].log`). */
export class ShapeError extends Error {
  readonly field: string;
  readonly expected: string;
  readonly actual: unknown;

  constructor(field: string, expected: string, actual: unknown) {
    super(`${field || 'the file'} is ${describeValue(actual)}, expected ${expected}`);
    this.name = 'ShapeError';
    this.field = field;
    this.expected = expected;
    this.actual = actual;
  }
}

/** Checks a value at `path` and returns it typed, or throws ShapeError. */
export type Shape<T> = (value: unknown, path: string) => T;

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value.length > 40 ? 'a long text' : JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value).slice(0, 40)}`;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new ShapeError(path, expected, value);
}

export const text: Shape<string> = (v, path) => (typeof v === 'string' ? v : fail(path, 'a text', v));

export const nonEmptyText: Shape<string> = (v, path) =>
  typeof v === 'string' && v.length > 0 ? v : fail(path, 'a non-empty text', v);

export const absolutePath: Shape<string> = (v, path) =>
  typeof v === 'string' && isAbsolute(v) && !v.includes('\0') ? v : fail(path, 'an absolute path', v);

export const count: Shape<number> = (v, path) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : fail(path, 'a whole number ≥ 0', v);

export const bool: Shape<boolean> = (v, path) => (typeof v === 'boolean' ? v : fail(path, 'true or false', v));

export const finiteNumber: Shape<number> = (v, path) =>
  typeof v === 'number' && Number.isFinite(v) ? v : fail(path, 'a number', v);

export function literal<T extends string | number>(value: T): Shape<T> {
  return (v, path) => (v === value ? value : fail(path, JSON.stringify(value), v));
}

export function matching(pattern: RegExp, expected: string): Shape<string> {
  return (v, path) => (typeof v === 'string' && pattern.test(v) ? v : fail(path, expected, v));
}

export function nullable<T>(shape: Shape<T>): Shape<T | null> {
  return (v, path) => {
    if (v === null) return null;
    try {
      return shape(v, path);
    } catch (error) {
      // Say both choices for the field itself; a deeper field's error stands as it is.
      if (error instanceof ShapeError && error.field === path)
        throw new ShapeError(path, `${error.expected} or null`, error.actual);
      throw error;
    }
  };
}

/** An optional key: absent (undefined) passes; present must match. */
export function optional<T>(shape: Shape<T>): Shape<T | undefined> {
  return (v, path) => (v === undefined ? undefined : shape(v, path));
}

/**
 * A record of 100,000 procs is checked without a path string (or a closure) per field: each item
 * is checked under UNNAMED, and only an item that fails is checked again under its path (the
 * same check, as shapes have no state), so the error names the field exactly as before.
 */
function failedItem(shape: Shape<unknown>, item: unknown, error: unknown, path: string): never {
  if (!(error instanceof ShapeError)) throw error;
  shape(item, path);
  throw error; // not reached: the same check fails again
}

/** The path an item is first checked under (never shown: a failure is checked again, named). */
const UNNAMED = '';

export function listOf<T>(shape: Shape<T>): Shape<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) return fail(path, 'a list', v);
    for (let i = 0; i < v.length; i++) {
      try {
        shape(v[i], UNNAMED);
      } catch (error) {
        failedItem(shape, v[i], error, `${path}[${i}]`);
      }
    }
    return v as T[];
  };
}

export function mapOf<T>(shape: Shape<T>): Shape<Record<string, T>> {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'an object', v);
    const record = v as Record<string, unknown>;
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      try {
        shape(record[key], UNNAMED);
      } catch (error) {
        failedItem(shape, record[key], error, `${path}.${key}`);
      }
    }
    return v as Record<string, T>;
  };
}

type Fields = Record<string, Shape<unknown>>;
type Checked<F extends Fields> = { [K in keyof F]: ReturnType<F[K]> };

/** An object whose listed keys match their shapes (other keys are kept as they are). */
export function object<F extends Fields>(fields: F): Shape<Checked<F>> {
  const keys = Object.keys(fields);
  const shapes = keys.map((key) => fields[key]!);
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'an object', v);
    const record = v as Record<string, unknown>;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      try {
        shapes[i]!(record[key], UNNAMED);
      } catch (error) {
        failedItem(shapes[i]!, record[key], error, path ? `${path}.${key}` : key);
      }
    }
    return v as Checked<F>;
  };
}

/**
 * `data` checked against a record's shape, or one UserError (exit 2) naming the file and the
 * field: "FILE is not a usable KIND: procs[0].log is number 123, expected …"; a wrong `version`
 * says the record is from another version of pixi-condor.
 */
export function checkRecord<T>(shape: Shape<unknown>, data: unknown, file: string, kind: string, hint: string): T {
  try {
    return shape(data, '') as T;
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    const what =
      error.field === 'version'
        ? `is not ${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} this version understands`
        : `is not a usable ${kind}: ${error.message}`;
    throw new UserError(`${file} ${what}`, { hint, exitCode: 2 });
  }
}
