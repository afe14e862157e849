import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { RequestContext } from '../../pipeline/context.js';

const SAFE = /^[A-Za-z0-9._@/+=-]{1,128}$/;

/**
 * A key part as is when short and plain, else a hash: ids from tokens may hold `:`, `{`, newlines or megabytes.
 *
 * @example
 * safeKeyPart('alice'); // 'alice'
 * safeKeyPart('a}:b'); // 'h.<sha256 base64url>'
 */
export function safeKeyPart(s: string): string {
  return SAFE.test(s) ? s : `h.${createHash('sha256').update(s).digest('base64url')}`;
}

/**
 * Masks an IPv6 address to its first `bits` bits (RFC 5952-ish text, no compression needed:
 * the result only has to be stable). IPv4 is returned unchanged.
 *
 * @example
 * ipv6Prefix('2001:db8:1:2:3:4:5:6', 64); // '2001:db8:1:2::/64'
 */
export function ipv6Prefix(ip: string, bits: number): string {
  if (isIP(ip) !== 6 || bits >= 128) return ip;
  const [head = '', tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  if (t.length > 0 && t[t.length - 1]!.includes('.')) return ip; // embedded IPv4: rare, keep whole
  const groups = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t].map((g) => parseInt(g, 16) || 0);
  const out: string[] = [];
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, bits - i * 16));
    const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
    out.push((groups[i]! & mask).toString(16));
  }
  return `${out.join(':')}/${bits}`;
}

/** Who a request is, for counting: the most trusted identity available. */
export interface ClientKey {
  readonly key: string;
  readonly authenticated: boolean;
}

/**
 * The client key in order of trust: principal id, API key id (principal claim), verified client
 * certificate thumbprint, then client IP (already trusted-proxy resolved; IPv6 aggregated).
 *
 * @example
 * clientKey(ctx, { ipv6Prefix: 64, apiKeyClaim: 'apiKeyId' }); // { key: 'p.alice', authenticated: true }
 */
export function clientKey(ctx: RequestContext, opts: { ipv6Prefix: number; apiKeyClaim: string }): ClientKey {
  const p = ctx.principal;
  if (p !== undefined) {
    if (p.id !== '') return { key: `p.${safeKeyPart(p.id)}`, authenticated: true };
    const keyId = p.claims[opts.apiKeyClaim];
    if (typeof keyId === 'string' && keyId !== '') return { key: `k.${safeKeyPart(keyId)}`, authenticated: true };
  }
  const cert = ctx.client.certificate;
  if (cert !== undefined && cert.authorized) return { key: `c.${safeKeyPart(cert.thumbprint)}`, authenticated: false };
  return { key: `ip.${safeKeyPart(ipv6Prefix(ctx.client.ip, opts.ipv6Prefix))}`, authenticated: false };
}

/**
 * The key of an IP-keyed (pre-auth) limit.
 *
 * @example
 * ipKey(ctx, 64); // 'ip.2001:db8:1:2:0:0:0:0/64'
 */
export function ipKey(ctx: RequestContext, prefixBits: number): string {
  return `ip.${safeKeyPart(ipv6Prefix(ctx.client.ip, prefixBits))}`;
}
