/** A seeded pseudo-random generator (mulberry32): the same seed gives the same fuzz values. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Schema = Readonly<Record<string, unknown>>;

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeOf(s: Schema): string | undefined {
  if (typeof s.type === 'string') return s.type;
  if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null') as string | undefined;
  if (isSchema(s.properties)) return 'object';
  return undefined;
}

/**
 * A valid-looking value for a schema: its example, default, const or first enum value, else one
 * built from type, format and bounds. readOnly properties are left out of objects (requests).
 *
 * @example
 * sampleValue({ type: 'integer', minimum: 5 }); // 5
 */
export function sampleValue(schema: unknown, depth = 0): unknown {
  if (!isSchema(schema) || depth > 8) return 'test';
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list) && list.length > 0) {
      if (key === 'allOf') return Object.assign({}, ...list.map((s) => sampleValue(s, depth + 1)).filter((v) => typeof v === 'object' && v !== null));
      return sampleValue(list[0], depth + 1);
    }
  }
  switch (typeOf(schema)) {
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 1;
      return min;
    }
    case 'boolean': return true;
    case 'array': return [sampleValue(schema.items, depth + 1)];
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = isSchema(schema.properties) ? schema.properties : {};
      for (const [name, sub] of Object.entries(props)) {
        if (isSchema(sub) && sub.readOnly === true) continue;
        out[name] = sampleValue(sub, depth + 1);
      }
      return out;
    }
    default: return sampleString(schema);
  }
}

function sampleString(s: Schema): string {
  switch (s.format) {
    case 'uuid': return '00000000-0000-4000-8000-000000000000';
    case 'date': return '2026-01-01';
    case 'date-time': return '2026-01-01T00:00:00Z';
    case 'email': return 'scan@example.com';
    case 'uri': case 'url': return 'https://example.com/';
    case 'ipv4': return '192.0.2.1';
    default: break;
  }
  const min = typeof s.minLength === 'number' ? s.minLength : 1;
  const max = typeof s.maxLength === 'number' ? s.maxLength : 16;
  const word = 'test';
  if (min > word.length) return word.padEnd(Math.min(min, max), 'x');
  return word.slice(0, Math.max(1, Math.min(max, word.length)));
}

/** One fuzz value and why it should be refused (undefined: it is valid but unusual). */
export interface FuzzValue {
  readonly value: unknown;
  readonly label: string;
  /** True when the value breaks the schema, so an API that keeps to its contract refuses it. */
  readonly invalid: boolean;
}

const ODD_STRINGS = ['', ' ', '\u0000', '%00', '\u202e', '😀'.repeat(8), '{{7*7}}', '${7*7}', '-1', 'null', 'true', '[]', '{}'];

/**
 * Boundary, wrong-type and huge values for a schema, plus `extra` seeded random strings.
 *
 * @example
 * fuzzValues({ type: 'integer', maximum: 100 }, seededRandom(1), 2).map((f) => f.label);
 * // ['maximum + 1', 'huge number', 'wrong type (string)', …]
 */
export function fuzzValues(schema: unknown, random: () => number, extra: number): FuzzValue[] {
  const s = isSchema(schema) ? schema : {};
  const out: FuzzValue[] = [];
  const type = typeOf(s);
  if (type === 'integer' || type === 'number') {
    if (typeof s.maximum === 'number') out.push({ value: s.maximum + 1, label: 'maximum + 1', invalid: true });
    if (typeof s.minimum === 'number') out.push({ value: s.minimum - 1, label: 'minimum - 1', invalid: true });
    out.push({ value: 1e300, label: 'huge number', invalid: typeof s.maximum === 'number' || type === 'integer' });
    out.push({ value: -9007199254740993, label: 'below MIN_SAFE_INTEGER', invalid: typeof s.minimum === 'number' });
    out.push({ value: 'abc', label: 'wrong type (string)', invalid: true });
    if (type === 'integer') out.push({ value: 1.5, label: 'fraction for an integer', invalid: true });
  } else if (type === 'string' || type === undefined) {
    const max = typeof s.maxLength === 'number' ? s.maxLength : undefined;
    if (max !== undefined) out.push({ value: 'a'.repeat(max + 1), label: 'maxLength + 1', invalid: true });
    out.push({ value: 'A'.repeat(100_000), label: 'huge string (100 000 chars)', invalid: max !== undefined });
    if (Array.isArray(s.enum)) out.push({ value: 'not-in-enum', label: 'value outside enum', invalid: true });
    if (type === 'string') out.push({ value: 12345, label: 'wrong type (number)', invalid: false });
  } else if (type === 'boolean') {
    out.push({ value: 'maybe', label: 'wrong type (string)', invalid: true });
  } else if (type === 'array') {
    out.push({ value: Array.from({ length: typeof s.maxItems === 'number' ? s.maxItems + 1 : 10_000 }, () => sampleValue(s.items)), label: 'too many items', invalid: typeof s.maxItems === 'number' });
    out.push({ value: 'not-an-array', label: 'wrong type (string)', invalid: true });
  } else if (type === 'object') {
    out.push({ value: 'not-an-object', label: 'wrong type (string)', invalid: true });
  }
  for (let i = 0; i < extra; i++) {
    const pick = ODD_STRINGS[Math.floor(random() * ODD_STRINGS.length)]!;
    const len = 1 + Math.floor(random() * 24);
    let noise = '';
    for (let j = 0; j < len; j++) noise += String.fromCodePoint(0x20 + Math.floor(random() * 0x5e));
    out.push({ value: random() < 0.5 ? pick : noise, label: 'seeded random string', invalid: false });
  }
  return out;
}
