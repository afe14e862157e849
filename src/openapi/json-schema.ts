/**
 * Turns a dereferenced OpenAPI schema (3.0 or 3.1, possibly with object cycles) into a
 * self-contained JSON Schema 2020-12 document that Ajv's 2020 build can compile.
 *
 * - Cycles are re-bundled: every object reached by a back edge becomes a `$defs` entry
 *   referenced with `$ref`, so the output is a finite tree.
 * - 3.0 dialect: `nullable` becomes a `null` type (or an `anyOf` with `{ type: 'null' }`),
 *   boolean `exclusiveMinimum`/`exclusiveMaximum` become the numeric form; `discriminator`
 *   is dropped (its `oneOf` still decides), as are `example`, `xml` and `externalDocs`.
 * - Direction `request`: `readOnly` properties become `false` (sending one is an error) and
 *   leave `required`. Direction `response`: `writeOnly` properties leave `required`.
 * - `strict`: every object schema that does not set `additionalProperties` or
 *   `unevaluatedProperties` gets `unevaluatedProperties: false` (mass assignment). It is put
 *   on the schema that owns the instance, never on an `allOf` fragment, so compositions work.
 */

/** How a schema is converted. */
export interface ConvertOptions {
  readonly version: '3.0' | '3.1';
  readonly direction: 'request' | 'response' | 'parameter';
  readonly strict: boolean;
}

type Obj = Record<string, unknown>;
type Schema = Obj | boolean;

const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'] as const;
const SCHEMA_ONE = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties', 'additionalItems'] as const;
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;
const DROP = new Set(['discriminator', 'example', 'xml', 'externalDocs', 'nullable', '$id', '$schema', '$anchor', '$dynamicAnchor', '$comment']);
/** Keywords whose sub-schemas describe the same instance as their parent (fragments). */
const SAME_INSTANCE = new Set(['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentSchemas']);

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects that a depth-first walk reaches through a back edge: breaking them breaks every cycle. */
function findRecursive(root: unknown): Set<object> {
  const recursive = new Set<object>();
  const done = new Set<object>();
  const onStack = new Set<object>();
  // Explicit stack: a deeply nested document must not overflow the call stack at load.
  const stack: { node: object; children: unknown[]; i: number }[] = [];
  const push = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    if (onStack.has(node)) { recursive.add(node); return; }
    if (done.has(node)) return;
    onStack.add(node);
    stack.push({ node, children: Array.isArray(node) ? node : Object.values(node), i: 0 });
  };
  push(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i < top.children.length) {
      push(top.children[top.i++]);
    } else {
      stack.pop();
      onStack.delete(top.node);
      done.add(top.node);
    }
  }
  return recursive;
}

/** True when the schema describes an object by its own keywords. */
export function ownsObject(s: Obj): boolean {
  const t = s.type;
  return t === 'object' || (Array.isArray(t) && t.includes('object')) || isObj(s.properties) || isObj(s.patternProperties);
}

/**
 * Converts one dereferenced schema. Never mutates its input.
 *
 * @example
 * const js = toJsonSchema(op.requestBody.content['application/json'].schema, { version: '3.0', direction: 'request', strict: true });
 * const validate = ajv.compile(js);
 */
export function toJsonSchema(schema: unknown, opts: ConvertOptions): Schema {
  if (schema === undefined) return true;
  const recursive = findRecursive(schema);
  const names = new Map<object, Map<boolean, string>>();
  const defs: Obj = {};

  const conv = (node: unknown, fragment: boolean): Schema => {
    if (typeof node === 'boolean') return node;
    if (!isObj(node)) return true;
    if (recursive.has(node)) {
      let byFrag = names.get(node);
      if (byFrag === undefined) { byFrag = new Map(); names.set(node, byFrag); }
      let name = byFrag.get(fragment);
      if (name === undefined) {
        name = `r${Object.keys(defs).length}`;
        byFrag.set(fragment, name);
        defs[name] = true;
        defs[name] = body(node, fragment);
      }
      return { $ref: `#/$defs/${name}` };
    }
    return body(node, fragment);
  };

  const body = (s: Obj, fragment: boolean): Obj => {
    const out: Obj = {};
    const owns = ownsObject(s);
    for (const [k, v] of Object.entries(s)) {
      if (DROP.has(k) || k.startsWith('x-')) continue;
      if ((SCHEMA_MAPS as readonly string[]).includes(k) && isObj(v)) {
        const m: Obj = {};
        for (const [pk, pv] of Object.entries(v)) m[pk] = conv(pv, k === 'dependentSchemas');
        out[k] = m;
      } else if ((SCHEMA_LISTS as readonly string[]).includes(k) && Array.isArray(v)) {
        // oneOf/anyOf branches are whole schemas of the instance unless the parent declares
        // properties itself; allOf members are always fragments of their parent.
        const frag = k === 'allOf' || (k !== 'prefixItems' && (owns || fragment));
        out[k] = v.map((x) => conv(x, frag));
      } else if ((SCHEMA_ONE as readonly string[]).includes(k) && (isObj(v) || typeof v === 'boolean')) {
        out[k] = conv(v, SAME_INSTANCE.has(k));
      } else {
        out[k] = v;
      }
    }
    if (opts.version === '3.0') dialect30(s, out);
    const props = isObj(out.properties) ? out.properties : undefined;
    if (props !== undefined && isObj(s.properties)) {
      const hidden = opts.direction === 'request' ? 'readOnly' : opts.direction === 'response' ? 'writeOnly' : undefined;
      if (hidden !== undefined) {
        const drop = Object.entries(s.properties).filter(([, ps]) => isObj(ps) && ps[hidden] === true).map(([n]) => n);
        for (const n of drop) if (opts.direction === 'request') props[n] = false;
        if (drop.length > 0 && Array.isArray(out.required)) out.required = out.required.filter((r) => !drop.includes(String(r)));
      }
    }
    const composed = Array.isArray(s.allOf) && s.allOf.some((x) => isObj(x) && ownsObject(x));
    if (opts.strict && opts.direction !== 'parameter' && !fragment && (owns || composed)
      && !('additionalProperties' in s) && !('unevaluatedProperties' in s)) {
      out.unevaluatedProperties = false;
    }
    if (opts.version === '3.0' && s.nullable === true) return nullable(out);
    return out;
  };

  const root = conv(schema, false);
  if (Object.keys(defs).length === 0) return root;
  return isObj(root) && !('$defs' in root) ? { ...root, $defs: defs } : { allOf: [root], $defs: defs };
}

function dialect30(src: Obj, out: Obj): void {
  for (const [flag, bound] of [['exclusiveMaximum', 'maximum'], ['exclusiveMinimum', 'minimum']] as const) {
    if (typeof src[flag] !== 'boolean') continue;
    delete out[flag];
    if (src[flag] === true && typeof src[bound] === 'number') {
      out[flag] = src[bound];
      delete out[bound];
    }
  }
}

function nullable(out: Obj): Obj {
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    return out;
  }
  if (Array.isArray(out.type)) {
    if (!out.type.includes('null')) out.type = [...out.type, 'null'];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}
