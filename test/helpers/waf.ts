import http from 'node:http';
import { resolve } from 'node:path';
import { CONFORMANCE_DIR, DEBIAN_CRS_DIR } from './inputs.js';

/** The shared conformance data (CRS v4 rules and regression tests), beside the repository or in the session layout. */
export const CONFORMANCE = CONFORMANCE_DIR;
/** The CRS v4 folder (crs-setup.conf.example + rules/). */
export const CRS4_DIR = resolve(CONFORMANCE, 'crs-4-rules');
export { DEBIAN_CRS_DIR };

/** A response as the WAF tests need it. */
export interface WafResponse { status: number; body: string; headers: http.IncomingHttpHeaders }

/**
 * Sends one request with a chosen Host (fetch cannot set it: CRS flags numeric Host
 * headers such as 127.0.0.1:port) and the headers a browser would send, on a fresh connection.
 *
 * @example
 * const r = await send(gw.url, { path: '/pl1/items?q=1' });
 */
export function send(base: string, o: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number }): Promise<WafResponse> {
  const url = new URL(base);
  const body = o.body === undefined ? undefined : Buffer.from(o.body);
  return new Promise((ok, fail) => {
    const req = http.request({
      host: url.hostname, port: url.port, method: o.method ?? (body === undefined ? 'GET' : 'POST'), path: o.path, agent: false,
      headers: {
        host: 'localhost', accept: 'application/json', 'user-agent': 'portcullis-e2e/1.0',
        ...(body === undefined ? {} : { 'content-length': String(body.length) }), ...o.headers,
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', fail);
    });
    req.on('error', fail);
    // A bound only a stalled gateway reaches: the socket silent for this long fails the request.
    if (o.timeoutMs !== undefined) req.setTimeout(o.timeoutMs, () => req.destroy(new Error(`no answer to ${o.path.slice(0, 40)} within ${o.timeoutMs} ms`)));
    req.end(body);
  });
}
