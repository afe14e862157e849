import { canonicalLiteral } from './percent.js';

/** A path segment without parameters, in canonical form. */
export interface StaticSegment {
  readonly kind: 'static';
  readonly value: string;
}

/**
 * A segment with one or more parameters: `literals[0]` before the first parameter,
 * `literals[k]` between parameters k-1 and k (never empty), and the last literal after
 * the last parameter.
 */
export interface TemplatedSegment {
  readonly kind: 'templated';
  readonly literals: readonly string[];
  readonly names: readonly string[];
  /** The segment with parameter names erased (`{}.{}`): equal shapes match the same strings. */
  readonly shape: string;
}

/** One `/`-separated piece of a path template. */
export type TemplateSegment = StaticSegment | TemplatedSegment;

/** A parsed path template. */
export interface ParsedTemplate {
  readonly segments: readonly TemplateSegment[];
  /** Parameter names in the order they appear. */
  readonly names: readonly string[];
}

/**
 * Parses an OpenAPI path template (`/files/{name}.{ext}`) into segments whose literals are in
 * the canonical form of {@link normalizePath}, or says why it cannot be routed.
 *
 * Refused: not starting with `/`; `?` or `#`; empty segments other than a trailing one
 * (`/a//b`); `.` or `..` segments; unbalanced or nested braces; an empty or duplicate
 * parameter name; two parameters with nothing between them (`{a}{b}` cannot be split);
 * literals that no normalised request path could contain (controls, `\`, `%2F`).
 *
 * @example
 * parseTemplate('/files/{name}.{ext}');
 * // { segments: [{ kind: 'static', value: 'files' }, { kind: 'templated', literals: ['', '.', ''], names: ['name', 'ext'], shape: '{}.{}' }], names: ['name', 'ext'] }
 * parseTemplate('/a/{x}{y}'); // { problem: 'segment "{x}{y}" has two parameters with no literal between them' }
 */
export function parseTemplate(template: string): ParsedTemplate | { problem: string } {
  if (!template.startsWith('/')) return { problem: 'must start with "/"' };
  if (template.includes('?') || template.includes('#')) return { problem: 'must not contain "?" or "#"' };
  const raw = template.slice(1).split('/');
  const segments: TemplateSegment[] = [];
  const names: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const text = raw[i]!;
    if (text === '' && i !== raw.length - 1) return { problem: 'must not contain an empty segment ("//")' };
    const parsed = parseSegment(text);
    if ('problem' in parsed) return parsed;
    if (parsed.kind === 'static' && (parsed.value === '.' || parsed.value === '..')) {
      return { problem: 'must not contain "." or ".." segments' };
    }
    if (parsed.kind === 'templated') {
      for (const name of parsed.names) {
        if (names.includes(name)) return { problem: `parameter "${name}" appears twice` };
        names.push(name);
      }
    }
    segments.push(parsed);
  }
  return { segments, names };
}

function parseSegment(text: string): TemplateSegment | { problem: string } {
  const literals: string[] = [];
  const names: string[] = [];
  let pos = 0;
  for (;;) {
    const open = text.indexOf('{', pos);
    const close = text.indexOf('}', pos);
    if (open === -1) {
      if (close !== -1) return { problem: `segment "${text}" has an unmatched "}"` };
      const last = canonicalLiteral(text.slice(pos));
      if ('problem' in last) return { problem: `segment "${text}" ${last.problem}` };
      literals.push(last.value);
      break;
    }
    if (close !== -1 && close < open) return { problem: `segment "${text}" has an unmatched "}"` };
    if (close === -1) return { problem: `segment "${text}" has an unmatched "{"` };
    const name = text.slice(open + 1, close);
    if (name.includes('{')) return { problem: `segment "${text}" has nested braces` };
    if (name === '') return { problem: `segment "${text}" has an empty parameter name` };
    if (name === '__proto__') return { problem: 'parameter name "__proto__" is not allowed' };
    const literal = canonicalLiteral(text.slice(pos, open));
    if ('problem' in literal) return { problem: `segment "${text}" ${literal.problem}` };
    if (names.length > 0 && literal.value === '') {
      return { problem: `segment "${text}" has two parameters with no literal between them` };
    }
    literals.push(literal.value);
    names.push(name);
    pos = close + 1;
  }
  if (names.length === 0) return { kind: 'static', value: literals[0]! };
  return { kind: 'templated', literals, names, shape: literals.join('{}') };
}

/**
 * Parses a pass-through prefix (`/api`, `/api/`, `/`) into canonical static segments;
 * a trailing slash is ignored and `/` gives no segments.
 *
 * @example
 * parsePrefix('/api/v1/'); // { segments: ['api', 'v1'] }
 * parsePrefix('/api/{x}'); // { problem: 'must not contain "{" or "}"' }
 */
export function parsePrefix(prefix: string): { segments: readonly string[] } | { problem: string } {
  if (!prefix.startsWith('/')) return { problem: 'must start with "/"' };
  if (prefix.includes('{') || prefix.includes('}')) return { problem: 'must not contain "{" or "}"' };
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (trimmed === '') return { segments: [] };
  const parsed = parseTemplate(trimmed);
  if ('problem' in parsed) return parsed;
  const segments = parsed.segments.map((s) => (s as StaticSegment).value);
  if (segments.includes('')) return { problem: 'must not contain an empty segment ("//")' };
  return { segments };
}
