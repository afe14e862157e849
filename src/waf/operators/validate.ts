/**
 * Description: encoding validators: @validateByteRange, @validateUrlEncoding, @validateUtf8Encoding.
 * Arguments: byte ranges like `1-255,9` for validateByteRange; none for the others.
 * Returns: true when the input is INVALID (a byte outside the ranges, a bad %-escape, bad/overlong UTF-8).
 * Example: `SecRule ARGS "@validateByteRange 32-126" "id:8,block"`
 */
import type { Operator, OperatorInit } from '../types.js';
import { WafLoadError } from '../rules/errors.js';

/** @example validateByteRange({ argument: '32-126', ...init }).evaluate('\x01', tx, undefined) // true */
export function validateByteRange(init: OperatorInit): Operator {
  const allowed = new Uint8Array(256);
  for (const part of init.argument.split(',')) {
    const m = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part);
    if (!m) throw new WafLoadError(`bad byte range ${part}`, init.file, init.line);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > 255 || hi > 255 || lo > hi) throw new WafLoadError(`bad byte range ${part}`, init.file, init.line);
    for (let b = lo; b <= hi; b++) allowed[b] = 1;
  }
  return {
    inputOnly: true,
    evaluate(input) {
      for (let i = 0; i < input.length; i++) if (allowed[input.charCodeAt(i) & 0xff] !== 1) return true;
      return false;
    },
  };
}

/** @example validateUrlEncoding().evaluate('%zz', tx, undefined) // true */
export function validateUrlEncoding(): Operator {
  return {
    inputOnly: true,
    evaluate(input) {
      for (let i = input.indexOf('%'); i !== -1; i = input.indexOf('%', i + 1)) {
        if (!/^[0-9a-fA-F]{2}$/.test(input.slice(i + 1, i + 3))) return true;
      }
      return false;
    },
  };
}

/** @example validateUtf8Encoding().evaluate('\xc0\xaf', tx, undefined) // true (overlong) */
export function validateUtf8Encoding(): Operator {
  return {
    inputOnly: true,
    evaluate(input) {
      for (let i = 0; i < input.length; i++) {
        const b = input.charCodeAt(i);
        if (b < 0x80) continue;
        let need: number;
        let min: number;
        let cp: number;
        if (b >= 0xc0 && b <= 0xdf) { need = 1; min = 0x80; cp = b & 0x1f; }
        else if (b >= 0xe0 && b <= 0xef) { need = 2; min = 0x800; cp = b & 0x0f; }
        else if (b >= 0xf0 && b <= 0xf7) { need = 3; min = 0x10000; cp = b & 0x07; }
        else return true;
        for (let k = 1; k <= need; k++) {
          const nb = input.charCodeAt(i + k);
          if (Number.isNaN(nb) || (nb & 0xc0) !== 0x80) return true;
          cp = (cp << 6) | (nb & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return true;
        i += need;
      }
      return false;
    },
  };
}
