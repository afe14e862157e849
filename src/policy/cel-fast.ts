/**
 * A direct evaluator for the commonest rule shapes: string compares, `in` and `has()` over the
 * request, the principal and JSON bodies, joined by `&&`, `||` and `!`. It reads the request
 * context itself, so a rule of that shape costs no CEL activation (the `request`, `principal`
 * and `response` maps, ~10 µs per request) and no interpreter.
 *
 * It answers only where the answer cannot differ from the CEL library's: both sides of a compare
 * are strings, a map lookup hits an own key of a plain object. Anything else (a missing key,
 * which is a CEL error; a number, which CEL compares by its own rules; a Map or class instance)
 * is `undefined`, and the caller evaluates the expression with the library as before.
 */
import type { Principal, RequestContext } from '../pipeline/context.js';

/** What a fast condition reads: the request, and on the response side the parsed body and list item. */
export interface FastFacts {
  readonly ctx: RequestContext;
  readonly body?: unknown;
  readonly item?: unknown;
}

/** true or false when certain; undefined: evaluate with the CEL library. */
export type FastCondition = (facts: FastFacts) => boolean | undefined;

type Getter = (facts: FastFacts) => unknown;
interface ExprNode { exprKind: { case: string | undefined; value?: unknown } }
interface Call { function: string; target?: ExprNode; args: ExprNode[] }

/** Stands for "not known here": a key that is absent, a value of another shape. */
const UNKNOWN: unique symbol = Symbol('unknown');

const isRecord = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};
// Own and enumerable: the entries the library's map conversion sees ("__proto__" from JSON.parse included).
const ownKey = (o: Record<string, unknown>, k: string): boolean => Object.prototype.propertyIsEnumerable.call(o, k);
const lookup = (v: unknown, k: string): unknown => (isRecord(v) && ownKey(v, k) ? v[k] : UNKNOWN);

// The roots the activation builds (variables.ts), as fields read straight from the context.
const principalOf = (f: FastFacts): Principal | undefined => f.ctx.principal;
const REQUEST_FIELDS: Record<string, Getter> = {
  method: (f) => f.ctx.method,
  path: (f) => f.ctx.path,
  ip: (f) => f.ctx.client.ip,
  params: (f) => f.ctx.route.params,
  headers: (f) => f.ctx.headers,
  operationId: (f) => f.ctx.route.operationId ?? '',
};
const PRINCIPAL_FIELDS: Record<string, Getter> = {
  id: (f) => principalOf(f)?.id ?? '',
  kind: (f) => principalOf(f)?.kind ?? 'anonymous',
  claims: (f) => principalOf(f)?.claims ?? {},
  roles: (f) => principalOf(f)?.roles ?? [],
  scopes: (f) => principalOf(f)?.scopes ?? [],
};

/**
 * Compiles a parsed expression into a fast condition, or undefined when its shape is not covered.
 *
 * @example
 * const fast = compileFast(parse("request.params.tenantId == 'acme'").expr);
 * fast?.({ ctx }); // true, false, or undefined (then ask the CEL library)
 */
export function compileFast(root: unknown): FastCondition | undefined {
  return condition(root as ExprNode);
}

function condition(node: ExprNode): FastCondition | undefined {
  if (node.exprKind.case === 'selectExpr') return has(node);
  if (node.exprKind.case !== 'callExpr') return undefined;
  const call = node.exprKind.value as Call;
  if (call.target !== undefined) return undefined;
  const [a, b] = call.args;
  switch (call.function) {
    case '_&&_': case '_||_': {
      const l = condition(a!);
      const r = condition(b!);
      if (l === undefined || r === undefined) return undefined;
      // CEL's && and || are commutative over errors: only a decisive side may settle the result alone.
      const decisive = call.function === '_&&_' ? false : true;
      return (f) => {
        const x = l(f);
        if (x === decisive) return x;
        const y = r(f);
        if (y === decisive) return y;
        return x === undefined || y === undefined ? undefined : x;
      };
    }
    case '!_': {
      const c = condition(a!);
      return c === undefined ? undefined : (f) => { const x = c(f); return x === undefined ? undefined : !x; };
    }
    case '_==_': case '_!=_': {
      const l = value(a!);
      const r = value(b!);
      if (l === undefined || r === undefined) return undefined;
      const negate = call.function === '_!=_';
      return (f) => {
        const x = l(f);
        const y = r(f);
        if (typeof x !== 'string' || typeof y !== 'string') return undefined;
        return (x === y) !== negate;
      };
    }
    case '@in': {
      const l = value(a!);
      const r = value(b!);
      if (l === undefined || r === undefined) return undefined;
      return (f) => {
        const x = l(f);
        const y = r(f);
        if (typeof x !== 'string') return undefined;
        if (isRecord(y)) return ownKey(y, x);
        if (Array.isArray(y) && y.every((e) => typeof e === 'string')) return y.includes(x);
        return undefined;
      };
    }
    default:
      return undefined;
  }
}

/** `has(x.f)`: whether a plain object has the own key `f`. */
function has(node: ExprNode): FastCondition | undefined {
  const sel = node.exprKind.value as { operand: ExprNode; field: string; testOnly?: boolean };
  if (sel.testOnly !== true) return undefined;
  const of = value(sel.operand);
  if (of === undefined) return undefined;
  return (f) => { const o = of(f); return isRecord(o) ? ownKey(o, sel.field) : undefined; };
}

/** A getter for a string literal or a selection chain from a known root; undefined when not covered. */
function value(node: ExprNode): Getter | undefined {
  const { case: kind, value: v } = node.exprKind;
  if (kind === 'constExpr') {
    const c = (v as { constantKind: { case: string; value: unknown } }).constantKind;
    if (c.case !== 'stringValue') return undefined;
    const s = c.value as string;
    return () => s;
  }
  const path: string[] = [];
  let n = node;
  for (;;) {
    if (n.exprKind.case === 'selectExpr') {
      const sel = n.exprKind.value as { operand: ExprNode; field: string; testOnly?: boolean };
      if (sel.testOnly === true) return undefined;
      path.unshift(sel.field);
      n = sel.operand;
    } else if (n.exprKind.case === 'callExpr' && (n.exprKind.value as Call).function === '_[_]') {
      const [on, key] = (n.exprKind.value as Call).args;
      const k = key!.exprKind;
      if (k.case !== 'constExpr') return undefined;
      const c = (k.value as { constantKind: { case: string; value: unknown } }).constantKind;
      if (c.case !== 'stringValue') return undefined;
      path.unshift(c.value as string);
      n = on!;
    } else {
      break;
    }
  }
  if (n.exprKind.case !== 'identExpr') return undefined;
  const name = (n.exprKind.value as { name: string }).name;
  let get: Getter;
  let rest: string[];
  if (name === 'request' || name === 'principal') {
    const fields = name === 'request' ? REQUEST_FIELDS : PRINCIPAL_FIELDS;
    const first = path[0];
    if (first === undefined || !Object.hasOwn(fields, first)) return undefined;
    get = fields[first]!;
    rest = path.slice(1);
  } else if (name === 'response' && path[0] === 'body') {
    get = (f) => f.body;
    rest = path.slice(1);
  } else if (name === 'item') {
    get = (f) => f.item;
    rest = path;
  } else {
    return undefined;
  }
  if (rest.length === 0) return get;
  return (f) => {
    let x = get(f);
    for (const k of rest) {
      x = lookup(x, k);
      if (x === UNKNOWN) return UNKNOWN;
    }
    return x;
  };
}
