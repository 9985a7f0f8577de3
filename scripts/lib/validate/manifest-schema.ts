// The manifest against our JSON schema (schema/pixi-manifest.schema.json, precompiled), with
// ajv's raw errors turned into one finding per real mistake: anyOf noise folded into
// "must be X or Y", unknown keys with a did-you-mean, names of TOML tables instead of pointers.
import type { ErrorObject } from 'ajv';
import { closest, describeValue, tomlPath } from './text.ts';
import { escapePointer, pointerOf, splitPointer } from './json-pointer.ts';
import type { IssueList } from './types.ts';
import { combinedSchema, compileValidator } from './schema-source.ts';

interface CompiledValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

let cached: CompiledValidator | null = null;

/**
 * The shipped standalone validator; compiled on the spot (slow) only if it is missing. A literal
 * import, so a task's bundle holds it too (and its code cache the validator's compiled code:
 * ~7 ms of a template's validate otherwise).
 */
export async function manifestValidator(): Promise<CompiledValidator> {
  if (cached) return cached;
  try {
    cached = (await import('../../../schema/manifest-validator.cjs')).default;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    cached = (await compileValidator()) as CompiledValidator;
  }
  return cached;
}

export async function checkManifestSchema(data: unknown, file: string, issues: IssueList): Promise<void> {
  const validate = await manifestValidator();
  if (validate(data)) return;
  const errors = foldErrors(validate.errors ?? []);
  const schema = combinedSchema();
  const seen = new Set<string>();
  for (const error of errors) {
    const issue = describeError(error, data, schema);
    const dedupe = `${issue.pointer}\u0000${issue.rule}\u0000${issue.message}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    issues.error({ file, ...issue });
  }
}

// ---------------------------------------------------------------------------------------------
// Folding anyOf: our schema gives every anyOf at most one branch per JSON type, so the branch
// the value was meant for is the one whose type it has. ajv reports a failed anyOf after the
// errors of all its branches; those are the errors just before it at or below its path.

interface Folded {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  /** For a folded anyOf: the types its branches accept. */
  expected?: string[];
}

const under = (path: string, base: string) => path === base || path.startsWith(base + '/');

export function foldErrors(raw: ErrorObject[]): Folded[] {
  const out: Folded[] = [];
  for (const error of raw) {
    if (error.keyword === 'propertyNames' || error.keyword === 'if') continue; // the inner error says it
    if (error.keyword !== 'anyOf') {
      const propertyName = (error as ErrorObject & { propertyName?: string }).propertyName;
      out.push({
        instancePath: error.instancePath,
        keyword: propertyName !== undefined ? 'propertyName' : error.keyword,
        params: propertyName !== undefined ? { ...error.params, propertyName, inner: error.keyword } : error.params,
        message: error.message,
      });
      continue;
    }
    const at = error.instancePath;
    let first = out.length;
    while (first > 0 && under(out[first - 1]!.instancePath, at)) first--;
    const group = out.splice(first);
    const typeErrors = group.filter(
      (e) => e.instancePath === at && (e.keyword === 'type' || e.keyword === 'const' || e.expected),
    );
    const rest = group.filter((e) => !typeErrors.includes(e));
    if (rest.length > 0 && rest.every((e) => e.instancePath === at && e.keyword === 'required')) {
      // anyOf of `required` alternatives: "needs one of a or b".
      out.push({
        instancePath: at,
        keyword: 'required',
        params: { missingProperty: rest.map((e) => e.params.missingProperty as string) },
      });
    } else if (rest.length > 0) {
      out.push(...rest);
    } else {
      const expected = typeErrors.flatMap(
        (e) =>
          e.expected ?? (e.keyword === 'const' ? [JSON.stringify(e.params.allowedValue)] : [String(e.params.type)]),
      );
      out.push({
        instancePath: at,
        keyword: 'type',
        params: { type: expected.join(',') },
        expected: [...new Set(expected)],
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Messages.

type Json = Record<string, unknown>;

const TYPE_WORDS: Record<string, string> = {
  object: 'a table',
  array: 'an array',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'nothing',
};

function valueAt(data: unknown, pointer: string): unknown {
  let node = data;
  for (const segment of splitPointer(pointer)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Json)[segment];
  }
  return node;
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The schema that applies at `pointer`, following $ref and picking the anyOf branch of the value's type. */
function schemaAt(root: Json, data: unknown, pointer: string): Json | null {
  const defs = root.$defs as Json;
  const deref = (node: Json | null, value: unknown): Json | null => {
    for (let guard = 0; node && guard < 20; guard++) {
      if (typeof node.$ref === 'string') {
        node = { ...(defs[node.$ref.replace('#/$defs/', '')] as Json), ...(node.title ? { title: node.title } : {}) };
        continue;
      }
      const branches = (node.anyOf ?? node.allOf) as Json[] | undefined;
      if (branches && !node.properties && !node.additionalProperties && !node.items) {
        const type = jsonType(value);
        const resolved = branches.map((b) => deref(b, value)).filter((b): b is Json => b !== null);
        const match =
          resolved.find((b) => b.type === type || (b.type === 'number' && type === 'integer')) ??
          resolved.find((b) => b.properties || b.additionalProperties);
        if (!match) return node;
        node = node.title && !match.title ? { ...match, title: node.title } : match;
        continue;
      }
      return node;
    }
    return node;
  };
  let node = deref(root, data);
  let value = data;
  for (const segment of splitPointer(pointer)) {
    if (!node) return null;
    const child = value !== null && typeof value === 'object' ? (value as Json)[segment] : undefined;
    let next: unknown;
    if (Array.isArray(value)) next = node.items;
    else
      next =
        (node.properties as Json | undefined)?.[segment] ??
        patternMatch(node.patternProperties as Json | undefined, segment) ??
        node.additionalProperties;
    node = next && typeof next === 'object' ? deref(next as Json, child) : null;
    value = child;
  }
  return node;
}

function patternMatch(patterns: Json | undefined, key: string): unknown {
  if (!patterns) return undefined;
  for (const [pattern, schema] of Object.entries(patterns)) if (new RegExp(pattern, 'u').test(key)) return schema;
  return undefined;
}

function allowedKeys(schema: Json | null): string[] {
  return schema?.properties ? Object.keys(schema.properties as Json) : [];
}

function where(pointer: string): string {
  return pointer === '' ? 'the top level' : `[${tomlPath(splitPointer(pointer))}]`;
}

const ENV_TABLE_HINT = 'pixi rejects unknown keys; settings of your own belong under [tool.<name>]';

/** What a schema error says: where (the key or the value), which rule, the message and the fix. */
export interface Description {
  pointer: string;
  rule: string;
  message: string;
  hint: string;
  at: 'key' | 'value';
}

/** One schema error with what every describer reads, worked out once. */
interface ErrorContext {
  error: Folded;
  /** The error's JSON pointer. */
  path: string;
  /** The manifest's value there. */
  value: unknown;
  /** The schema node for that place, when it can be found. */
  here: Json | null;
}

type Describer = (c: ErrorContext) => Description | null;

/** A problem with the value at the error's own place (the usual case). */
const atValue = (c: ErrorContext, rule: string, message: string, hint: string): Description => ({
  pointer: c.path,
  rule,
  message,
  hint,
  at: 'value',
});

/** Key names pixi checks itself, by the table they are keys of. */
const KEY_NAME_RULES: Record<string, (name: string) => Pick<Description, 'rule' | 'message' | 'hint'>> = {
  environments: (name) => ({
    rule: 'manifest/environment-name',
    message: `environment name '${name}' is not valid: pixi allows only lower-case letters, digits and '-'`,
    hint: `rename it, e.g. '${name.toLowerCase().replace(/[^a-z\d-]+/g, '-')}'`,
  }),
};

function unknownKey({ error, path, here }: ErrorContext): Description {
  const key = String(error.params.additionalProperty);
  const allowed = allowedKeys(here);
  const guess = closest(key, allowed);
  return {
    pointer: `${path}/${escapePointer(key)}`,
    rule: 'schema/unknown-key',
    message: `unknown key '${key}' in ${where(path)}`,
    hint: guess
      ? `did you mean '${guess}'?`
      : path === ''
        ? ENV_TABLE_HINT
        : allowed.length
          ? `allowed keys: ${allowed.join(', ')}`
          : ENV_TABLE_HINT,
    at: 'key',
  };
}

function badKeyName({ error, path }: ErrorContext): Description {
  const name = String(error.params.propertyName);
  const pointer = pointerOf([...splitPointer(path), name]);
  const byParent = KEY_NAME_RULES[splitPointer(path).pop() ?? ''];
  if (byParent) return { pointer, ...byParent(name), at: 'key' };
  return {
    pointer,
    rule: 'schema/key-name',
    message: `key '${name}' in ${where(path)} is not a valid name`,
    hint: describeSchemaRule(error.params),
    at: 'key',
  };
}

function missingKey({ error, path }: ErrorContext): Description {
  const missing = ([] as string[]).concat(error.params.missingProperty as string | string[]);
  if (path === '' && missing.includes('workspace')) {
    return {
      pointer: '',
      rule: 'schema/missing-key',
      message: 'the manifest has no [workspace] table',
      hint: 'add [workspace] with `channels = ["conda-forge"]` and your platforms',
      at: 'key',
    };
  }
  const list = missing.map((m) => `'${m}'`).join(' or ');
  return {
    pointer: path,
    rule: 'schema/missing-key',
    // pixi's TOML readers (toml_span's TableHelper::required) say "missing field `x`".
    message: `${where(path)} is missing ${list}${missing.length === 1 ? ` (pixi: missing field \`${missing[0]}\`)` : ''}`,
    hint: `add ${missing.length > 1 ? 'one of them' : 'it'}`,
    at: 'key',
  };
}

function wrongType(c: ErrorContext): Description {
  const { error, here } = c;
  const expected = error.expected ?? String(error.params.type).split(',');
  const words =
    here?.title && error.expected
      ? String(here.title)
      : [...new Set(expected.map((t) => TYPE_WORDS[t] ?? t))].join(' or ');
  return atValue(
    c,
    'schema/type',
    `${where(c.path)} must be ${words}, not ${describeValue(c.value)}`,
    hintForType(expected),
  );
}

/** Only an empty string has words of its own; any other too-short value falls back. */
function emptyValue(c: ErrorContext): Description | null {
  if (c.value !== '') return null;
  const isDependency = /dependencies\/[^/]+$/.test(c.path);
  return atValue(
    c,
    'schema/empty-value',
    `${where(c.path)} must not be empty`,
    isDependency ? 'write a version spec such as "*" (any version) or ">=1.2"' : 'give it a value or remove the line',
  );
}

function notInEnum(c: ErrorContext): Description {
  const allowed = (c.error.params.allowedValues as unknown[]).map(String);
  const guess = typeof c.value === 'string' ? closest(c.value, allowed) : null;
  return atValue(
    c,
    'schema/enum',
    `${where(c.path)} must be one of ${allowed.join(', ')}, not ${describeValue(c.value)}`,
    guess ? `did you mean '${guess}'?` : `use one of: ${allowed.join(', ')}`,
  );
}

/** One describer per ajv keyword (zx's LogFormatters shape); a keyword not here gets `fallback`. */
const DESCRIBERS: Partial<Record<string, Describer>> = {
  additionalProperties: unknownKey,
  propertyName: badKeyName,
  required: missingKey,
  type: wrongType,
  minLength: emptyValue,
  pattern: (c) =>
    atValue(
      c,
      'schema/pattern',
      `${JSON.stringify(c.value)} is not ${c.here?.title ?? 'valid here'} (${where(c.path)})`,
      `it must match ${String(c.error.params.pattern)}`,
    ),
  enum: notInEnum,
  const: (c) =>
    atValue(
      c,
      'schema/enum',
      `${where(c.path)} must be ${JSON.stringify(c.error.params.allowedValue)}`,
      `write ${JSON.stringify(c.error.params.allowedValue)}`,
    ),
  format: (c) =>
    atValue(
      c,
      'schema/format',
      `${where(c.path)} must be ${c.here?.title ?? `a ${String(c.error.params.format)}`}, not ${describeValue(c.value)}`,
      'write the full address, e.g. "https://github.com/you/project"',
    ),
  not: (c) =>
    atValue(
      c,
      'schema/reserved',
      `${JSON.stringify(c.value)} is a reserved name (${where(c.path)})`,
      'choose another name',
    ),
  'false schema': (c) => ({
    ...atValue(
      c,
      'schema/not-allowed',
      `${where(c.path)} is not allowed here`,
      '`workspace = true` inherits only in [dependencies] tables of the default feature, features and targets',
    ),
    at: 'key',
  }),
};

function fallback(c: ErrorContext): Description {
  return atValue(
    c,
    `schema/${c.error.keyword}`,
    `${where(c.path)} ${c.error.message ?? 'is not valid'}`,
    describeSchemaRule(c.error.params),
  );
}

export function describeError(error: Folded, data: unknown, schema: Json): Description {
  const path = error.instancePath;
  const context: ErrorContext = { error, path, value: valueAt(data, path), here: schemaAt(schema, data, path) };
  return DESCRIBERS[error.keyword]?.(context) ?? fallback(context);
}

function hintForType(expected: string[]): string {
  if (expected.includes('string') && expected.includes('object'))
    return 'quote the value ("1.2.*") or write a table ({ version = "1.2.*" })';
  if (expected.length === 1 && expected[0] === 'array') return 'write a list in square brackets, e.g. ["a", "b"]';
  if (expected.length === 1 && expected[0] === 'string') return 'put the value in double quotes';
  if (expected.length === 1 && expected[0] === 'object')
    return 'write a table: [name] on its own line, or { key = "value" }';
  return `expected ${expected.map((t) => TYPE_WORDS[t] ?? t).join(' or ')}`;
}

function describeSchemaRule(params: Record<string, unknown>): string {
  if (typeof params.pattern === 'string') return `it must match ${params.pattern}`;
  return 'see docs/validate.md';
}
