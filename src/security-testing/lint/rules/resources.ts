import type { Tokens } from '../document.js';
import type { LintRule, RuleHit } from '../rule.js';
import { operationLabel } from '../rule.js';
import { typesOf } from '../schemas.js';

// Formats whose values have a bounded length by definition.
const BOUNDED_FORMATS = new Set(['date', 'date-time', 'time', 'uuid', 'ipv4', 'ipv6', 'int32', 'int64', 'duration']);
// An anchored pattern without unbounded repetition (no *, + or {n,}) bounds the length.
const UNBOUNDED_REPEAT = /(?<!\\)[*+]|\{\d+,\}/;

function boundedPattern(pattern: unknown): boolean {
  return typeof pattern === 'string' && pattern.startsWith('^') && pattern.endsWith('$') && !UNBOUNDED_REPEAT.test(pattern);
}

function enumerated(schema: Readonly<Record<string, unknown>>): boolean {
  return Array.isArray(schema.enum) || schema.const !== undefined;
}

function where(at: Tokens, property: string | undefined): string {
  return property !== undefined ? `"${property}"` : `at ${at.filter((t) => t !== 'content' && t !== 'schema').slice(-2).join(' ')}`;
}

/** API4: a request string without maxLength (nor enum, const, a fixed-size format or an anchored bounded pattern). */
export const unboundedString: LintRule = {
  id: 'unbounded-string',
  title: 'Request string without a maximum length',
  severity: 'medium',
  owasp: 'API4:2023',
  fix: 'Set maxLength (or an enum, a fixed-size format such as uuid, or an anchored pattern without * or +) so oversized values are rejected before they reach the API.',
  needs: 'document',
  *check(ctx): Iterable<RuleHit> {
    for (const v of ctx.schemas) {
      if (v.side !== 'request' || !typesOf(v.schema).includes('string')) continue;
      const s = v.schema;
      if (s.maxLength !== undefined || enumerated(s) || s.format === 'binary' || BOUNDED_FORMATS.has(String(s.format)) || boundedPattern(s.pattern)) continue;
      yield { at: v.at, operation: v.operation, message: `String ${where(v.at, v.property)} in ${operationLabel(v.operation)} has no maxLength.` };
    }
  },
};

/** API4: a request array without maxItems. */
export const unboundedArray: LintRule = {
  id: 'unbounded-array',
  title: 'Request array without a maximum number of items',
  severity: 'medium',
  owasp: 'API4:2023',
  fix: 'Set maxItems to the largest list the operation needs.',
  needs: 'document',
  *check(ctx): Iterable<RuleHit> {
    for (const v of ctx.schemas) {
      if (v.side !== 'request' || !typesOf(v.schema).includes('array') || v.schema.maxItems !== undefined) continue;
      yield { at: v.at, operation: v.operation, message: `Array ${where(v.at, v.property)} in ${operationLabel(v.operation)} has no maxItems.` };
    }
  },
};

/** API4: a request number or integer without both a minimum and a maximum. */
export const unboundedNumber: LintRule = {
  id: 'unbounded-number',
  title: 'Request number without a minimum and a maximum',
  severity: 'low',
  owasp: 'API4:2023',
  fix: 'Set minimum and maximum (page sizes, quantities, amounts): huge or negative values are a common way to exhaust resources or break business logic.',
  needs: 'document',
  *check(ctx): Iterable<RuleHit> {
    for (const v of ctx.schemas) {
      const types = typesOf(v.schema);
      if (v.side !== 'request' || !(types.includes('integer') || types.includes('number')) || enumerated(v.schema)) continue;
      const missing = [
        ...(v.schema.minimum === undefined && typeof v.schema.exclusiveMinimum !== 'number' ? ['minimum'] : []),
        ...(v.schema.maximum === undefined && typeof v.schema.exclusiveMaximum !== 'number' ? ['maximum'] : []),
      ];
      if (missing.length === 0) continue;
      yield { at: v.at, operation: v.operation, message: `Number ${where(v.at, v.property)} in ${operationLabel(v.operation)} has no ${missing.join(' and no ')}.` };
    }
  },
};
