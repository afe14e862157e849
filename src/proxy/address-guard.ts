import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { CidrMatcher, normalizeIp } from '../util/cidr.js';

/** The error code of a connection refused because the upstream resolved to a forbidden address. */
export const ADDRESS_REFUSED_CODE = 'ERR_PCL_UPSTREAM_ADDRESS_REFUSED';

/** Why an address is not public, checked in this order (the first match names it). */
const RANGES: readonly [string, string][] = [
  ['169.254.169.254/32', 'cloud-metadata'], ['fd00:ec2::254/128', 'cloud-metadata'], ['100.100.100.200/32', 'cloud-metadata'],
  ['0.0.0.0/8', 'unspecified'], ['::/128', 'unspecified'],
  ['127.0.0.0/8', 'loopback'], ['::1/128', 'loopback'],
  ['10.0.0.0/8', 'private'], ['172.16.0.0/12', 'private'], ['192.168.0.0/16', 'private'], ['fc00::/7', 'private'],
  ['100.64.0.0/10', 'shared'],
  ['169.254.0.0/16', 'link-local'], ['fe80::/10', 'link-local'],
  ['224.0.0.0/4', 'multicast'], ['ff00::/8', 'multicast'],
  ['192.0.0.0/24', 'reserved'], ['192.0.2.0/24', 'reserved'], ['198.18.0.0/15', 'reserved'], ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'], ['240.0.0.0/4', 'reserved'], ['2001:db8::/32', 'reserved'], ['100::/64', 'reserved'],
];
const MATCHERS: readonly [CidrMatcher, string][] = RANGES.map(([cidr, name]) => [new CidrMatcher([cidr]), name]);

/**
 * The category of an address that is not a public unicast address, or undefined for a public one.
 * IPv4-mapped (`::ffff:127.0.0.1`, `::ffff:7f00:1`), NAT64 (`64:ff9b::7f00:1`) and 6to4
 * (`2002:7f00:1::`) forms are judged by the IPv4 address they carry.
 *
 * @example
 * addressCategory('::ffff:169.254.169.254'); // 'cloud-metadata'
 * addressCategory('93.184.216.34');           // undefined
 */
export function addressCategory(ip: string): string | undefined {
  const n = normalizeIp(ip);
  const family = isIP(n);
  if (family === 0) return 'invalid';
  if (family === 6) {
    const embedded = embeddedIpv4(n);
    if (embedded !== undefined) return addressCategory(embedded);
  }
  for (const [m, name] of MATCHERS) if (m.has(n)) return name;
  return undefined;
}

/** The IPv4 address inside a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. */
function embeddedIpv4(v6: string): string | undefined {
  const full = expandIpv6(v6);
  if (full === undefined) return undefined;
  const w = full.map((h) => parseInt(h, 16));
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (w[0] === 0x64 && w[1] === 0xff9b && w.slice(2, 6).every((x) => x === 0)) return v4(w[6]!, w[7]!);
  if (w[0] === 0x2002) return v4(w[1]!, w[2]!);
  return undefined;
}

function expandIpv6(s: string): string[] | undefined {
  const [head, tail] = s.split('::') as [string, string | undefined];
  const a = head === '' ? [] : head.split(':');
  const b = tail === undefined ? [] : tail === '' ? [] : tail.split(':');
  if (b.some((x) => x.includes('.')) || a.some((x) => x.includes('.'))) return undefined;
  const fill = 8 - a.length - b.length;
  if (tail === undefined ? a.length !== 8 : fill < 0) return undefined;
  return [...a, ...Array<string>(tail === undefined ? 0 : fill).fill('0'), ...b];
}

/** An address policy: every non-public address is refused unless `allow` covers it. */
export interface AddressPolicy {
  readonly allow: CidrMatcher;
}

/** Why the policy refuses `ip`, or undefined when it may be connected to. */
export function refusal(policy: AddressPolicy, ip: string): string | undefined {
  const category = addressCategory(ip);
  if (category === undefined || policy.allow.has(ip)) return undefined;
  return category;
}

/**
 * The address a URL host names when it is an IP literal, else undefined. Feed it the hostname the
 * WHATWG URL parser produced: it has already turned the decimal, octal and hex spellings
 * (`2130706433`, `0177.0.0.1`, `0x7f.1`) into dotted quads and bracketed IPv6 into its canonical
 * form, so `[::ffff:127.0.0.1]` arrives as `[::ffff:7f00:1]` and is judged as 127.0.0.1.
 *
 * @example
 * literalAddress(new URL('http://0177.0.0.1/').hostname); // '127.0.0.1'
 * literalAddress('api.example');                          // undefined
 */
export function literalAddress(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? undefined : bare;
}

/**
 * A resolver that answers the names of `fixed` itself (like curl's `--resolve`) and asks `fallback`
 * (DNS) for the rest. The answers are still checked by {@link guardedLookup}: a fixed name is no
 * way around the address guard. Names are matched case-insensitively, without a trailing dot.
 *
 * @example
 * guardedLookup(policy, fixedResolver({ 'api.partner.test': ['127.0.0.1'] }));
 */
export function fixedResolver(fixed: Readonly<Record<string, readonly string[]>>, fallback: typeof dnsLookup = dnsLookup): typeof dnsLookup {
  const table = new Map<string, LookupAddress[]>();
  for (const [name, addresses] of Object.entries(fixed)) {
    table.set(name.toLowerCase().replace(/\.$/, ''), addresses.map((a) => {
      const n = normalizeIp(a);
      return { address: n, family: isIP(n) };
    }));
  }
  const resolve = (hostname: string, options: unknown, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void): void => {
    const hit = table.get(hostname.toLowerCase().replace(/\.$/, ''));
    if (hit === undefined) { (fallback as unknown as (h: string, o: unknown, c: typeof callback) => void)(hostname, options, callback); return; }
    process.nextTick(() => callback(null, hit));
  };
  return resolve as unknown as typeof dnsLookup;
}

/**
 * A `lookup` for net/tls connect that resolves the name, refuses the connection when ANY resolved
 * address is forbidden (a name answering both a public and a private address is how DNS rebinding
 * hides), and hands the socket the checked addresses: the socket connects to what was checked, so a
 * second, different answer cannot slip in between check and connect.
 *
 * @example
 * new Pool(origin, { connect: { lookup: guardedLookup({ allow: new CidrMatcher([]) }) } });
 */
export function guardedLookup(policy: AddressPolicy, resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true } as LookupAllOptions, (err, addresses: LookupAddress[]) => {
      if (err !== null) { callback(err, '', 0); return; }
      for (const a of addresses) {
        const why = refusal(policy, a.address);
        if (why !== undefined) {
          callback(Object.assign(new Error(`upstream ${hostname} resolved to a ${why} address (${a.address})`), { code: ADDRESS_REFUSED_CODE }), '', 0);
          return;
        }
      }
      if ((options as { all?: boolean }).all === true) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
