/**
 * The engine works on "byte strings": one UTF-16 code unit per byte (latin1),
 * the way ModSecurity sees raw bytes. These helpers convert at the edges.
 */

/**
 * A character outside ASCII. An ASCII string is its own UTF-8 byte string and its own UTF-8
 * decoding: most header values, JSON keys and values are, and skip the round trip through a
 * Buffer (two copies and a Buffer per value: ADR 0029).
 */
const NON_ASCII = /[^\u0000-\u007f]/;

/**
 * @example
 * toByteString('é') // '\u00c3\u00a9'
 */
export function toByteString(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}

/**
 * @example
 * bytesToByteString(new Uint8Array([0x41])) // 'A'
 */
export function bytesToByteString(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/**
 * @example
 * byteStringToUtf8('\u00c3\u00a9') // 'é'
 */
export function byteStringToUtf8(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s;
}
