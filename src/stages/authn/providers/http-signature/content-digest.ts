import { createHash, timingSafeEqual } from 'node:crypto';
import { isInnerList, parseDictionary } from './structured-fields.js';

const ALGS: Record<string, string> = { 'sha-256': 'sha256', 'sha-512': 'sha512' };

/**
 * Checks a `Content-Digest` field value (RFC 9530) against the body. Every supported algorithm
 * listed must match, and at least one must be listed; unknown algorithms are ignored.
 *
 * @example
 * checkContentDigest('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:', Buffer.from('{"hello": "world"}'));
 */
export function checkContentDigest(header: string, body: Buffer): 'ok' | 'mismatch' | 'malformed' | 'no_supported_algorithm' {
  let dict;
  try {
    dict = parseDictionary(header);
  } catch {
    return 'malformed';
  }
  let checked = 0;
  for (const [alg, member] of dict) {
    const node = ALGS[alg];
    if (node === undefined) continue;
    if (isInnerList(member) || typeof member.value !== 'object' || !('bytes' in member.value)) return 'malformed';
    const expected = member.value.bytes;
    const actual = createHash(node).update(body).digest();
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return 'mismatch';
    checked++;
  }
  return checked === 0 ? 'no_supported_algorithm' : 'ok';
}
