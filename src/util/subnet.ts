import { isIP } from 'node:net';
import { canonicalIp } from './cidr.js';

/**
 * The network an address belongs to, as `<masked address>/<bits>`: IPv4 masked to `v4Bits`, IPv6
 * to `v6Bits`. Counters per subnet use it (a botnet rotating addresses inside one /24 or /48 is one
 * subnet). Text that is not an address is returned as is, so the caller still gets a stable key.
 *
 * @example
 * subnetOf('203.0.113.77', 24, 48); // '203.0.113.0/24'
 * subnetOf('2001:db8:1:2::5', 24, 48); // '2001:db8:1:0:0:0:0:0/48'
 */
export function subnetOf(ip: string, v4Bits: number, v6Bits: number): string {
  const c = canonicalIp(ip);
  if (c === undefined) return ip;
  if (isIP(c) === 4) {
    const n = c.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
    const masked = v4Bits === 0 ? 0 : Math.floor(n / 2 ** (32 - v4Bits)) * 2 ** (32 - v4Bits);
    return `${[24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256).join('.')}/${v4Bits}`;
  }
  const groups = expandIpv6(c);
  const out = groups.map((g, i) => {
    const keep = Math.max(0, Math.min(16, v6Bits - i * 16));
    return (keep === 0 ? 0 : g & ((0xffff << (16 - keep)) & 0xffff)).toString(16);
  });
  return `${out.join(':')}/${v6Bits}`;
}

/** Eight 16-bit groups of a canonical IPv6 address (an embedded IPv4 tail becomes two groups). */
function expandIpv6(ip: string): number[] {
  let text = ip;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - h.length - t.length;
  return [...h, ...Array<string>(Math.max(0, zeros)).fill('0'), ...t].map((g) => parseInt(g, 16) || 0);
}
