import { BlockList, isIP } from 'node:net';

const MAPPED_PREFIX = '::ffff:';

/**
 * Normalises an address as it comes from a socket or a header: strips `[...]` brackets
 * and an IPv6 zone (`%eth0`), turns an IPv4-mapped IPv6 address (`::ffff:1.2.3.4` or
 * `::ffff:102:304`) into plain IPv4 and lower-cases IPv6. It does not validate: pair it
 * with `net.isIP` when the input is untrusted.
 *
 * @example
 * normalizeIp('::ffff:10.0.0.1'); // '10.0.0.1'
 * normalizeIp('[FE80::1%eth0]'); // 'fe80::1'
 */
export function normalizeIp(ip: string): string {
  // IPv4, the common case, has no ':' and needs nothing.
  if (!ip.includes(':')) return ip;
  let s = ip;
  if (s.charCodeAt(0) === 91 /* [ */ && s.charCodeAt(s.length - 1) === 93 /* ] */) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  s = s.toLowerCase();
  if (s.startsWith(MAPPED_PREFIX)) {
    const rest = s.slice(MAPPED_PREFIX.length);
    if (isIP(rest) === 4) return rest;
    const v4 = mappedHexToIpv4(rest);
    if (v4 !== undefined) return v4;
  }
  return s;
}

/**
 * Validates and canonicalises an address taken from untrusted text (a header): the result of
 * {@link normalizeIp}, with IPv6 in its RFC 5952 form, or undefined when it is not an IP address.
 * Canonical text matters because the address keys rate limits and bans: `2001:db8::1` and
 * `2001:DB8:0:0::1` must be one client.
 *
 * @example
 * canonicalIp('2001:DB8:0:0::1'); // '2001:db8::1'
 * canonicalIp('not-an-ip'); // undefined
 */
export function canonicalIp(ip: string): string | undefined {
  const n = normalizeIp(ip);
  const family = isIP(n);
  if (family === 4) return n;
  if (family !== 6) return undefined;
  // The WHATWG URL parser serialises IPv6 hosts canonically (lower case, longest zero run compressed).
  const host = new URL(`http://[${n}]/`).hostname;
  return normalizeIp(host);
}

/** `102:304` (the hex tail of `::ffff:102:304`) → `1.2.3.4`; undefined when it is not that shape. */
function mappedHexToIpv4(tail: string): string | undefined {
  const colon = tail.indexOf(':');
  if (colon < 1 || colon > 4 || tail.length - colon - 1 < 1 || tail.length - colon - 1 > 4) return undefined;
  const hi = parseHex16(tail.slice(0, colon));
  const lo = parseHex16(tail.slice(colon + 1));
  if (hi === undefined || lo === undefined) return undefined;
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

function parseHex16(s: string): number | undefined {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return undefined;
    n = n * 16 + d;
  }
  return n;
}

/**
 * A set of IP addresses and CIDR blocks, IPv4 and IPv6, with a fast membership test.
 * Built once at config load. An IPv4-mapped IPv6 address matches the IPv4 entries
 * (a dual-stack listener reports IPv4 peers as `::ffff:a.b.c.d`).
 *
 * Matching is delegated to `node:net` `BlockList` (native code, Node's own IPv6 parser
 * and mapped-address handling) rather than hand-written bit arithmetic: the edge cases
 * of IPv6 text forms are exactly where a home-made parser lets a trusted-proxy check slip.
 *
 * @example
 * const trusted = new CidrMatcher(['10.0.0.0/8', '::1']);
 * trusted.has('10.1.2.3'); // true
 * trusted.has('::ffff:10.1.2.3'); // true
 * trusted.has('192.0.2.1'); // false
 */
export class CidrMatcher {
  readonly #list = new BlockList();
  readonly #size: number;
  readonly #entries: readonly string[];

  /** @throws Error naming the first entry that is not an IP address or CIDR block. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) addEntry(this.#list, entry);
    this.#size = entries.length;
    this.#entries = Object.freeze([...entries]);
  }

  /** The entries the matcher was built from, as given. */
  get entries(): readonly string[] {
    return this.#entries;
  }

  /** True when `ip` (any textual form, brackets and zone allowed) is inside one entry. Never throws. */
  has(ip: string): boolean {
    if (this.#size === 0 || typeof ip !== 'string') return false;
    const n = normalizeIp(ip);
    const family = isIP(n);
    if (family === 4) return this.#list.check(n, 'ipv4');
    if (family === 6) return this.#list.check(n, 'ipv6');
    return false;
  }
}

function addEntry(list: BlockList, raw: string): void {
  const entry = typeof raw === 'string' ? raw.trim() : '';
  const slash = entry.indexOf('/');
  const addrText = slash === -1 ? entry : entry.slice(0, slash);
  const addr = normalizeIp(addrText);
  const family = isIP(addr);
  // Written as IPv6 but normalised to IPv4: a mapped block such as ::ffff:10.0.0.0/104 is 10.0.0.0/8.
  const mapped = family === 4 && addrText.includes(':');
  if (family === 0) throw new Error(`"${String(raw)}" is not an IP address or CIDR block`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash === -1) {
    list.addAddress(addr, type);
    return;
  }
  const prefixText = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  let prefix = /^[0-9]{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (mapped) prefix -= 96;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    const expected = mapped ? '96-128 for an IPv4-mapped block' : `0-${max}`;
    throw new Error(`"${String(raw)}" has an invalid prefix length (expected ${expected})`);
  }
  list.addSubnet(addr, prefix, type);
}
