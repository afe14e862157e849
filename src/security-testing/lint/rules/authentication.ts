import { isLoginLike } from '../../common/heuristics.js';
import type { OperationInfo } from '../../../openapi/types.js';
import type { LintContext, LintRule, RuleHit } from '../rule.js';
import { operationLabel } from '../rule.js';
import { operationTokens, isRecord } from '../schemas.js';

/** `none` when no requirement applies, `optional` when `{}` is one of the alternatives. */
export function securityOf(op: OperationInfo): 'none' | 'optional' | 'required' {
  const reqs = op.security ?? [];
  if (reqs.length === 0) return 'none';
  return reqs.some((r) => isRecord(r) && Object.keys(r).length === 0) ? 'optional' : 'required';
}

function declares(op: OperationInfo, code: string): boolean {
  if (!isRecord(op.responses)) return false;
  return op.responses[code] !== undefined || op.responses[`${code[0]}XX`] !== undefined || op.responses.default !== undefined;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** API2: an operation that no security requirement covers (or where `{}` makes it optional). */
export const operationWithoutSecurity: LintRule = {
  id: 'operation-without-security',
  title: 'Operation without a security requirement',
  severity: 'high',
  owasp: 'API2:2023',
  fix: 'Add a security requirement (document-level `security:` or the operation\'s own); mark deliberately public operations with `security: []` and review them.',
  needs: 'document',
  *check(ctx): Iterable<RuleHit> {
    for (const op of ctx.operations) {
      const s = securityOf(op);
      if (s === 'required') continue;
      yield {
        at: operationTokens(op),
        operation: op,
        // Anonymous reads are often meant (health, catalogue); anonymous writes rarely are.
        severity: READS.has(op.method) ? 'medium' : 'high',
        message: s === 'none'
          ? `${operationLabel(op)} requires no authentication.`
          : `${operationLabel(op)} makes authentication optional (an empty {} security requirement).`,
      };
    }
  },
};

/** API8: a secured operation that declares neither 401 nor 403. */
export const missingAuthErrorResponses: LintRule = {
  id: 'missing-auth-error-responses',
  title: 'Secured operation without 401/403 responses',
  severity: 'low',
  owasp: 'API8:2023',
  fix: 'Declare 401 (missing or bad credentials) and 403 (not allowed) responses, with a problem+json schema, so clients and tests know how refusals look.',
  needs: 'document',
  *check(ctx): Iterable<RuleHit> {
    for (const op of ctx.operations) {
      if (securityOf(op) === 'none') continue;
      const missing = ['401', '403'].filter((c) => !declares(op, c));
      if (missing.length === 0) continue;
      yield { at: [...operationTokens(op), 'responses'], operation: op, message: `${operationLabel(op)} declares no ${missing.join(' or ')} response.` };
    }
  },
};

/** API4: an operation that declares no 429 response. */
export const missing429Response: LintRule = {
  id: 'missing-429-response',
  title: 'Operation without a 429 response',
  severity: 'low',
  owasp: 'API4:2023',
  fix: 'Declare a 429 response (with Retry-After / RateLimit headers) and rate-limit the operation.',
  needs: 'document',
  *check(ctx): Iterable<RuleHit> {
    for (const op of ctx.operations) {
      if (declares(op, '429')) continue;
      yield { at: [...operationTokens(op), 'responses'], operation: op, message: `${operationLabel(op)} declares no 429 response.` };
    }
  },
};

function rateLimited(ctx: LintContext, op: OperationInfo): boolean | undefined {
  if (ctx.gateway === undefined) return undefined;
  const rl = ctx.gateway.stagesFor(op).stages['rate-limit'];
  return rl !== undefined && rl.mode !== 'off' && Array.isArray(rl.limits) && rl.limits.length > 0;
}

/** API2: a login-like operation (login, token, password reset, OTP) without a rate limit. */
export const loginWithoutRateLimit: LintRule = {
  id: 'login-without-rate-limit',
  title: 'Login-like operation without a rate limit',
  severity: 'high',
  owasp: 'API2:2023',
  fix: 'Put a tight rate limit on credential-checking operations (e.g. stages.rate-limit with a per-IP pre-auth limit of a few requests per minute and penalty.enabled) and declare the 429 response.',
  needs: 'document',
  *check(ctx): Iterable<RuleHit> {
    for (const op of ctx.operations) {
      if (!isLoginLike(op)) continue;
      const limited = rateLimited(ctx, op);
      if (limited === true) continue;
      if (limited === undefined) {
        // Without the gateway config, a declared 429 or a rate-limit extension is the only sign.
        const ext = Object.keys(op.extensions).some((k) => /rate-?limit/i.test(k));
        if (ext || declares(op, '429')) continue;
        yield { at: operationTokens(op), operation: op, message: `${operationLabel(op)} checks credentials but shows no rate limit (no 429 response, no rate-limit extension); pass -c to check the gateway config.` };
      } else {
        yield { at: operationTokens(op), config: [...ctx.gateway!.apiPath, 'stages'], operation: op, message: `${operationLabel(op)} checks credentials but no rate-limit stage with limits applies to it in the gateway config.` };
      }
    }
  },
};
