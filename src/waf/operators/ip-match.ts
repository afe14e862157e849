/**
 * Description: matches an IPv4/IPv6 address against addresses and CIDR blocks.
 * Arguments: comma-separated list (@ipMatch) or data files (@ipMatchFromFile).
 * Returns: true when the input address is inside any block.
 * Example: `SecRule REMOTE_ADDR "@ipMatch 127.0.0.1,::1" "id:7,pass,nolog"`
 */
import { isIP } from 'node:net';
import type { Operator, OperatorInit } from '../types.js';
import { WafLoadError } from '../rules/errors.js';
import { readDataLines } from './pm-from-file.js';

function toBig(ip: string): { v: bigint; bits: number } | undefined {
  const kind = isIP(ip);
  if (kind === 4) return { v: ip.split('.').reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n), bits: 32 };
  if (kind === 6) {
    const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
    const h = (head ?? '').split(':').filter((x) => x !== '');
    const t = tail === undefined ? [] : tail.split(':').filter((x) => x !== '');
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return { v: groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n), bits: 128 };
  }
  return undefined;
}

function build(list: string[], init: OperatorInit): Operator {
  const blocks = list.map((entry) => {
    const [addr, len] = entry.trim().split('/');
    const b = toBig(addr ?? '');
    if (!b) throw new WafLoadError(`bad IP in @ipMatch: ${entry}`, init.file, init.line);
    const prefix = len === undefined ? b.bits : Number(len);
    const shift = BigInt(b.bits - prefix);
    return { bits: b.bits, shift, net: b.v >> shift };
  });
  return {
    inputOnly: true,
    evaluate(input) {
      const a = toBig(input.trim());
      if (!a) return false;
      return blocks.some((bl) => bl.bits === a.bits && a.v >> bl.shift === bl.net);
    },
  };
}

/** @example ipMatch({ argument: '10.0.0.0/8', ...init }).evaluate('10.1.2.3', tx, undefined) // true */
export function ipMatch(init: OperatorInit): Operator {
  return build(init.argument.split(',').filter((s) => s.trim() !== ''), init);
}

/** @example ipMatchFromFile({ argument: 'ips.data', ...init }) */
export function ipMatchFromFile(init: OperatorInit): Operator {
  return build(readDataLines(init), init);
}
