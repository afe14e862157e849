import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors/index.js';
import { acceptOrCreateRequestId } from '../proxy/request-id.js';
import { checkDestination } from './check.js';
import type { CompiledEgress, CompiledIntegration } from './compile.js';
import { recordEnd, recordRefusal, refusal, spendBudget, writeProblem, type EgressExchange } from './refuse.js';
import { outboundHeaders, send } from './send.js';
import { parseTarget, portOf } from './target.js';

type Refused = ReturnType<typeof refusal>;

/** Reads the application's request body, bounded; undefined when it is larger than `max`. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) { req.resume(); resolve(undefined); return; }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) { req.pause(); resolve(undefined); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Whether the request asks for a protocol the egress listener cannot carry (it buffers each
 * exchange and checks it whole). Node hands such requests to the request handler when the server
 * has no 'upgrade' listener, and Upgrade is hop-by-hop, so without this check a WebSocket
 * handshake went out as a plain GET the application could not use. `h2c` alone is an optional
 * upgrade that clients drop when it is ignored (RFC 9110 §7.8), so it is ignored as before.
 */
function wantsUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  if (upgrade === undefined) return false;
  return upgrade.split(',').some((p) => p.trim().toLowerCase() !== 'h2c');
}

/**
 * The egress listener's request handler: an application's outbound request (absolute-form as
 * to any HTTP proxy, or a named route) is matched to an integration, checked (client, host,
 * port, address, method, path, the third party's document, circuit, body size, then budget), sent with the
 * integration's credentials over a pinned connection, and its response checked before the
 * application sees it. Anything else is refused with problem+json and an `egress.refused` event.
 *
 * @example
 * http.createServer(createEgressHandler(() => runtime().egress));
 */
export function createEgressHandler(current: () => CompiledEgress | undefined): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const x: EgressExchange = {
      id: acceptOrCreateRequestId(undefined), client: req.socket.remoteAddress ?? '', method: req.method ?? '',
      target: (req.url ?? '').split('?')[0]!.slice(0, 2048), started: performance.now(), integration: undefined,
      userAgent: req.headers['user-agent'],
    };
    const refuse = (r: Refused) => { recordRefusal(x, r.err, r.reason); req.resume(); writeProblem(res, r.err, x.id); };
    void handle(current(), req, res, x, refuse).catch(() => {
      const err = new GatewayError('PCL_INTERNAL');
      recordEnd(x, err.status, 'error', err.code, 0, undefined);
      writeProblem(res, err, x.id);
    });
  };
}

async function handle(egress: CompiledEgress | undefined, req: IncomingMessage, res: ServerResponse, x: EgressExchange, refuse: (r: Refused) => void): Promise<void> {
  if (egress === undefined) { refuse(refusal('PCL_EGRESS_HOST_NOT_ALLOWED', 'egress_disabled', 'Egress is not configured.')); return; }
  if (!egress.allowClients.has(x.client)) { refuse(refusal('PCL_EGRESS_CLIENT_NOT_ALLOWED', 'client_not_allowed', 'This client may not use the egress gateway.')); return; }
  const target = parseTarget(req.url ?? '', egress);
  if (target.kind === 'bad') { refuse(refusal('PCL_EGRESS_BAD_TARGET', 'bad_target', target.detail)); return; }
  if (target.kind === 'unknown-integration') { refuse(refusal('PCL_EGRESS_INTEGRATION_NOT_FOUND', 'unknown_integration', 'No integration of that name has a named route.')); return; }
  let integ: CompiledIntegration | undefined;
  if (target.kind === 'named') integ = target.integration;
  else {
    const port = portOf(target.url);
    integ = egress.integrations.find((i) => i.hosts.matches(target.url.hostname) && i.ports.has(port));
  }
  if (integ === undefined) { refuse(refusal('PCL_EGRESS_HOST_NOT_ALLOWED', 'host_not_allowed', 'This destination is not allowed.')); return; }
  x.integration = integ.name;
  const method = x.method;
  const refused = checkDestination(integ, method, target.url, target.rawPath);
  if (refused !== undefined) { refuse(refused); return; }
  if (wantsUpgrade(req)) {
    refuse(refusal('PCL_METHOD_NOT_IMPLEMENTED', 'upgrade_not_supported', 'Protocol upgrades (WebSocket) are not served by the egress gateway.'));
    return;
  }
  // The budget is the third party's quota: taken last, so only a request that is really sent
  // spends it, and an open circuit or an oversized body refuses without touching the store.
  if (integ.breaker !== undefined && !integ.breaker.canRequest()) {
    refuse(refusal('PCL_UPSTREAM_CIRCUIT_OPEN', 'circuit_open', 'The third party is failing; retry later.', { headers: { 'retry-after': '1' } }));
    return;
  }
  const body = await readBody(req, egress.maxBodySize);
  if (body === undefined) {
    integ.breaker?.onAbort();
    refuse(refusal('PCL_BODY_TOO_LARGE', 'body_too_large', `The request body exceeds ${egress.maxBodySize} bytes.`));
    return;
  }
  const spent = await spendBudget(integ);
  if (spent !== undefined) { refuse(spent); return; }
  const outcome = await send(integ, method, target.url, outboundHeaders(integ, req.headers, true), body, req.headers);
  if (!outcome.ok) { refuse(outcome.refused); return; }
  const r = outcome.response;
  res.writeHead(r.status, { ...r.headers, 'content-length': r.body.length, 'x-request-id': x.id });
  res.end(method === 'HEAD' ? undefined : r.body);
  recordEnd(x, r.status, 'allowed', undefined, r.body.length, r.upstreamS);
}
