/**
 * `principal.id` is a string and JSON numbers are CEL doubles, so `response.body.user_id ==
 * principal.id` is never true when the schema says `user_id` is a number: a rule that silently
 * never matches (issue 14, item 5). This finds such comparisons in a parsed expression, and checks
 * them against the operation's OpenAPI schemas at load.
 */

interface ExprNode { exprKind: { case: string | undefined; value?: unknown } }

/** A field compared with `principal.id`: its root variable and the fields selected from it. */
export interface IdComparison {
  /** `request.body`, `response.body` or `item`. */
  readonly root: 'request.body' | 'response.body' | 'item';
  readonly fields: readonly string[];
}

/** `a.b.c` as ['a', 'b', 'c'] when the node is a plain selection chain from an identifier. */
function selectChain(node: ExprNode): string[] | undefined {
  const out: string[] = [];
  let n = node;
  while (n.exprKind.case === 'selectExpr') {
    const v = n.exprKind.value as { operand: ExprNode; field: string; testOnly?: boolean };
    if (v.testOnly === true) return undefined;
    out.unshift(v.field);
    n = v.operand;
  }
  if (n.exprKind.case !== 'identExpr') return undefined;
  out.unshift((n.exprKind.value as { name: string }).name);
  return out;
}

function asComparison(chain: string[]): IdComparison | undefined {
  if (chain[0] === 'item') return { root: 'item', fields: chain.slice(1) };
  if ((chain[0] === 'request' || chain[0] === 'response') && chain[1] === 'body' && chain.length > 2) {
    return { root: `${chain[0]}.body` as IdComparison['root'], fields: chain.slice(2) };
  }
  return undefined;
}

/** Every `X == principal.id` / `X != principal.id` (either side) where X is a body or item field. */
export function idComparisons(root: ExprNode): IdComparison[] {
  const out: IdComparison[] = [];
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || typeof node !== 'object') continue;
    const kind = (node as ExprNode).exprKind;
    if (kind?.case === 'callExpr') {
      const v = kind.value as { function: string; args: ExprNode[] };
      if ((v.function === '_==_' || v.function === '_!=_') && v.args.length === 2) {
        const [a, b] = v.args.map(selectChain);
        const other = a?.join('.') === 'principal.id' ? b : b?.join('.') === 'principal.id' ? a : undefined;
        const c = other === undefined ? undefined : asComparison(other);
        if (c !== undefined) out.push(c);
      }
    }
    // Walk every child expression, whatever its kind (call args, list elements, comprehension parts).
    if (kind?.value !== undefined && typeof kind.value === 'object') {
      for (const child of Object.values(kind.value as Record<string, unknown>)) {
        if (Array.isArray(child)) pending.push(...child);
        else if (child !== null && typeof child === 'object') pending.push(child);
      }
    }
    if ((node as { keyKind?: { value?: unknown } }).keyKind !== undefined) pending.push((node as { keyKind: { value?: unknown } }).keyKind.value);
    if ((node as { value?: unknown }).value !== undefined && kind === undefined) pending.push((node as { value: unknown }).value);
  }
  return out;
}

type Schema = Record<string, unknown>;
const isObj = (x: unknown): x is Schema => x !== null && typeof x === 'object' && !Array.isArray(x);

/** The JSON media type schemas of a request body or response object. */
function jsonSchemas(holder: unknown): Schema[] {
  const content = isObj(holder) && isObj(holder.content) ? holder.content : {};
  return Object.entries(content).filter(([t, m]) => /(^application\/json$)|(\+json$)/i.test(t.split(';')[0]!.trim()) && isObj(m) && isObj(m.schema)).map(([, m]) => (m as { schema: Schema }).schema);
}

/** The schemas of a property path, through allOf/oneOf/anyOf; bounded depth (schemas may be cyclic). */
function descend(schemas: Schema[], fields: readonly string[], depth = 0): Schema[] {
  if (depth > 32) return [];
  const expand = (s: Schema): Schema[] => {
    const parts = ['allOf', 'oneOf', 'anyOf'].flatMap((k) => (Array.isArray(s[k]) ? (s[k] as unknown[]).filter(isObj) : []));
    return [s, ...parts.flatMap((p) => expand(p))];
  };
  if (fields.length === 0) return schemas.flatMap(expand);
  const [head, ...rest] = fields;
  const next = schemas.flatMap(expand).flatMap((s) => (isObj(s.properties) && isObj(s.properties[head!]) ? [s.properties[head!] as Schema] : []));
  return next.length === 0 ? [] : descend(next, rest, depth + 1);
}

/** Numeric when every typed schema found says number/integer (and none allows a string). */
function numericOnly(schemas: Schema[]): string | undefined {
  const types = schemas.flatMap((s) => (typeof s.type === 'string' ? [s.type] : Array.isArray(s.type) ? s.type.map(String) : []));
  if (types.length === 0 || types.some((t) => t !== 'integer' && t !== 'number' && t !== 'null')) return undefined;
  return types.includes('integer') ? 'integer' : 'number';
}

/** The operation's schemas the comparisons are checked against. */
export interface OperationSchemas {
  readonly requestBody?: unknown;
  readonly responses?: unknown;
}

/**
 * Throws when a comparison with `principal.id` meets a field the schema declares numeric.
 * `items` (JSON pointer tokens into the 2xx response body) locates `item` for response rules.
 */
export function checkIdComparisons(comparisons: readonly IdComparison[], op: OperationSchemas, items: readonly string[] | undefined): void {
  for (const c of comparisons) {
    let bases: Schema[];
    if (c.root === 'request.body') bases = jsonSchemas(op.requestBody);
    else {
      const responses = isObj(op.responses) ? Object.entries(op.responses).filter(([s]) => /^2(\d\d|XX)$/i.test(s)).flatMap(([, r]) => jsonSchemas(r)) : [];
      bases = c.root === 'response.body' ? responses : items === undefined ? [] : descend(responses, items).flatMap((s) => (isObj(s.items) ? [s.items] : []));
    }
    const type = numericOnly(descend(bases, c.fields));
    if (type === undefined) continue;
    const field = [c.root, ...c.fields].join('.');
    throw new Error(`compares principal.id (always a string) with ${field}, which the OpenAPI schema declares as ${type}: they are never equal. Write ${field} == int(principal.id) (see docs/reference/authorization.md)`);
  }
}
