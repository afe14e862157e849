import { isIPv4, isIPv6 } from 'node:net';
import type { SecurityEventMessage } from '../channels.js';

/**
 * The network prefix of an address: IPv4 `/bits`, IPv6 `/bits` too (so `client/24` on an
 * IPv6 client groups by its /24, which is wide; use client/64 for IPv6 subscribers).
 * Anything that is not an address is returned as is.
 *
 * @example
 * prefixOf('203.0.113.77', 24); // '203.0.113.0/24'
 */
export function prefixOf(ip: string, bits: number): string {
  if (isIPv4(ip)) {
    const n = ip.split('.').reduce((a, o) => (a * 256) + Number(o), 0);
    const b = Math.min(bits, 32);
    const masked = b === 0 ? 0 : Math.floor(n / 2 ** (32 - b)) * 2 ** (32 - b);
    return `${[24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256).join('.')}/${b}`;
  }
  if (isIPv6(ip)) {
    const b = Math.min(bits, 128);
    const groups = expandIPv6(ip);
    let out = '';
    for (let i = 0; i < 8; i++) {
      const keep = Math.max(0, Math.min(16, b - i * 16));
      const g = keep === 0 ? 0 : groups[i]! & (0xffff << (16 - keep)) & 0xffff;
      out += (i === 0 ? '' : ':') + g.toString(16);
    }
    return `${out}/${b}`;
  }
  return ip;
}

function expandIPv6(ip: string): number[] {
  const [head, tail] = ip.includes('::') ? ip.split('::') as [string, string] : [ip, undefined];
  const parse = (s: string | undefined) => (s === undefined || s === '' ? [] : s.split(':').flatMap((p) => (p.includes('.') ? v4Groups(p) : [parseInt(p, 16)])));
  const h = parse(head);
  const t = parse(tail);
  return [...h, ...new Array<number>(Math.max(0, 8 - h.length - t.length)).fill(0), ...t];
}

function v4Groups(v4: string): number[] {
  const o = v4.split('.').map(Number);
  return [(o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!];
}

/** Compiles a group-by list into a function that returns the group key and its readable fields. */
export function compileGroupBy(fields: readonly string[]): (e: SecurityEventMessage) => { key: string; values: Record<string, string> } {
  const getters = fields.map((f): [string, (e: SecurityEventMessage) => string] => {
    const m = /^client\/(\d+)$/.exec(f);
    if (m !== null) { const bits = Number(m[1]); return [f, (e) => prefixOf(e.client, bits)]; }
    return [f, (e) => String((e as unknown as Record<string, unknown>)[f] ?? '')];
  });
  return (e) => {
    const values: Record<string, string> = {};
    for (const [f, get] of getters) values[f] = get(e).slice(0, 256);
    return { key: getters.map(([f]) => values[f]).join('\u0000'), values };
  };
}
