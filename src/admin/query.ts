import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors/index.js';

/** A query parameter's limits: longest value and an optional shape. */
export interface ParamSpec {
  readonly max: number;
  readonly pattern?: RegExp;
}

/**
 * Reads the query string of an admin request against a whitelist: an unknown, repeated,
 * over-long or mis-shaped parameter is a 400 (PCL_BAD_REQUEST) naming it, never silently ignored.
 * Empty values count as absent (an empty form field).
 *
 * @example
 * const q = readQuery(req, { kind: { max: 64 }, limit: { max: 5, pattern: /^\d+$/ } });
 */
export function readQuery<K extends string>(req: IncomingMessage, spec: Readonly<Record<K, ParamSpec>>): Partial<Record<K, string>> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const out: Partial<Record<K, string>> = {};
  const bad = (detail: string) => new GatewayError('PCL_BAD_REQUEST', { detail, internal: detail });
  for (const [name, value] of params) {
    if (!Object.hasOwn(spec, name)) throw bad(`Unknown query parameter "${name.slice(0, 40)}".`);
    const s = spec[name as K];
    if (params.getAll(name).length > 1) throw bad(`Query parameter "${name}" is repeated.`);
    if (value === '') continue;
    if (value.length > s.max || (s.pattern !== undefined && !s.pattern.test(value))) throw bad(`Query parameter "${name}" is not acceptable.`);
    out[name as K] = value;
  }
  return out;
}

/** An ISO time or date (what `Date.parse` accepts, bounded): normalised to ISO. */
export const TIME: ParamSpec = { max: 40, pattern: /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/ };
/** A small positive integer. */
export const COUNT: ParamSpec = { max: 6, pattern: /^[1-9]\d{0,5}$/ };
/** Printable text without control characters. */
export const TEXT = (max: number): ParamSpec => ({ max, pattern: /^[^\u0000-\u001f\u007f]*$/ });

/**
 * Normalises a TIME parameter to ISO 8601 UTC; a 400 when it names no real instant.
 *
 * @example
 * isoTime('2026-01-02', 'since'); // '2026-01-02T00:00:00.000Z'
 */
export function isoTime(v: string | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new GatewayError('PCL_BAD_REQUEST', { detail: `Query parameter "${name}" is not a time.`, internal: `bad time ${name}` });
  return new Date(t).toISOString();
}
