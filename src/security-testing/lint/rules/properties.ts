import { isLoginLike, isSensitiveName, isTokenName } from '../../common/heuristics.js';
import type { LintContext, LintRule, RuleHit } from '../rule.js';
import { operationLabel } from '../rule.js';
import { typesOf, type SchemaVisit } from '../schemas.js';

function strictByGateway(ctx: LintContext, v: SchemaVisit): boolean {
  if (ctx.gateway === undefined) return false;
  const rv = ctx.gateway.stagesFor(v.operation).stages['request-validation'];
  return rv !== undefined && (rv.mode ?? 'enforce') === 'enforce' && rv.strictBodies !== false;
}

/** API3 (mass assignment): a request-body object that accepts undeclared properties. */
export const openRequestObject: LintRule = {
  id: 'open-request-object',
  title: 'Request body object accepts undeclared properties',
  severity: 'medium',
  owasp: 'API3:2023',
  fix: 'Set additionalProperties: false (OpenAPI 3.1 with allOf: unevaluatedProperties: false) so fields such as role or isAdmin cannot be mass-assigned.',
  needs: 'document',
  *check(ctx): Iterable<RuleHit> {
    for (const v of ctx.schemas) {
      if (v.side !== 'request' || !v.body) continue;
      const s = v.schema;
      const isObject = typesOf(s).includes('object') || (s.type === undefined && s.properties !== undefined);
      // Members of allOf cannot close themselves without breaking the composition; the parent is checked.
      if (!isObject || v.at.at(-2) === 'allOf') continue;
      if (s.additionalProperties === false || s.unevaluatedProperties === false) continue;
      if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null) continue;
      const mitigated = strictByGateway(ctx, v);
      yield {
        at: v.at,
        operation: v.operation,
        ...(mitigated ? { severity: 'info' as const } : {}),
        message: `Request body object${v.property !== undefined ? ` "${v.property}"` : ''} of ${operationLabel(v.operation)} does not set additionalProperties: false`
          + (mitigated ? ' (mitigated: the gateway\'s request-validation rejects undeclared properties, strictBodies).' : '.'),
      };
    }
  },
};

/** API3 (excessive data exposure): a response property named like a secret or sensitive data. */
export const sensitiveResponseField: LintRule = {
  id: 'sensitive-response-field',
  title: 'Sensitive property in a response schema',
  severity: 'high',
  owasp: 'API3:2023',
  fix: 'Remove the property from responses (mark it writeOnly if clients send it), or restrict it to the roles that need it (x-portcullis-visible-to, response-filter visibleTo).',
  needs: 'document',
  *check(ctx): Iterable<RuleHit> {
    for (const v of ctx.schemas) {
      if (v.side !== 'response' || !v.direct || v.property === undefined || !isSensitiveName(v.property)) continue;
      if (v.schema.writeOnly === true || v.schema['x-portcullis-visible-to'] !== undefined) continue;
      // Issuing a token is what a login operation is for.
      if (isTokenName(v.property) && isLoginLike(v.operation)) continue;
      const visible = ctx.gateway?.stagesFor(v.operation).stages['response-filter']?.visibleTo as Record<string, unknown> | undefined;
      if (visible?.[v.property] !== undefined) continue;
      yield { at: v.at, operation: v.operation, message: `Response of ${operationLabel(v.operation)} declares sensitive property "${v.property}".` };
    }
  },
};
