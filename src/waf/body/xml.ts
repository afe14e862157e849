/**
 * XML body → XML collection (text nodes under `/*`, attribute values under `//@*`).
 * DOCTYPE and entity declarations are refused: no entity expansion, ever.
 */
import { XMLParser } from 'fast-xml-parser';
import { byteStringToUtf8, toByteString } from '../bytes.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  processEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  preserveOrder: true,
});

/**
 * @example
 * parseXmlBody('<a x="1">hi</a>') // { texts: ['hi'], attributes: ['1'] }
 */
export function parseXmlBody(body: string): { texts: string[]; attributes: string[] } {
  const text = byteStringToUtf8(body);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new Error('XML DOCTYPE/ENTITY not allowed');
  const doc: unknown = parser.parse(text);
  const texts: string[] = [];
  const attributes: string[] = [];
  walk(doc, texts, attributes, 0);
  return { texts: texts.map((t) => toByteString(decodeXmlRefs(t))), attributes: attributes.map((a) => toByteString(decodeXmlRefs(a))) };
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the five predefined entities and character references (never DTD entities). */
function decodeXmlRefs(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(lt|gt|amp|quot|apos));/g, (m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    const cp = hex !== undefined ? parseInt(hex, 16) : dec !== undefined ? parseInt(dec, 10) : -1;
    if (cp >= 0) return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    return PREDEFINED[name ?? ''] ?? m;
  });
}

function walk(v: unknown, texts: string[], attrs: string[], depth: number): void {
  if (depth > 512) throw new Error('XML nesting too deep');
  if (Array.isArray(v)) { for (const x of v) walk(x, texts, attrs, depth + 1); return; }
  if (v === null || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k === '#text') texts.push(String(x));
    else if (k === ':@' && x && typeof x === 'object') { for (const a of Object.values(x)) attrs.push(String(a)); }
    else walk(x, texts, attrs, depth + 1);
  }
}
