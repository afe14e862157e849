/**
 * Digest and base64 transformations.
 */
import { createHash } from 'node:crypto';
import type { Transformation } from '../types.js';

/** Raw SHA-1 digest bytes. @example sha1('').value.length // 20 */
export const sha1: Transformation = (s) => ({ value: createHash('sha1').update(s, 'latin1').digest().toString('latin1'), changed: true });
/** Raw MD5 digest bytes. @example md5('').value.length // 16 */
export const md5: Transformation = (s) => ({ value: createHash('md5').update(s, 'latin1').digest().toString('latin1'), changed: true });

/** Strict base64 decode: stops at the first invalid character. @example base64Decode('QQ==').value // 'A' */
export const base64Decode: Transformation = (s) => {
  const m = /^[A-Za-z0-9+/]*={0,2}/.exec(s);
  const value = Buffer.from(m?.[0] ?? '', 'base64').toString('latin1');
  return { value, changed: value !== s };
};
/** Forgiving base64 decode: skips invalid characters. @example base64DecodeExt('Q.Q==').value // 'A' */
export const base64DecodeExt: Transformation = (s) => {
  const value = Buffer.from(s.replace(/[^A-Za-z0-9+/]/g, ''), 'base64').toString('latin1');
  return { value, changed: value !== s };
};
/** @example base64Encode('A').value // 'QQ==' */
export const base64Encode: Transformation = (s) => ({ value: Buffer.from(s, 'latin1').toString('base64'), changed: true });
