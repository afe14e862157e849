/**
 * Field NAMES of a request body, never values: top-level names and one level below
 * (`address.city`), for JSON objects and form-urlencoded bodies. Names that do not look like
 * identifiers (a map keyed by e-mail addresses, ids, free text) are left out, because there a
 * "name" is data.
 *
 * @example
 * bodyFieldNames(Buffer.from('{"name":"x","address":{"city":"y"}}'), 'application/json'); // ['name', 'address', 'address.city']
 */
export function bodyFieldNames(body: Buffer, contentType: string | undefined, max = 30): string[] {
  const essence = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const out: string[] = [];
  const add = (name: string) => { if (out.length < max && NAME.test(name) && !out.includes(name)) out.push(name); };
  if (essence === 'application/json' || essence.endsWith('+json')) {
    let value: unknown;
    try { value = JSON.parse(body.toString('utf8')); } catch { return out; }
    const obj = Array.isArray(value) ? value[0] : value;
    if (!isObject(obj)) return out;
    for (const [k, v] of Object.entries(obj)) {
      add(k);
      const inner = Array.isArray(v) ? v[0] : v;
      if (isObject(inner) && NAME.test(k)) for (const k2 of Object.keys(inner)) add(`${k}.${k2}`);
    }
  } else if (essence === 'application/x-www-form-urlencoded') {
    for (const k of new URLSearchParams(body.toString('latin1')).keys()) add(k);
  }
  return out;
}

const NAME = /^[A-Za-z_$][A-Za-z0-9_$-]{0,47}(\.[A-Za-z_$][A-Za-z0-9_$-]{0,47})?$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
