/**
 * JSON body → ARGS_POST, keys flattened as `json.a.b` / `json.list.0` (Coraza's naming).
 */
import { toByteString, byteStringToUtf8 } from '../bytes.js';

const MAX_DEPTH = 1024;

/**
 * Flattens a JSON document into name/value pairs; throws on invalid JSON or excessive depth.
 *
 * @example
 * flattenJson('{"a":{"b":[1,"x"]}}') // [['json.a.b.0','1'],['json.a.b.1','x']]
 */
export function flattenJson(body: string): Array<[string, string]> {
  const doc: unknown = JSON.parse(byteStringToUtf8(body));
  const out: Array<[string, string]> = [];
  walk(doc, 'json', 0, out);
  return out;
}

function walk(v: unknown, prefix: string, depth: number, out: Array<[string, string]>): void {
  if (depth > MAX_DEPTH) throw new Error('JSON nesting too deep');
  if (Array.isArray(v)) {
    v.forEach((item, i) => walk(item, `${prefix}.${i}`, depth + 1, out));
    return;
  }
  if (v !== null && typeof v === 'object') {
    for (const [k, item] of Object.entries(v as Record<string, unknown>)) walk(item, `${prefix}.${toByteString(k)}`, depth + 1, out);
    return;
  }
  out.push([prefix, v === null ? '' : toByteString(String(v))]);
}
