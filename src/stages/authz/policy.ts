import { compileCondition, type CompiledCondition } from '../../policy/cel.js';
import type { AuthzConfig } from './schema.js';
import { checkIdComparisons, type OperationSchemas } from '../../policy/id-comparisons.js';
import type { RequestFields } from '../../policy/variables.js';

/** The operation a stage is compiled for, as the rules see it. */
export interface OperationFacts {
  readonly operationId: string | undefined;
  readonly tags: readonly string[];
  readonly admin: boolean;
  /** The operation's request body and responses (dereferenced OpenAPI), to check id comparisons against. */
  readonly schemas?: OperationSchemas;
}

/** A rule, grant or response check compiled for one operation. */
export interface CompiledRule {
  readonly id: string;
  /** Roles it applies to; undefined = everyone. */
  readonly roles: readonly string[] | undefined;
  readonly when: readonly CompiledCondition[];
}

export interface CompiledResponseRule extends CompiledRule {
  readonly items: readonly string[] | undefined;
  readonly action: 'block' | 'filter';
}

/** Everything the stage evaluates for one operation, in evaluation order. */
export interface CompiledPolicy {
  readonly deny: readonly CompiledRule[];
  /** Role grants first (cheap), then allow rules in config order. */
  readonly allow: readonly CompiledRule[];
  readonly response: readonly CompiledResponseRule[];
  /** `request` fields read by the request-side rules, and by the response rules. */
  readonly requestFields: RequestFields;
  readonly responseRequestFields: RequestFields;
  readonly needsRequestBody: boolean;
}

const REQUEST_VARS = ['principal', 'request'] as const;

/**
 * Compiles the policy for one operation: every condition and rule is compiled (so a bad
 * expression anywhere is reported at load, with its config path), then only the rules
 * targeting this operation are kept.
 *
 * @example
 * const policy = compilePolicy(cfg, { operationId: 'getUser', tags: ['users'], admin: false });
 */
export function compilePolicy(cfg: AuthzConfig, op: OperationFacts): CompiledPolicy {
  const named = new Map<string, string>(Object.entries(cfg.conditions));
  for (const [name, source] of named) at(`conditions.${name}`, () => compileCondition(source, ['principal', 'request', 'response', 'item']));
  const ids = new Set<string>();
  const uniqueId = (id: string, path: string): void => {
    if (ids.has(id)) throw new Error(`${path}.id: rule id "${id}" is used twice`);
    ids.add(id);
  };
  const conditions = (when: string | readonly string[] | undefined, path: string, vars: readonly string[], items?: readonly string[]): CompiledCondition[] => {
    const list = when === undefined ? [] : typeof when === 'string' ? [when] : when;
    return list.map((w, i) => at(`${path}${typeof when === 'string' ? '' : `[${i}]`}`, () => {
      const c = compileCondition(named.get(w) ?? w, vars);
      if (op.schemas !== undefined) checkIdComparisons(c.idComparisons, op.schemas, items);
      return c;
    }));
  };

  const deny: CompiledRule[] = [];
  const allow: CompiledRule[] = [];
  for (const [role, grant] of Object.entries(cfg.roles)) {
    uniqueId(`role:${role}`, `roles.${role}`);
    if (targets(op, grant.operations, grant.tags, false)) allow.push({ id: `role:${role}`, roles: [role], when: [] });
  }
  cfg.rules.forEach((r, i) => {
    const path = `rules[${i}]`;
    uniqueId(r.id, path);
    const when = conditions(r.when, `${path}.when`, REQUEST_VARS);
    if (!targets(op, r.operations, r.tags, r.effect === 'deny')) return;
    (r.effect === 'deny' ? deny : allow).push({ id: r.id, roles: r.roles, when });
  });
  const response: CompiledResponseRule[] = [];
  cfg.responseRules.forEach((r, i) => {
    const path = `responseRules[${i}]`;
    uniqueId(r.id, path);
    if (r.action === 'filter' && r.items === undefined) throw new Error(`${path}.action: "filter" needs \`items\` (the list whose elements are checked)`);
    const when = conditions(r.when, `${path}.when`, r.items === undefined ? ['principal', 'request', 'response'] : ['principal', 'request', 'response', 'item'], r.items === undefined ? undefined : pointerTokens(r.items));
    if (!targets(op, r.operations, r.tags, true)) return;
    response.push({ id: r.id, roles: r.roles, when, action: r.action, items: r.items === undefined ? undefined : pointerTokens(r.items) });
  });
  const requestFields = fieldsOf([...deny, ...allow]);
  const responseRequestFields = fieldsOf(response);
  const readsBody = (f: RequestFields) => f === 'all' || f.has('body');
  return { deny, allow, response, requestFields, responseRequestFields, needsRequestBody: readsBody(requestFields) || readsBody(responseRequestFields) };
}

/** The union of the `request` fields the rules' conditions select. */
function fieldsOf(rules: readonly CompiledRule[]): RequestFields {
  const out = new Set<string>();
  for (const r of rules) {
    for (const c of r.when) {
      if (c.requestFields === 'all') return 'all';
      for (const f of c.requestFields) out.add(f);
    }
  }
  return out;
}

/**
 * Whether a rule's selectors cover the operation. No selector = "*". "*" covers admin
 * operations only for deny rules and response checks (which can only take access away).
 */
function targets(op: OperationFacts, operations: readonly string[] | undefined, tags: readonly string[] | undefined, wildcardCoversAdmin: boolean): boolean {
  const ops = operations ?? (tags === undefined ? ['*'] : []);
  if (op.operationId !== undefined && ops.includes(op.operationId)) return true;
  if (tags !== undefined && tags.some((t) => op.tags.includes(t))) return true;
  return ops.includes('*') && (!op.admin || wildcardCoversAdmin);
}

function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function at<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new Error(`${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
