/**
 * Check a JSON value against a JSON Schema: the small subset
 * `protocol/schema.json` uses. The same interpreter as
 * `memlens/wire/validate.py` (see there for the keywords and the order in
 * which errors are found): both sides accept and refuse the same values and
 * report the same first error.
 */

/** A schema node: an object whose keys are JSON Schema keywords. */
export type Schema = { readonly [keyword: string]: unknown };

/** A key or index from the root of a value. */
export type PathItem = string | number;

/** Keywords that describe and never constrain. */
export const ANNOTATIONS: ReadonlySet<string> = new Set([
  '$schema',
  '$id',
  '$comment',
  'title',
  'description'
]);

/** Every keyword this validator understands. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  ...ANNOTATIONS,
  '$defs',
  '$ref',
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'prefixItems',
  'items',
  'minItems',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'allOf',
  'oneOf'
]);

const TYPE_NAMES = [
  'null',
  'boolean',
  'integer',
  'number',
  'string',
  'array',
  'object'
];
const REF_PREFIX = '#/$defs/';

/** A value that breaks the schema: where (`path`) and what (`message`). */
export class SchemaError extends Error {
  constructor(
    readonly path: ReadonlyArray<PathItem>,
    message: string
  ) {
    super(message);
    this.name = 'SchemaError';
  }
}

/**
 * Throw a SchemaError for the first way `value` breaks `schema`; `root` is the
 * whole schema document, where `$ref` finds its `$defs`.
 */
export function validate(value: unknown, schema: Schema, root: Schema): void {
  new Private.Validator(root).check(value, schema, []);
}

/** The schema `root.$defs[name]`. */
export function definition(root: Schema, name: string): Schema {
  return (root.$defs as Record<string, Schema>)[name];
}

/** The JSON type name of `value` (`integer` for integral numbers), or `other`. */
export function jsonType(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      if (!Number.isFinite(value)) {
        return 'other';
      }
      return Number.isInteger(value) ? 'integer' : 'number';
    case 'string':
      return 'string';
    case 'object':
      return Array.isArray(value) ? 'array' : 'object';
    default:
      return 'other';
  }
}

/** Deep equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  const kindA = jsonType(a);
  const numeric = ['integer', 'number'];
  if (numeric.includes(kindA) && numeric.includes(jsonType(b))) {
    return a === b;
  }
  if (kindA !== jsonType(b)) {
    return false;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (kindA === 'object') {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    const keys = Object.keys(x);
    return (
      keys.length === Object.keys(y).length &&
      keys.every(key => key in y && jsonEqual(x[key], y[key]))
    );
  }
  return a === b;
}

/** `args.path[2].kind` for `['args', 'path', 2, 'kind']`; `message` for the root. */
export function where(path: ReadonlyArray<PathItem>): string {
  let text = '';
  for (const item of path) {
    text += typeof item === 'number' ? `[${item}]` : text ? `.${item}` : item;
  }
  return text || 'message';
}

/** `value` as JSON text, for messages. */
export function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/**
 * Every place in `schema` that uses a keyword this validator does not
 * understand, or a `$ref` it cannot follow, as `<location>: <keyword>`.
 */
export function unsupportedKeywords(schema: unknown, at = '#'): string[] {
  if (typeof schema === 'boolean') {
    return [];
  }
  if (jsonType(schema) !== 'object') {
    return [`${at}: not a schema`];
  }
  const found: string[] = [];
  for (const [key, value] of Object.entries(schema as Schema)) {
    if (!KEYWORDS.has(key)) {
      found.push(`${at}: ${key}`);
    } else if (key === '$ref') {
      if (typeof value !== 'string' || !value.startsWith(REF_PREFIX)) {
        found.push(`${at}: $ref ${String(value)}`);
      }
    } else if (key === '$defs' || key === 'properties') {
      for (const [name, child] of Object.entries(value as Schema)) {
        found.push(...unsupportedKeywords(child, `${at}/${key}/${name}`));
      }
    } else if (key === 'allOf' || key === 'oneOf' || key === 'prefixItems') {
      (value as unknown[]).forEach((child, index) =>
        found.push(...unsupportedKeywords(child, `${at}/${key}/${index}`))
      );
    } else if (key === 'items' || key === 'additionalProperties') {
      found.push(...unsupportedKeywords(value, `${at}/${key}`));
    } else if (key === 'type') {
      const names = Array.isArray(value) ? value : [value];
      for (const name of names) {
        if (!TYPE_NAMES.includes(name as string)) {
          found.push(`${at}: type ${String(name)}`);
        }
      }
    }
  }
  return found;
}

/** The property every branch pins to a different `const`, if there is one. */
export function discriminator(branches: ReadonlyArray<Schema>): string | null {
  const props = (branch: Schema): Record<string, Schema> =>
    (branch.properties as Record<string, Schema> | undefined) ?? {};
  for (const name of Object.keys(props(branches[0]))) {
    const consts = branches.map(branch => props(branch)[name]);
    if (consts.every(c => c !== undefined && 'const' in c)) {
      const values = consts.map(c => c.const);
      const distinct = values.every((x, i) =>
        values.every((y, j) => j <= i || !jsonEqual(x, y))
      );
      if (distinct) {
        return name;
      }
    }
  }
  return null;
}

namespace Private {
  type Obj = Record<string, unknown>;

  export class Validator {
    constructor(readonly root: Schema) {}

    resolve(schema: Schema): Schema {
      let node = schema;
      while (typeof node.$ref === 'string' && Object.keys(node).length === 1) {
        node = definition(this.root, node.$ref.slice(REF_PREFIX.length));
      }
      return node;
    }

    check(value: unknown, schema: Schema, path: PathItem[]): void {
      if (typeof schema.$ref === 'string') {
        const target = schema.$ref.slice(REF_PREFIX.length);
        this.check(value, definition(this.root, target), path);
      }
      this.checkValue(value, schema, path);
      const kind = jsonType(value);
      if (kind === 'object') {
        this.checkObject(value as Obj, schema, path);
      } else if (kind === 'array') {
        this.checkArray(value as unknown[], schema, path);
      }
      for (const part of (schema.allOf as Schema[] | undefined) ?? []) {
        this.check(value, part, path);
      }
      if (schema.oneOf !== undefined) {
        this.checkOneOf(value, schema.oneOf as Schema[], path);
      }
    }

    checkValue(value: unknown, schema: Schema, path: PathItem[]): void {
      const kind = jsonType(value);
      if (schema.type !== undefined) {
        const allowed = (
          Array.isArray(schema.type) ? schema.type : [schema.type]
        ) as string[];
        const fits =
          allowed.includes(kind) ||
          (kind === 'integer' && allowed.includes('number'));
        if (!fits) {
          fail(path, `must be ${allowed.join(' or ')}`);
        }
      }
      if ('const' in schema && !jsonEqual(value, schema.const)) {
        fail(path, `must be ${shown(schema.const)}`);
      }
      if (schema.enum !== undefined) {
        const options = schema.enum as unknown[];
        if (!options.some(option => jsonEqual(value, option))) {
          fail(path, `must be one of ${options.map(shown).join(', ')}`);
        }
      }
      if (typeof value === 'number' && kind !== 'other') {
        if (typeof schema.minimum === 'number' && value < schema.minimum) {
          fail(path, `must be at least ${schema.minimum}`);
        }
        if (typeof schema.maximum === 'number' && value > schema.maximum) {
          fail(path, `must be at most ${schema.maximum}`);
        }
      }
      if (typeof value === 'string') {
        const min = schema.minLength as number | undefined;
        const max = schema.maxLength as number | undefined;
        if (min !== undefined && value.length < min) {
          fail(path, `must have at least ${min} characters`);
        }
        if (max !== undefined && value.length > max) {
          fail(path, `must have at most ${max} characters`);
        }
      }
    }

    checkObject(value: Obj, schema: Schema, path: PathItem[]): void {
      const properties = (schema.properties as Record<string, Schema>) ?? {};
      const required = (schema.required as string[] | undefined) ?? [];
      const has = (name: string) =>
        Object.prototype.hasOwnProperty.call(value, name);
      for (const [name, child] of Object.entries(properties)) {
        if (has(name)) {
          this.check(value[name], child, [...path, name]);
        } else if (required.includes(name)) {
          fail([...path, name], 'is missing');
        }
      }
      for (const name of required) {
        if (!has(name)) {
          fail([...path, name], 'is missing');
        }
      }
      const extra = schema.additionalProperties ?? true;
      for (const name of Object.keys(value)) {
        if (name in properties || extra === true) {
          continue;
        }
        if (extra === false) {
          fail([...path, name], 'is not allowed');
        }
        this.check(value[name], extra as Schema, [...path, name]);
      }
    }

    checkArray(value: unknown[], schema: Schema, path: PathItem[]): void {
      const minItems = schema.minItems as number | undefined;
      if (minItems !== undefined && value.length < minItems) {
        fail(path, `must have at least ${minItems} items`);
      }
      const prefix = (schema.prefixItems as Schema[] | undefined) ?? [];
      value.forEach((item, index) => {
        if (index < prefix.length) {
          this.check(item, prefix[index], [...path, index]);
        } else if (schema.items !== undefined) {
          this.check(item, schema.items as Schema, [...path, index]);
        }
      });
    }

    checkOneOf(value: unknown, branches: Schema[], path: PathItem[]): void {
      const resolved = branches.map(branch => this.resolve(branch));
      const tag = discriminator(resolved);
      const pinned = (branch: Schema): unknown =>
        (branch.properties as Record<string, Schema>)[tag as string].const;
      if (tag !== null && jsonType(value) === 'object') {
        const obj = value as Obj;
        for (const branch of resolved) {
          if (tag in obj && jsonEqual(obj[tag], pinned(branch))) {
            this.check(value, branch, path);
            return;
          }
        }
        const options = resolved.map(branch => shown(pinned(branch)));
        fail([...path, tag], `must be one of ${options.join(', ')}`);
      }
      let matches = 0;
      for (const branch of resolved) {
        try {
          this.check(value, branch, path);
          matches += 1;
        } catch (error) {
          if (!(error instanceof SchemaError)) {
            throw error;
          }
        }
      }
      if (matches !== 1) {
        fail(path, `matches ${matches} of its ${branches.length} forms`);
      }
    }
  }

  function fail(path: PathItem[], what: string): never {
    throw new SchemaError(path, `${where(path)} ${what}`);
  }
}
