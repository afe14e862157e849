import { createHash } from 'node:crypto';
import { subnetOf } from '../util/subnet.js';
import type { RequestContext } from './context.js';
import { headerOrderOf } from './header-order.js';

/**
 * The grammar of a key part, as written in config. One string per part:
 * `ip`, `subnet:V4[:V6]`, `principal`, `apiKey`, `ja4`, `headerOrder`, `header:NAME`, `param:NAME`, `query:NAME`,
 * `body:/json/pointer`, `form:FIELD`, `claim:NAME`.
 */
export const KEY_PART_PATTERN = '^(ip|principal|apiKey|ja4|headerOrder|subnet:([0-9]|[12][0-9]|3[0-2])(:([0-9]{1,2}|1[01][0-9]|12[0-8]))?|header:[!#$%&\'*+.^_`|~0-9A-Za-z-]{1,128}|param:[A-Za-z0-9_.-]{1,128}|query:[^\\s]{1,128}|body:(/[^/]*)+|form:[^\\s]{1,128}|claim:[^\\s]{1,128})$';

/** Description shared by every schema field that takes key parts. */
export const KEY_PARTS_DESCRIPTION = 'What a counter is kept per, as a list of parts (all joined, then hashed with SHA-256 before they reach the store): ip (the client address; IPv6 per ipv6Prefix), subnet:24[:48] (the client network, IPv4[:IPv6] prefix lengths), principal (principal id), apiKey (API key id claim), ja4 (the TLS ClientHello fingerprint; absent on plain HTTP), headerOrder (the HTTP header-order fingerprint), header:NAME, param:NAME (path parameter), query:NAME, body:/json/pointer (JSON body; in a form body the last segment names the field), form:FIELD, claim:NAME (principal claim). A request that lacks a part is not counted by that counter.';

/** Options of a compiled key. */
export interface RequestKeyOptions {
  /** Prefix length for `ip` on IPv6 clients (one /64 is usually one subscriber). */
  readonly ipv6Prefix: number;
  /** Principal claim holding an API key id (`apiKey`). */
  readonly apiKeyClaim: string;
  /** `fold`: values are NFKC-normalised, trimmed and lower-cased (`Alice` and ` alice` are one key). */
  readonly fold?: boolean;
}

/** A key compiled once at load. */
export interface RequestKey {
  /** The parts as configured, for messages. */
  readonly parts: readonly string[];
  /** Some part reads the request body (the stage must ask for it and read it after `limit`). */
  readonly needsBody: boolean;
  /** Some part needs authentication (principal, apiKey, claim): unusable before `authenticate`. */
  readonly needsPrincipal: boolean;
  /** The hashed key (`x.<base64url sha256>`), or undefined when the request lacks a part. */
  of(ctx: RequestContext): string | undefined;
}

type Extract = (ctx: RequestContext) => string | undefined;

const parsedBodies = new WeakMap<RequestContext, unknown>();

/**
 * The request body as JSON, parsed once per request however many keys read it; undefined when it
 * is not JSON. Any body but a form is tried, whatever its Content-Type: many upstreams parse JSON
 * without looking at it, and a key that skipped a `text/plain` body would let a client step out of
 * a per-username limit by relabelling the same JSON.
 */
function jsonBody(ctx: RequestContext): unknown {
  if (parsedBodies.has(ctx)) return parsedBodies.get(ctx);
  let value: unknown;
  const type = String(ctx.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (ctx.body !== undefined && ctx.body.length > 0 && type !== 'application/x-www-form-urlencoded' && !type.startsWith('multipart/')) {
    try { value = JSON.parse(ctx.body.toString('utf8')); } catch { value = undefined; }
  }
  parsedBodies.set(ctx, value);
  return value;
}

function formField(ctx: RequestContext, field: string): string | undefined {
  const type = String(ctx.headers['content-type'] ?? '').toLowerCase();
  if (ctx.body === undefined || !type.startsWith('application/x-www-form-urlencoded')) return undefined;
  return new URLSearchParams(ctx.body.toString('utf8')).get(field) ?? undefined;
}

/** A scalar as key text: strings as they are, numbers and booleans in JSON form (1 and "1" are one key); anything else is absent. */
function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v);
  return undefined;
}

function pointerSegments(pointer: string): string[] {
  return pointer.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function compilePart(part: string, opts: RequestKeyOptions): Extract {
  const colon = part.indexOf(':');
  const kind = colon < 0 ? part : part.slice(0, colon);
  const arg = colon < 0 ? '' : part.slice(colon + 1);
  switch (kind) {
    case 'ip': return (ctx) => subnetOf(ctx.client.ip, 32, opts.ipv6Prefix);
    case 'subnet': {
      const [v4, v6] = arg.split(':').map(Number);
      return (ctx) => subnetOf(ctx.client.ip, v4!, v6 ?? opts.ipv6Prefix);
    }
    case 'principal': return (ctx) => (ctx.principal?.id === '' ? undefined : ctx.principal?.id);
    case 'apiKey': return (ctx) => scalar(ctx.principal?.claims[opts.apiKeyClaim]);
    case 'ja4': return (ctx) => ctx.client.ja4;
    case 'headerOrder': return (ctx) => headerOrderOf(ctx);
    case 'claim': return (ctx) => scalar(ctx.principal?.claims[arg]);
    case 'header': {
      const name = arg.toLowerCase();
      return (ctx) => { const v = ctx.headers[name]; return scalar(Array.isArray(v) ? v[0] : v); };
    }
    case 'param': return (ctx) => scalar(ctx.route.params[arg]);
    case 'query': return (ctx) => (ctx.query === '' ? undefined : scalar(new URLSearchParams(ctx.query).get(arg) ?? undefined));
    case 'form': return (ctx) => scalar(formField(ctx, arg));
    case 'body': {
      const segments = pointerSegments(arg);
      const last = segments.at(-1) ?? '';
      return (ctx) => {
        let value = jsonBody(ctx);
        if (value === undefined) return scalar(formField(ctx, last));
        for (const s of segments) {
          if (value === null || typeof value !== 'object' || !Object.hasOwn(value, s)) return undefined;
          value = (value as Record<string, unknown>)[s];
        }
        return scalar(value);
      };
    }
    default: throw new Error(`unknown key part "${part}" (ip, subnet:N, principal, apiKey, ja4, headerOrder, header:NAME, param:NAME, query:NAME, body:/pointer, form:FIELD, claim:NAME)`);
  }
}

/**
 * Compiles a key from its parts. Values are joined unambiguously (each part's name and
 * length-prefixed value) and hashed, so neither secrets, separators nor megabytes reach the store.
 *
 * @example
 * const key = compileRequestKey(['ip', 'body:/username'], { ipv6Prefix: 64, apiKeyClaim: 'apiKeyId', fold: true });
 * key.of(ctx); // 'x.3q2-…' (or undefined when the body has no username)
 */
export function compileRequestKey(parts: readonly string[], opts: RequestKeyOptions): RequestKey {
  if (parts.length === 0) throw new Error('a key needs at least one part');
  if (new Set(parts).size !== parts.length) throw new Error(`key parts repeat: ${parts.join(', ')}`);
  const extract = parts.map((p) => compilePart(p, opts));
  const fold = opts.fold === true;
  return {
    parts,
    needsBody: parts.some((p) => p.startsWith('body:') || p.startsWith('form:')),
    needsPrincipal: parts.some((p) => p === 'principal' || p === 'apiKey' || p.startsWith('claim:')),
    of(ctx) {
      const hash = createHash('sha256');
      for (let i = 0; i < extract.length; i++) {
        let v = extract[i]!(ctx);
        if (v === undefined) return undefined;
        if (fold) v = v.normalize('NFKC').trim().toLowerCase();
        if (v === '') return undefined;
        hash.update(`${parts[i]}\0${v.length}\0${v}\0`);
      }
      return `x.${hash.digest('base64url')}`;
    },
  };
}
