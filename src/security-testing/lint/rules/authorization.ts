import { isAdminLike, isIdParameter, isSequentialSchema } from '../../common/heuristics.js';
import type { OperationInfo } from '../../../openapi/types.js';
import type { LintContext, LintRule, RuleHit } from '../rule.js';
import { operationLabel } from '../rule.js';
import { operationTokens, isRecord } from '../schemas.js';

interface AuthzView {
  rules: Record<string, unknown>[];
  responseRules: Record<string, unknown>[];
  adminTags: string[];
  adminExtension: string;
  roles: Record<string, { operations?: string[]; tags?: string[] }>;
}

function authzFor(ctx: LintContext, op: OperationInfo): AuthzView | undefined {
  const a = ctx.gateway?.stagesFor(op).stages.authz;
  if (a === undefined || a.mode === 'off') return undefined;
  const list = (v: unknown): Record<string, unknown>[] => Array.isArray(v) ? v.filter(isRecord) : [];
  return {
    rules: list(a.rules),
    responseRules: list(a.responseRules),
    adminTags: Array.isArray(a.adminTags) ? a.adminTags as string[] : ['admin'],
    adminExtension: typeof a.adminExtension === 'string' ? a.adminExtension : 'x-portcullis-admin',
    roles: isRecord(a.roles) ? a.roles as AuthzView['roles'] : {},
  };
}

function targets(rule: { operations?: unknown; tags?: unknown }, op: OperationInfo, wildcard: boolean): boolean {
  const ops = Array.isArray(rule.operations) ? rule.operations as string[] : [];
  const tags = Array.isArray(rule.tags) ? rule.tags as string[] : [];
  if (op.operationId !== undefined && ops.includes(op.operationId)) return true;
  if (wildcard && ops.includes('*')) return true;
  return tags.some((t) => op.tags.includes(t));
}

/** API1: a path id that looks sequential on an operation no ownership rule covers. */
export const sequentialIdWithoutOwnership: LintRule = {
  id: 'sequential-id-without-ownership',
  title: 'Guessable object id without an ownership check',
  severity: 'high',
  owasp: 'API1:2023',
  fix: 'Check ownership of every object reached by id: an authz rule with a `when` condition on the id (e.g. request.params.userId == principal.id) or a responseRule comparing the owner; prefer random ids (UUIDs) over sequential integers.',
  needs: 'document',
  *check(ctx): Iterable<RuleHit> {
    for (const op of ctx.operations) {
      const ids = op.parameters.filter((p) => p.in === 'path' && isIdParameter(p) && isSequentialSchema(p.schema));
      if (ids.length === 0) continue;
      const authz = authzFor(ctx, op);
      if (authz !== undefined) {
        const owned = authz.rules.some((r) => r.when !== undefined && r.effect !== 'deny' && targets(r, op, false))
          || authz.responseRules.some((r) => targets(r, op, false));
        if (owned) continue;
      }
      const names = ids.map((p) => `{${p.name}}`).join(', ');
      yield {
        at: operationTokens(op),
        operation: op,
        message: authz === undefined
          ? `${operationLabel(op)} takes sequential id ${names}${ctx.gateway === undefined ? '; nothing in the document shows an ownership check (pass -c to check the gateway\'s authz rules).' : ' and no authz stage applies to it.'}`
          : `${operationLabel(op)} takes sequential id ${names} and no authz rule with a condition, nor a responseRule, names it.`,
      };
    }
  },
};

/** API5: an admin-looking operation not marked as an admin operation. */
export const adminPathUnmarked: LintRule = {
  id: 'admin-path-unmarked',
  title: 'Admin-looking operation not marked as admin',
  severity: 'high',
  owasp: 'API5:2023',
  fix: 'Mark admin operations (x-portcullis-admin: true or an admin tag) so the gateway denies them unless a rule names them, and give them their own security requirement (e.g. an admin scope).',
  needs: 'document',
  *check(ctx): Iterable<RuleHit> {
    for (const op of ctx.operations) {
      if (!isAdminLike(op)) continue;
      const authz = authzFor(ctx, op);
      const extension = authz?.adminExtension ?? 'x-portcullis-admin';
      const adminTags = authz?.adminTags ?? ['admin'];
      if (op.extensions[extension] === true || op.tags.some((t) => adminTags.includes(t))) continue;
      yield { at: operationTokens(op), operation: op, message: `${operationLabel(op)} looks like an admin function but is not marked (${extension}: true or a tag in ${JSON.stringify(adminTags)}).` };
    }
  },
};
