import type { ParameterObject } from '../../openapi/types.js';
import { scanJson, type JsonLimits } from './json-scan.js';

/** One violation: a JSON pointer into the request and a short reason (never the value). */
export interface Violation {
  readonly pointer: string;
  readonly reason: string;
}

type Shape = 'array' | 'object' | 'scalar';

/** A parameter with its serialisation decided at load. */
export interface CompiledParam {
  readonly name: string;
  readonly in: ParameterObject['in'];
  readonly style: string;
  readonly explode: boolean;
  readonly shape: Shape;
  /** Declared property names of an object parameter (exploded form objects use them as keys). */
  readonly props: readonly string[];
  /** The parameter uses `content` with a JSON media type instead of `schema`. */
  readonly json: boolean;
}

const DEFAULT_STYLE = { query: 'form', cookie: 'form', path: 'simple', header: 'simple' } as const;
const ALLOWED_STYLES: Record<ParameterObject['in'], readonly string[]> = {
  query: ['form', 'spaceDelimited', 'pipeDelimited', 'deepObject'],
  path: ['simple', 'label', 'matrix'],
  header: ['simple'],
  cookie: ['form'],
};

/** The schema a parameter is validated with (`schema`, or the schema of its single `content` entry). */
export function paramSchema(p: ParameterObject): unknown {
  if (p.schema !== undefined) return p.schema;
  const content = p.content as Record<string, { schema?: unknown }> | undefined;
  return content === undefined ? undefined : Object.values(content)[0]?.schema;
}

function shapeOf(schema: unknown): { shape: Shape; props: string[] } {
  if (typeof schema !== 'object' || schema === null) return { shape: 'scalar', props: [] };
  const s = schema as Record<string, unknown>;
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes('array') || (s.type === undefined && s.items !== undefined)) return { shape: 'array', props: [] };
  if (types.includes('object') || (s.type === undefined && s.properties !== undefined)) {
    return { shape: 'object', props: typeof s.properties === 'object' && s.properties !== null ? Object.keys(s.properties) : [] };
  }
  return { shape: 'scalar', props: [] };
}

/**
 * Decides how each parameter is read. Throws on a style the location does not allow.
 *
 * @example
 * const params = compileParams(operation.parameters);
 */
export function compileParams(params: readonly ParameterObject[]): CompiledParam[] {
  return params.map((p) => {
    const style = typeof p.style === 'string' ? p.style : DEFAULT_STYLE[p.in];
    if (!ALLOWED_STYLES[p.in].includes(style)) throw new Error(`parameter "${p.name}" in ${p.in}: style "${style}" is not allowed there`);
    const content = p.content as Record<string, unknown> | undefined;
    const json = p.schema === undefined && content !== undefined && Object.keys(content).some((k) => k.includes('json'));
    const { shape, props } = json ? { shape: 'scalar' as Shape, props: [] } : shapeOf(p.schema);
    return { name: p.name, in: p.in, style, explode: typeof p.explode === 'boolean' ? p.explode : style === 'form', shape, props, json };
  });
}

/** Escapes one JSON-pointer segment. */
export function seg(s: string): string {
  return s.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * Splits a raw query string into decoded name → values; undefined on bad percent-encoding
 * or more than `maxPairs` pairs.
 *
 * @example
 * parseQuery('a=1&a=2&b=x%20y', 100); // Map { 'a' => ['1', '2'], 'b' => ['x y'] }
 */
export function parseQuery(raw: string, maxPairs: number): Map<string, string[]> | undefined {
  const out = new Map<string, string[]>();
  if (raw === '') return out;
  const pairs = raw.split('&');
  if (pairs.length > maxPairs) return undefined;
  try {
    for (const pair of pairs) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const k = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replaceAll('+', ' '));
      const v = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replaceAll('+', ' '));
      const list = out.get(k);
      if (list === undefined) out.set(k, [v]); else list.push(v);
    }
  } catch {
    return undefined;
  }
  return out;
}

/** Parses a Cookie header into name → value (the first of duplicates is kept as browsers send it). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const k = part.slice(0, eq).trim();
    if (!out.has(k)) out.set(k, part.slice(eq + 1).trim());
  }
  return out;
}

function pairsToObject(list: string[], sepKv: string | undefined): Record<string, string> | undefined {
  const obj: Record<string, string> = Object.create(null) as Record<string, string>;
  if (sepKv === undefined) {
    if (list.length % 2 !== 0) return undefined;
    for (let i = 0; i < list.length; i += 2) obj[list[i]!] = list[i + 1]!;
  } else {
    for (const item of list) {
      const eq = item.indexOf(sepKv);
      if (eq <= 0) return undefined;
      obj[item.slice(0, eq)] = item.slice(eq + 1);
    }
  }
  return { ...obj };
}

/** Turns one serialised string into the value the schema sees (before coercion). */
function deserialise(p: CompiledParam, raw: string, sep: string, jsonLimits: JsonLimits): unknown {
  if (p.json) {
    if (scanJson(raw, jsonLimits) !== undefined) return undefined;
    return JSON.parse(raw) as unknown;
  }
  if (p.shape === 'scalar') return raw;
  const list = raw === '' ? [] : raw.split(sep);
  if (p.shape === 'array') return list;
  return pairsToObject(list, p.explode ? '=' : undefined);
}

const UNDEFINED = Symbol('malformed');

/** Reads a path parameter per simple / label / matrix style. */
export function readPath(p: CompiledParam, raw: string, limits: JsonLimits): unknown {
  if (p.style === 'simple') return deserialise(p, raw, ',', limits) ?? UNDEFINED;
  if (p.style === 'label') {
    if (!raw.startsWith('.')) return UNDEFINED;
    return deserialise(p, raw.slice(1), p.explode && p.shape !== 'scalar' ? '.' : ',', limits) ?? UNDEFINED;
  }
  // matrix
  if (!raw.startsWith(';')) return UNDEFINED;
  const parts = raw.slice(1).split(';');
  if (p.shape === 'object' && p.explode) return pairsToObject(parts, '=') ?? UNDEFINED;
  const prefix = `${p.name}=`;
  if (p.shape === 'array' && p.explode) {
    if (!parts.every((x) => x.startsWith(prefix))) return UNDEFINED;
    return parts.map((x) => x.slice(prefix.length));
  }
  if (parts.length !== 1) return UNDEFINED;
  if (parts[0] === p.name && p.shape === 'scalar') return '';
  if (!parts[0]!.startsWith(prefix)) return UNDEFINED;
  return deserialise(p, parts[0]!.slice(prefix.length), ',', limits) ?? UNDEFINED;
}

/**
 * Reads the query parameters of an operation from the parsed query. Keys it uses are
 * removed from `query`, so what remains afterwards is unknown.
 */
export function readQuery(p: CompiledParam, query: Map<string, string[]>, limits: JsonLimits, out: Violation[]): unknown {
  const at = `/query/${seg(p.name)}`;
  if (p.style === 'deepObject') {
    const obj: Record<string, string> = {};
    let found = false;
    for (const [k, vs] of [...query]) {
      if (!k.startsWith(`${p.name}[`) || !k.endsWith(']')) continue;
      const prop = k.slice(p.name.length + 1, -1);
      if (prop.includes('[') || prop.includes(']') || vs.length > 1) { out.push({ pointer: at, reason: 'malformed deepObject parameter' }); return undefined; }
      Object.defineProperty(obj, prop, { value: vs[0], enumerable: true, writable: true, configurable: true });
      query.delete(k);
      found = true;
    }
    return found ? obj : undefined;
  }
  if (p.explode && p.shape === 'object') {
    const obj: Record<string, unknown> = {};
    let found = false;
    for (const prop of p.props) {
      const vs = query.get(prop);
      if (vs === undefined) continue;
      obj[prop] = vs.length === 1 ? vs[0] : vs;
      query.delete(prop);
      found = true;
    }
    return found ? obj : undefined;
  }
  const vs = query.get(p.name);
  if (vs === undefined) return undefined;
  query.delete(p.name);
  if (p.explode && p.shape === 'array') return vs;
  // A repeated scalar is HTTP parameter pollution: which copy the upstream reads is unknowable.
  if (vs.length > 1) { out.push({ pointer: at, reason: 'must not be repeated' }); return undefined; }
  const sep = p.style === 'spaceDelimited' ? ' ' : p.style === 'pipeDelimited' ? '|' : ',';
  const v = deserialise(p, vs[0]!, sep, limits);
  if (v === undefined) out.push({ pointer: at, reason: 'malformed parameter' });
  return v;
}

/** Reads a header (simple style) or cookie (form style) parameter value. */
export function readSimple(p: CompiledParam, raw: string, limits: JsonLimits): unknown {
  if (p.in === 'header' && p.shape === 'array') return raw.split(',').map((x) => x.trim());
  return deserialise(p, raw, ',', limits) ?? UNDEFINED;
}

/** True when a reader reported the value as malformed. */
export function isMalformed(v: unknown): boolean {
  return v === UNDEFINED;
}
