import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../errors/index.js';
import { timingSafeEqualString } from '../util/timing-safe.js';
import { sendProblem } from './handler.js';

/** Headers the primary adds to an admin call it forwards to a worker (and strips from the caller's). */
export const PROXY_HEADERS = { secret: 'x-portcullis-admin-proxy', peer: 'x-portcullis-admin-peer', cert: 'x-portcullis-admin-cert', requestId: 'x-portcullis-admin-request-id' } as const;

/** A fresh secret that proves a forwarded call came from this primary (workers get it in their environment). */
export const newProxySecret = (): string => randomBytes(24).toString('base64url');

/**
 * The caller as a worker sees it: for a call forwarded by the primary (proven by the shared secret),
 * the primary's view of the peer and of its verified client certificate; else the socket's.
 *
 * @example
 * const { peer, cert } = callerOf(req, process.env.PORTCULLIS_ADMIN_PROXY_SECRET);
 */
export function callerOf(req: IncomingMessage, secret: string | undefined): { peer: string; cert: string | undefined; forwarded: boolean; requestId: string | undefined } {
  const given = req.headers[PROXY_HEADERS.secret];
  if (secret !== undefined && typeof given === 'string' && timingSafeEqualString(given, secret)) {
    const cert = req.headers[PROXY_HEADERS.cert];
    const id = req.headers[PROXY_HEADERS.requestId];
    return { peer: String(req.headers[PROXY_HEADERS.peer] ?? ''), cert: typeof cert === 'string' ? cert : undefined, forwarded: true, requestId: typeof id === 'string' && id !== '' ? id : undefined };
  }
  return { peer: req.socket.remoteAddress ?? '', cert: undefined, forwarded: false, requestId: undefined };
}

/**
 * The primary's handler for admin API and dashboard paths in `--workers` mode: the primary has no
 * runtime, so it forwards the call to one worker's loopback admin listener (the lowest worker id
 * that announced one), adding the caller's address and verified client certificate under the
 * shared secret, and the primary's request id. 503 PCL_UPSTREAM_UNAVAILABLE while no worker is ready.
 *
 * @example
 * const forward = forwardToWorker(() => [...ports.values()][0], secret);
 */
export function forwardToWorker(port: () => number | undefined, secret: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const target = port();
    const id = String(res.getHeader('x-request-id') ?? '');
    if (target === undefined) {
      sendProblem(res, new GatewayError('PCL_UPSTREAM_UNAVAILABLE', { detail: 'No worker serves the admin API yet; retry shortly.' }), id);
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!k.startsWith('x-portcullis-admin-')) headers[k] = v;
    headers[PROXY_HEADERS.secret] = secret;
    headers[PROXY_HEADERS.peer] = req.socket.remoteAddress ?? '';
    // The worker answers and audits under the primary's id, so the caller sees one id.
    headers[PROXY_HEADERS.requestId] = id;
    const socket = req.socket as Partial<TLSSocket>;
    if (socket.authorized === true && typeof socket.getPeerCertificate === 'function') {
      const c = socket.getPeerCertificate();
      headers[PROXY_HEADERS.cert] = `cert:${c.subject?.CN ?? ''}:${c.fingerprint256 ?? ''}`.replace(/[^\x20-\x7e]/g, '?');
    }
    const out = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers, timeout: 15_000 }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('timeout', () => out.destroy(new Error('worker admin timeout')));
    out.on('error', () => {
      if (res.headersSent) res.destroy();
      else sendProblem(res, new GatewayError('PCL_UPSTREAM_UNAVAILABLE'), id);
    });
    req.pipe(out);
  };
}
