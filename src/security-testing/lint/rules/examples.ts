import type { Tokens } from '../document.js';
import type { LintRule, RuleHit } from '../rule.js';
import { isCredentialName } from '../../common/heuristics.js';
import { isRecord } from '../schemas.js';

/** Recognisable credential formats: a match is a real-looking secret whatever the field is called. */
const SECRET_FORMATS: readonly [string, RegExp][] = [
  ['a JWT', /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}/],
  ['an AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['a private key', /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/],
  ['a GitHub token', /\bgh[pousr]_[A-Za-z0-9]{36}\b/],
  ['a Slack token', /\bxox[abprs]-[A-Za-z0-9-]{10,}/],
  ['a Stripe live key', /\b[sr]k_live_[A-Za-z0-9]{16,}/],
  ['a Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
];
// Values that say "put yours here" rather than being one.
const PLACEHOLDER = /^(string|password|secret|token|\*+|x+|changeme|redacted|hidden|null|none|\.\.\.|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|your[\s_-].*|example.*|.*example)$/i;
const EMAIL = /\b[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b/g;
// RFC 2606 / 6761 names reserved for documentation and testing.
const RESERVED_DOMAIN = /(^|\.)(example(\.(com|org|net))?|test|invalid|localhost|local)$/i;
const SSN = /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/;
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;

interface ExampleValue {
  readonly value: string;
  readonly key: string | undefined;
  readonly at: Tokens;
}

/** Every string inside `example` / `examples` values of the document as written, with the key naming it. */
function* exampleStrings(source: unknown): Iterable<ExampleValue> {
  const seen = new WeakSet<object>();
  function* strings(node: unknown, key: string | undefined, at: Tokens, depth: number): Iterable<ExampleValue> {
    if (depth > 32) return;
    if (typeof node === 'string') { yield { value: node, key, at }; return; }
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) { for (const [i, v] of node.entries()) yield* strings(v, key, [...at, i], depth + 1); return; }
    for (const [k, v] of Object.entries(node)) yield* strings(v, k, [...at, k], depth + 1);
  }
  function* walk(node: unknown, at: Tokens, depth: number): Iterable<ExampleValue> {
    if (depth > 64 || typeof node !== 'object' || node === null || seen.has(node)) return;
    if (Array.isArray(node)) { for (const [i, v] of node.entries()) yield* walk(v, [...at, i], depth + 1); return; }
    seen.add(node);
    for (const [k, v] of Object.entries(node)) {
      const parentKey = typeof at.at(-2) === 'string' && at.at(-2) === 'properties' ? String(at.at(-1)) : undefined;
      if (k === 'example') yield* strings(v, parentKey, [...at, k], 0);
      else if (k === 'examples' && isRecord(v) && !(at.at(-1) === 'components')) {
        for (const [name, ex] of Object.entries(v)) {
          if (isRecord(ex) && 'value' in ex) yield* strings(ex.value, parentKey, [...at, k, name, 'value'], 0);
        }
      } else if (k === 'examples' && Array.isArray(v)) {
        yield* strings(v, parentKey, [...at, k], 0); // JSON Schema 2020-12 `examples` (OpenAPI 3.1)
      } else {
        yield* walk(v, [...at, k], depth + 1);
      }
    }
  }
  const root = isRecord(source) ? source : {};
  yield* walk(root, [], 0);
  if (isRecord(root.components) && isRecord(root.components.examples)) {
    for (const [name, ex] of Object.entries(root.components.examples)) {
      if (isRecord(ex) && 'value' in ex) yield* strings(ex.value, undefined, ['components', 'examples', name, 'value'], 0);
    }
  }
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return sum % 10 === 0;
}

/** API8: an example holding a credential (a JWT, a cloud key, a private key, a password). */
export const secretInExample: LintRule = {
  id: 'secret-in-example',
  title: 'Secret in an example',
  severity: 'high',
  owasp: 'API8:2023',
  fix: 'Replace the value with an obvious placeholder (e.g. "<token>"), and revoke it if it was ever real: published API documents are read by everyone.',
  needs: 'document',
  *check(ctx): Iterable<RuleHit> {
    for (const ex of exampleStrings(ctx.doc.source)) {
      const format = SECRET_FORMATS.find(([, re]) => re.test(ex.value));
      if (format !== undefined) {
        yield { at: ex.at, message: `Example${ex.key !== undefined ? ` of "${ex.key}"` : ''} contains ${format[0]}.` };
      } else if (ex.key !== undefined && isCredentialName(ex.key) && ex.value.length >= 4 && !PLACEHOLDER.test(ex.value.trim())) {
        yield { at: ex.at, severity: 'medium', message: `Example of "${ex.key}" holds a real-looking value.` };
      }
    }
  },
};

/** API3: an example holding real-looking personal data (an email at a real domain, an SSN, a card number). */
export const piiInExample: LintRule = {
  id: 'pii-in-example',
  title: 'Real-looking personal data in an example',
  severity: 'medium',
  owasp: 'API3:2023',
  fix: 'Use reserved documentation values: emails at example.com, SSNs such as 000-00-0000 are invalid on purpose, and test card numbers only where the field is a card.',
  needs: 'document',
  *check(ctx): Iterable<RuleHit> {
    for (const ex of exampleStrings(ctx.doc.source)) {
      const kinds: string[] = [];
      for (const m of ex.value.matchAll(EMAIL)) {
        const domain = m[0].split('@')[1]!;
        if (!RESERVED_DOMAIN.test(domain)) { kinds.push(`an email address at ${domain}`); break; }
      }
      if (SSN.test(ex.value)) kinds.push('a social security number');
      for (const m of ex.value.matchAll(CARD)) {
        const digits = m[0].replace(/[ -]/g, '');
        if (digits.length >= 13 && luhn(digits) && !/^(\d)\1+$/.test(digits)) { kinds.push('a payment card number'); break; }
      }
      if (kinds.length > 0) yield { at: ex.at, message: `Example${ex.key !== undefined ? ` of "${ex.key}"` : ''} contains ${kinds.join(' and ')}.` };
    }
  },
};
