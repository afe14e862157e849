import { OPERATION_METHODS, type OperationInfo } from '../../openapi/types.js';
import type { Tokens } from './document.js';

/** One schema met while walking an operation's inputs or outputs. */
export interface SchemaVisit {
  readonly schema: Readonly<Record<string, unknown>>;
  /** Path of the schema in the dereferenced document. */
  readonly at: Tokens;
  readonly operation: OperationInfo;
  /** The property name this schema is the value of, when it is one. */
  readonly property?: string;
  /** True when the schema is a property's own schema (not under `items`, `allOf`, …). */
  readonly direct: boolean;
  /** `request` covers parameters and request bodies; `response` the response bodies. */
  readonly side: 'request' | 'response';
  /** True inside a request body (not a parameter). */
  readonly body: boolean;
}

// Schemas can nest without end through cycles; this bounds one walk.
const MAX_DEPTH = 24;

/** Where an operation's object is in the dereferenced document. */
export function operationTokens(op: OperationInfo): Tokens {
  const method = OPERATION_METHODS.find((m) => m.toUpperCase() === op.method)!;
  return ['paths', op.pathTemplate, method];
}

/**
 * Every schema of every operation, request side and response side, each object visited once per
 * side (shared component schemas are reported once). Walks `properties`, `items`, `prefixItems`,
 * `additionalProperties`, `allOf`/`anyOf`/`oneOf` and `not`.
 *
 * @example
 * for (const v of walkSchemas(doc.api.raw, doc.api.operations)) if (v.side === 'request') console.log(v.at);
 */
export function walkSchemas(raw: Record<string, unknown>, operations: readonly OperationInfo[]): SchemaVisit[] {
  const out: SchemaVisit[] = [];
  const seen = { request: new WeakSet<object>(), response: new WeakSet<object>() };
  const visit = (schema: unknown, at: Tokens, op: OperationInfo, side: 'request' | 'response', body: boolean, property: string | undefined, direct: boolean, depth: number): void => {
    if (!isRecord(schema) || depth > MAX_DEPTH || seen[side].has(schema)) return;
    seen[side].add(schema);
    out.push({ schema, at, operation: op, side, body, direct, ...(property !== undefined ? { property } : {}) });
    if (isRecord(schema.properties)) {
      for (const [name, sub] of Object.entries(schema.properties)) visit(sub, [...at, 'properties', name], op, side, body, name, true, depth + 1);
    }
    if (isRecord(schema.items)) visit(schema.items, [...at, 'items'], op, side, body, property, false, depth + 1);
    if (isRecord(schema.additionalProperties)) visit(schema.additionalProperties, [...at, 'additionalProperties'], op, side, body, undefined, false, depth + 1);
    for (const key of ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const) {
      const list = schema[key];
      if (Array.isArray(list)) list.forEach((sub, i) => visit(sub, [...at, key, i], op, side, body, property, false, depth + 1));
    }
  };
  for (const op of operations) {
    const opAt = operationTokens(op);
    const item = raw.paths !== undefined ? (raw.paths as Record<string, Record<string, unknown>>)[op.pathTemplate] : undefined;
    const opObject = item?.[opAt[2] as string] as Record<string, unknown> | undefined;
    for (const p of op.parameters) {
      const own = Array.isArray(opObject?.parameters) ? (opObject.parameters as unknown[]).indexOf(p) : -1;
      const pAt: Tokens = own >= 0 ? [...opAt, 'parameters', own] : ['paths', op.pathTemplate, 'parameters', Array.isArray(item?.parameters) ? (item.parameters as unknown[]).indexOf(p) : 0];
      visit(p.schema, [...pAt, 'schema'], op, 'request', false, p.name, true, 0);
      forEachMedia(p.content, [...pAt, 'content'], (s, sAt) => visit(s, sAt, op, 'request', false, p.name, true, 0));
    }
    if (isRecord(op.requestBody)) {
      forEachMedia(op.requestBody.content, [...opAt, 'requestBody', 'content'], (s, sAt) => visit(s, sAt, op, 'request', true, undefined, false, 0));
    }
    if (isRecord(op.responses)) {
      for (const [code, response] of Object.entries(op.responses)) {
        if (!isRecord(response)) continue;
        forEachMedia(response.content, [...opAt, 'responses', code, 'content'], (s, sAt) => visit(s, sAt, op, 'response', false, undefined, false, 0));
      }
    }
  }
  return out;
}

function forEachMedia(content: unknown, at: Tokens, fn: (schema: unknown, at: Tokens) => void): void {
  if (!isRecord(content)) return;
  for (const [type, media] of Object.entries(content)) {
    if (isRecord(media)) fn(media.schema, [...at, type, 'schema']);
  }
}

/** True for a plain object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The schema's types: `type: x` or `type: [x, 'null']` (3.1), lower-case. */
export function typesOf(schema: Readonly<Record<string, unknown>>): string[] {
  const t = schema.type;
  if (typeof t === 'string') return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === 'string');
  return [];
}
