import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import type { TSchema } from '@sinclair/typebox';
import { isHttpUrl } from './http-url.js';
import type { Anchor } from './locate.js';
import { pointerToPath, type PathSegment } from './path.js';
import { closestKey } from './suggest.js';

// ajv-formats is CommonJS with a default export; under NodeNext its type is the module object.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

/** A validation failure, mapped to a readable message and the node it belongs to. */
export interface SchemaProblem {
  readonly path: PathSegment[];
  readonly message: string;
  readonly anchor: Anchor;
}

let shared: Ajv | undefined;
const validators = new WeakMap<object, ValidateFunction>();

/**
 * The one Ajv instance for config validation: all errors, defaults applied,
 * strict schemas, ajv-formats plus `http-url`.
 *
 * @example
 * configAjv().validate({ type: 'string', format: 'http-url' }, 'https://api.example'); // true
 */
export function configAjv(): Ajv {
  if (shared === undefined) {
    // verbose: keeps parentSchema on errors, needed to collapse anyOf and suggest keys.
    shared = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true });
    addFormats(shared);
    shared.addFormat('http-url', { type: 'string', validate: isHttpUrl });
  }
  return shared;
}

/**
 * Compiles a schema once; later calls with the same schema object reuse the validator.
 *
 * @example
 * const validate = compileSchema(ConfigSchema);
 */
export function compileSchema(schema: TSchema | object): ValidateFunction {
  let validate = validators.get(schema);
  if (validate === undefined) {
    validate = configAjv().compile(schema);
    validators.set(schema, validate);
  }
  return validate;
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer', number: 'a number', string: 'a string', boolean: 'a boolean',
  object: 'a mapping', array: 'a list', null: 'null',
};

function typeMessage(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return `must be ${types.map((t) => TYPE_NAMES[String(t)] ?? String(t)).join(' or ')}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function listValues(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

/** The keys an object accepts, for an unknown-key message (bounded: a schema may list many). */
function validKeys(keys: readonly string[]): string {
  const MAX = 30;
  return keys.length <= MAX ? keys.join(', ') : `${keys.slice(0, MAX).join(', ')}, and ${keys.length - MAX} more`;
}

function mapOne(error: ErrorObject, data: unknown): SchemaProblem {
  const path = pointerToPath(error.instancePath, data);
  const params = error.params as Record<string, unknown>;
  const at = (message: string, anchor: Anchor = 'node'): SchemaProblem => ({ path, message, anchor });
  switch (error.keyword) {
    case 'required':
      return { path: [...path, String(params.missingProperty)], message: 'is required', anchor: 'parent' };
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const parent = error.parentSchema as { properties?: Record<string, unknown>; patternProperties?: Record<string, unknown> } | undefined;
      const valid = Object.keys(parent?.properties ?? {});
      const suggestion = closestKey(key, valid);
      const patterns = Object.keys(parent?.patternProperties ?? {});
      let message = `unknown key "${key}"`;
      if (suggestion !== undefined) message += ` (did you mean "${suggestion}"?)`;
      else if (patterns.length > 0) message += ` (keys must match ${patterns.join(' or ')})`;
      if (valid.length > 0) message += `; valid keys: ${validKeys(valid)}`;
      return { path: [...path, key], message, anchor: 'key' };
    }
    case 'type': return at(typeMessage(params.type));
    case 'format': return at(params.format === 'http-url' ? 'must be an http(s) URL' : `must be a valid ${String(params.format)}`);
    case 'enum': return at(`must be one of: ${listValues(params.allowedValues as unknown[])}`);
    case 'const': return at(`must be ${JSON.stringify(params.allowedValue)}`);
    case 'minItems': return at(`must have at least ${plural(Number(params.limit), 'item')}`);
    case 'maxItems': return at(`must have at most ${plural(Number(params.limit), 'item')}`);
    case 'minLength': return at(Number(params.limit) === 1 ? 'must not be empty' : `must be at least ${plural(Number(params.limit), 'character')}`);
    case 'maxLength': return at(`must be at most ${plural(Number(params.limit), 'character')}`);
    case 'minProperties': return at(`must have at least ${plural(Number(params.limit), 'key')}`);
    case 'uniqueItems': return at(`must not repeat items (items ${String(params.j)} and ${String(params.i)} are equal)`);
    default: return at(error.message ?? 'is invalid');
  }
}

function branchOf(error: ErrorObject, prefix: string): number {
  return Number(error.schemaPath.slice(prefix.length).split('/')[0]);
}

/** One message for a failed anyOf/oneOf, from its branch schemas and branch errors. */
function mapUnion(union: ErrorObject, inner: ErrorObject[], data: unknown): SchemaProblem[] {
  const branches = ((union.schema ?? []) as Array<Record<string, unknown>>);
  const path = pointerToPath(union.instancePath, data);
  if (branches.length > 0 && branches.every((b) => 'const' in b)) {
    return [{ path, message: `must be one of: ${listValues(branches.map((b) => b.const))}`, anchor: 'node' }];
  }
  const prefix = `${union.schemaPath}/`;
  // A branch whose type matched is the one the author meant: report its errors instead.
  const typeMismatch = new Set(inner.filter((e) => e.keyword === 'type' && e.instancePath === union.instancePath).map((e) => branchOf(e, prefix)));
  const candidates = branches.map((_, i) => i).filter((i) => !typeMismatch.has(i));
  if (candidates.length === 1) {
    const chosen = candidates[0];
    return mapErrors(inner.filter((e) => branchOf(e, prefix) === chosen), data);
  }
  const types = branches.map((b) => b.type).filter((t) => t !== undefined);
  if (types.length === branches.length) return [{ path, message: typeMessage([...new Set(types.flat())]), anchor: 'node' }];
  return [{ path, message: 'does not match any allowed form', anchor: 'node' }];
}

/**
 * Turns Ajv errors into readable problems: unions of literals become
 * `must be one of: ...`, unknown keys suggest the closest valid key, a missing
 * property points at its parent. Order follows Ajv; dedupe and sorting come later.
 *
 * @example
 * if (!validate(data)) problems = mapErrors(validate.errors ?? [], data);
 */
export function mapErrors(errors: readonly ErrorObject[], data: unknown): SchemaProblem[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const insideUnion = (e: ErrorObject, u: ErrorObject): boolean => e !== u && e.schemaPath.startsWith(`${u.schemaPath}/`);
  // Only the outermost unions; nested ones are handled when their branch is chosen.
  const outer = unions.filter((u) => !unions.some((o) => insideUnion(u, o)));
  const out: SchemaProblem[] = [];
  for (const error of errors) {
    if (outer.some((u) => insideUnion(error, u))) continue;
    if (outer.includes(error)) out.push(...mapUnion(error, errors.filter((e) => insideUnion(e, error)), data));
    else if (error.keyword !== 'if') out.push(mapOne(error, data));
  }
  return out;
}
