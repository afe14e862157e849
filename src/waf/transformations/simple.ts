/**
 * Case, whitespace, null-byte and length transformations (byte strings, ASCII semantics like ModSecurity).
 */
import type { Transformation } from '../types.js';

const wrap = (f: (s: string) => string): Transformation => (s) => {
  const value = f(s);
  return { value, changed: value !== s };
};

/** Lowercases ASCII only (C locale). @example lowercase('AbÉ').value // 'abÉ' */
export const lowercase: Transformation = wrap((s) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase()));
/** @example uppercase('ab').value // 'AB' */
export const uppercase: Transformation = wrap((s) => s.replace(/[a-z]+/g, (m) => m.toUpperCase()));
/** Collapses runs of whitespace to one space. @example compressWhitespace('a \t b').value // 'a b' */
export const compressWhitespace: Transformation = wrap((s) => s.replace(/[\s\x0b\xa0]+/g, ' '));
/** @example removeWhitespace('a b').value // 'ab' */
export const removeWhitespace: Transformation = wrap((s) => s.replace(/[\s\x0b\xa0]+/g, ''));
/** @example removeNulls('a\0b').value // 'ab' */
export const removeNulls: Transformation = wrap((s) => s.replace(/\0/g, ''));
/** @example replaceNulls('a\0b').value // 'a b' */
export const replaceNulls: Transformation = wrap((s) => s.replace(/\0/g, ' '));
/** @example trim(' a ').value // 'a' */
export const trim: Transformation = wrap((s) => s.replace(/^[\s\x0b]+|[\s\x0b]+$/g, ''));
/** @example trimLeft(' a ').value // 'a ' */
export const trimLeft: Transformation = wrap((s) => s.replace(/^[\s\x0b]+/, ''));
/** @example trimRight(' a ').value // ' a' */
export const trimRight: Transformation = wrap((s) => s.replace(/[\s\x0b]+$/, ''));
/** Byte length as decimal. @example length('abc').value // '3' */
export const length: Transformation = (s) => ({ value: String(s.length), changed: true });
/** @example none('a') // { value: 'a', changed: false } */
export const none: Transformation = (s) => ({ value: s, changed: false });
/** @example hexEncode('A').value // '41' */
export const hexEncode: Transformation = wrap((s) => Buffer.from(s, 'latin1').toString('hex'));
/** @example hexDecode('41').value // 'A' */
export const hexDecode: Transformation = wrap((s) => (/^(?:[0-9a-fA-F]{2})*$/.test(s) ? Buffer.from(s, 'hex').toString('latin1') : s));
