import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { ADDRESS_REFUSED_CODE } from '../proxy/address-guard.js';
import { checkDestination } from './check.js';
import type { CompiledIntegration } from './compile.js';
import { refusal } from './refuse.js';

/** Fields never copied between the application and the third party (hop-by-hop, proxy-only). */
const HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect']);

/** A third party's answer, checked and buffered. */
export interface EgressResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
  readonly upstreamS: number;
}

type Outcome = { readonly ok: true; readonly response: EgressResponse } | { readonly ok: false; readonly refused: ReturnType<typeof refusal> };

/**
 * The request headers sent to the third party: the application's, without hop-by-hop and proxy
 * fields and without any it set itself for a name the integration injects (so an application
 * cannot pick which credential goes out), then the integration's own (its credentials).
 */
export function outboundHeaders(integ: CompiledIntegration, incoming: IncomingHttpHeaders, withCredentials: boolean): Record<string, string | string[]> {
  const connectionNamed = new Set(String(incoming.connection ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean));
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP.has(name) || connectionNamed.has(name) || integ.headers.has(name)) continue;
    out[name] = value;
  }
  // Buffered bodies are checked as bytes: ask for them unencoded.
  out['accept-encoding'] = 'identity';
  if (withCredentials) for (const [name, value] of integ.headers) out[name] = value;
  return out;
}

/** Request fields a client never carries to another origin on a redirect (as browsers and curl drop them). */
const ORIGIN_BOUND = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * The headers of a redirect hop to another origin than the first request's: none of the
 * integration's credentials (they belong to the provider's origin) and none of the application's
 * own credentials either, so a redirect cannot carry a secret to a host the request was not for.
 */
function crossOriginHeaders(integ: CompiledIntegration, incoming: IncomingHttpHeaders): Record<string, string | string[]> {
  const out = outboundHeaders(integ, incoming, false);
  for (const name of ORIGIN_BOUND) delete out[name];
  return out;
}

/** The error code of an undici failure, looking through `cause` (the lookup's refusal arrives wrapped). */
function codeOf(err: unknown): string | undefined {
  for (let e = err as { code?: string; cause?: unknown } | undefined, i = 0; e !== undefined && e !== null && i < 5; e = e.cause as typeof e, i++) {
    if (e.code === ADDRESS_REFUSED_CODE) return ADDRESS_REFUSED_CODE;
    if (typeof e.code === 'string' && (e.code.startsWith('UND_ERR_') || e.code.startsWith('ERR_TLS') || e.code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO/.test(e.code))) return e.code;
  }
  return (err as { code?: string } | undefined)?.code;
}

/** Maps a failed send to the client's answer; `counts` says whether it is the third party's fault (breaker). */
function failure(err: unknown): { refused: ReturnType<typeof refusal>; counts: boolean } {
  const code = codeOf(err) ?? '';
  if (code === ADDRESS_REFUSED_CODE) return { refused: refusal('PCL_EGRESS_ADDRESS_REFUSED', 'address_refused', 'The destination address is not allowed.'), counts: false };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { refused: refusal('PCL_UPSTREAM_TIMEOUT', 'timeout', 'The third party did not answer in time.'), counts: true };
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL|ALTNAME/.test(code)) return { refused: refusal('PCL_UPSTREAM_TLS_FAILED', 'tls_failed', 'The third party\'s TLS certificate was not accepted.'), counts: true };
  if (code === 'UND_ERR_ENOTFOUND' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { refused: refusal('PCL_UPSTREAM_UNAVAILABLE', 'unresolvable', 'The third party\'s name does not resolve.'), counts: false };
  return { refused: refusal('PCL_UPSTREAM_UNAVAILABLE', 'unavailable', 'The third party could not be reached.'), counts: true };
}

/** Reads a body up to `max` bytes; undefined when it is larger (the rest is discarded). */
async function readBounded(body: Dispatcher.ResponseData['body'], declared: string | string[] | undefined, max: number): Promise<Buffer | undefined> {
  if (typeof declared === 'string' && Number(declared) > max) { body.destroy(); return undefined; }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > max) { body.destroy(); return undefined; }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Sends a checked request and checks what comes back: follows at most `maxRedirects` redirects
 * for GET/HEAD (each hop checked again like the first request: host, port, literal address, path,
 * and, through the pinned lookup, every resolved address; no userinfo, no https-to-http hop;
 * credentials, the integration's and the application's, only to the original origin), bounds the
 * body, then checks content type and the third party's document.
 *
 * @example
 * const outcome = await send(integ, 'GET', url, headers, undefined);
 */
export async function send(integ: CompiledIntegration, method: string, first: URL, headers: Record<string, string | string[]>, body: Buffer | undefined, incoming: IncomingHttpHeaders): Promise<Outcome> {
  let url = first;
  const started = performance.now();
  for (let hop = 0; ; hop++) {
    let res: Dispatcher.ResponseData;
    try {
      res = await integ.dispatcher.request({
        origin: url.origin, path: `${url.pathname}${url.search}`, method: method as Dispatcher.HttpMethod,
        headers: { ...(url.origin === first.origin ? headers : crossOriginHeaders(integ, incoming)), host: url.host },
        ...(body !== undefined && body.length > 0 ? { body } : {}),
      });
    } catch (err) {
      const f = failure(err);
      if (f.counts) integ.breaker?.onFailure(); else integ.breaker?.onAbort();
      return { ok: false, refused: f.refused };
    }
    const upstreamS = (performance.now() - started) / 1000;
    const location = res.headers.location;
    if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string' && integ.maxRedirects > 0 && (method === 'GET' || method === 'HEAD')) {
      // A redirect's body is never passed on; a provider streaming an endless one must not hold the connection.
      void res.body.dump({ limit: 65_536 }).catch(() => {});
      // The event says where the hop pointed, without the query (signed URLs carry secrets there).
      const shown = location.split(/[?#]/)[0]!.slice(0, 150);
      const refuseHop = (why: string) => ({ ok: false as const, refused: refusal('PCL_EGRESS_REDIRECT_REFUSED', 'redirect_refused', 'The third party redirected to a disallowed destination.', { internal: `${why}: ${shown}` }) });
      if (hop >= integ.maxRedirects) return { ok: false, refused: refusal('PCL_EGRESS_REDIRECT_REFUSED', 'redirect_refused', 'The third party redirected too many times.', { internal: `more than ${integ.maxRedirects} redirects` }) };
      let next: URL;
      try { next = new URL(location, url); } catch { return refuseHop('invalid Location'); }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') return refuseHop('scheme');
      // Userinfo is refused as in the first request; a hop from TLS to plain text would send the
      // request (and what the application put in it) readable on the network: neither is followed.
      if (next.username !== '' || next.password !== '') return refuseHop('userinfo');
      if (url.protocol === 'https:' && next.protocol === 'http:') return refuseHop('https to http');
      const rawPath = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(location)?.[1] ?? location.split(/[?#]/)[0] ?? '';
      const refused = checkDestination(integ, method, next, rawPath.startsWith('/') ? rawPath : next.pathname);
      if (refused !== undefined) {
        const err = refused.err;
        return { ok: false, refused: refusal(err.code === 'PCL_EGRESS_ADDRESS_REFUSED' ? err.code : 'PCL_EGRESS_REDIRECT_REFUSED', 'redirect_refused', 'The third party redirected to a disallowed destination.', { internal: `${refused.reason}: ${shown}` }) };
      }
      url = next;
      continue;
    }
    let bytes: Buffer | undefined;
    try {
      bytes = await readBounded(res.body, res.headers['content-length'], integ.maxBodyBytes);
    } catch (err) {
      const f = failure(err);
      if (f.counts) integ.breaker?.onFailure();
      return { ok: false, refused: f.refused };
    }
    integ.breaker?.onSuccess();
    if (bytes === undefined) return { ok: false, refused: refusal('PCL_EGRESS_RESPONSE_REJECTED', 'response_rejected', 'The third party\'s response is larger than allowed.') };
    const ct = res.headers['content-type'];
    const essence = typeof ct === 'string' ? ct.split(';')[0]!.trim().toLowerCase() : undefined;
    if (integ.contentTypes !== undefined && (bytes.length > 0 || essence !== undefined) && (essence === undefined || !integ.contentTypes.has(essence))) {
      return { ok: false, refused: refusal('PCL_EGRESS_RESPONSE_REJECTED', 'response_rejected', 'The third party\'s response has an unexpected content type.') };
    }
    const op = integ.contract?.operation(method, url.pathname);
    if (op !== undefined) {
      const verdict = integ.contract!.check(op, res.statusCode, typeof ct === 'string' ? ct : undefined, bytes);
      if (!verdict.ok) return { ok: false, refused: refusal('PCL_EGRESS_RESPONSE_REJECTED', 'response_rejected', 'The third party\'s response does not match its API document.', { internal: verdict.reason ?? '' }) };
    }
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(res.headers)) if (value !== undefined && !HOP.has(name)) out[name] = value;
    return { ok: true, response: { status: res.statusCode, headers: out, body: bytes, upstreamS } };
  }
}
