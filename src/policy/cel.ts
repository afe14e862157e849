/**
 * The policy language (CEL) shared by the authz and response-rules stages: compiled once at load,
 * the same environment and variables in both, so a condition means the same wherever it is written.
 */
import { celEnv, isCelError, parse, plan, type CelInput } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { compileFast, type FastCondition, type FastFacts } from './cel-fast.js';
import { idComparisons, type IdComparison } from './id-comparisons.js';

/** A CEL expression compiled at load: call it per request with the variables it may use. */
export interface CompiledCondition {
  readonly source: string;
  /** Variables the expression reads (`principal`, `request`, `response`, `item`). */
  readonly variables: ReadonlySet<string>;
  /** Fields of `request` it selects directly (`body` tells the stage to ask for the request body). */
  readonly requestFields: ReadonlySet<string> | 'all';
  /** Fields of `request.body`, `response.body` or `item` compared with `principal.id` (checked against the schema at load). */
  readonly idComparisons: readonly IdComparison[];
  /** The same expression read straight from the request, for the shapes it covers (cel-fast.ts); try it before building `vars`. */
  readonly fast: FastCondition | undefined;
  /** true, false, or an error string (evaluation error or a non-boolean result). */
  evaluate(vars: Record<string, CelInput>): boolean | string;
}

// One environment for every expression: the standard library plus the string extensions.
const env = celEnv({ funcs: strings });
const cache = new Map<string, CompiledCondition>();
const CACHE_MAX = 4096;

/**
 * Parses and plans a CEL expression once and checks that it reads only `allowed` variables,
 * so a typo (`principle.id`) is a config error at load rather than a denial at request time.
 * Compiled expressions are cached by source: stages are built per operation.
 *
 * @example
 * const c = compileCondition('request.params.userId == principal.id', ['principal', 'request']);
 * c.evaluate({ principal: { id: 'u1' }, request: { params: { userId: 'u1' } } }); // true
 */
export function compileCondition(source: string, allowed: readonly string[]): CompiledCondition {
  let compiled = cache.get(source);
  if (compiled === undefined) {
    compiled = build(source);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(source, compiled);
  }
  const unknown = [...compiled.variables].filter((v) => !allowed.includes(v));
  if (unknown.length > 0) throw new Error(`unknown variable ${unknown.map((v) => `"${v}"`).join(', ')} (available here: ${allowed.join(', ')})`);
  return compiled;
}

function build(source: string): CompiledCondition {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (err) {
    throw new Error(`CEL syntax error: ${(err instanceof Error ? err.message : String(err)).replace(/^<input>:/, 'at ')}`, { cause: err });
  }
  const refs = collectReferences(parsed.expr);
  const run = plan(env, parsed) as (vars: Record<string, CelInput>) => unknown;
  return {
    source,
    variables: refs.variables,
    requestFields: refs.requestFields,
    idComparisons: idComparisons(parsed.expr as unknown as Parameters<typeof idComparisons>[0]),
    fast: compileFast(parsed.expr),
    evaluate(vars) {
      let out: unknown;
      try {
        out = run(vars);
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
      if (out === true || out === false) return out;
      if (isCelError(out)) return out.message;
      return 'the expression did not evaluate to a boolean';
    },
  };
}

interface ExprNode { exprKind: { case: string | undefined; value?: unknown } }
interface References { variables: Set<string>; requestFields: Set<string> | 'all' }

/**
 * The free variables of a parsed expression, and which `request` fields it selects.
 * Comprehension variables (`exists(r, ...)`) are bound, not free.
 */
function collectReferences(root: ExprNode): References {
  const idents = new Set<string>();
  const bound = new Set<string>();
  let requestFields: Set<string> | 'all' = new Set();
  const pending: ExprNode[] = [root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    const { case: kind, value } = node.exprKind;
    const v = value as Record<string, unknown>;
    switch (kind) {
      case 'identExpr':
        idents.add(v.name as string);
        if (v.name === 'request') requestFields = 'all';
        break;
      case 'selectExpr': {
        const operand = v.operand as ExprNode;
        if (operand.exprKind.case === 'identExpr' && (operand.exprKind.value as { name: string }).name === 'request') {
          idents.add('request');
          if (requestFields !== 'all') requestFields.add(v.field as string);
        } else {
          pending.push(operand);
        }
        break;
      }
      case 'callExpr':
        if (v.target !== undefined) pending.push(v.target as ExprNode);
        pending.push(...(v.args as ExprNode[]));
        break;
      case 'listExpr':
        pending.push(...(v.elements as ExprNode[]));
        break;
      case 'structExpr':
        for (const e of v.entries as { keyKind: { case: string; value: unknown }; value: ExprNode }[]) {
          if (e.keyKind.case === 'mapKey') pending.push(e.keyKind.value as ExprNode);
          pending.push(e.value);
        }
        break;
      case 'comprehensionExpr':
        for (const k of ['iterVar', 'iterVar2', 'accuVar']) if (typeof v[k] === 'string' && v[k] !== '') bound.add(v[k]);
        for (const k of ['iterRange', 'accuInit', 'loopCondition', 'loopStep', 'result']) if (v[k] !== undefined) pending.push(v[k] as ExprNode);
        break;
      default:
        break;
    }
  }
  return { variables: new Set([...idents].filter((n) => !bound.has(n))), requestFields };
}

/**
 * Whether every condition holds: true, false, or the first evaluation error's message. Each
 * condition is tried on its fast path first; `vars` (the CEL activation) is only built, once,
 * for a condition the fast path cannot settle.
 *
 * @example
 * allHold(rule.when, { ctx }, () => ({ principal: principalVar(ctx.principal), request: requestVar(ctx, fields) }));
 */
export function allHold(conditions: readonly CompiledCondition[], facts: FastFacts, vars: () => Record<string, CelInput>): boolean | string {
  for (const c of conditions) {
    const quick = c.fast?.(facts);
    if (quick === true) continue;
    if (quick === false) return false;
    const r = c.evaluate(vars());
    if (r !== true) return r;
  }
  return true;
}
