import type { IncomingMessage } from 'node:http';
import { connect as netConnect, type LookupFunction, type Socket } from 'node:net';
import { acceptOrCreateRequestId } from '../proxy/request-id.js';
import { ADDRESS_REFUSED_CODE, literalAddress, refusal as addressRefusal } from '../proxy/address-guard.js';
import type { CompiledEgress } from './compile.js';
import { recordEnd, recordRefusal, refusal, spendBudget, writeRawProblem, type EgressExchange } from './refuse.js';

const AUTHORITY = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

/** Resolves through the integration's guarded lookup: one checked address, or the refusal's code. */
function resolveChecked(lookup: LookupFunction, host: string): Promise<{ address: string } | { error: string }> {
  return new Promise((resolve) => {
    lookup(host, {}, (err, address) => {
      if (err !== null) resolve({ error: (err as NodeJS.ErrnoException).code ?? 'ERR' });
      else resolve({ address: address as string });
    });
  });
}

/**
 * CONNECT on the egress listener: a TLS tunnel to a host and port an integration with
 * `connect: true` allows. The gateway cannot see inside the tunnel, so it decides by host and
 * port only, checks the resolved address (and connects to exactly that address, so DNS
 * rebinding cannot swap it), and splices bytes. Paths, methods, credentials and response checks
 * need the named route.
 *
 * @example
 * server.on('connect', createEgressConnectHandler(() => runtime().egress));
 */
export function createEgressConnectHandler(current: () => CompiledEgress | undefined): (req: IncomingMessage, socket: Socket, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', () => {});
    const x: EgressExchange = {
      id: acceptOrCreateRequestId(undefined), client: socket.remoteAddress ?? '', method: 'CONNECT',
      target: (req.url ?? '').slice(0, 512), started: performance.now(), integration: undefined, userAgent: req.headers['user-agent'],
    };
    const refuse = (r: ReturnType<typeof refusal>) => { recordRefusal(x, r.err, r.reason); writeRawProblem(socket, r.err, x.id); };
    const egress = current();
    if (egress === undefined) { refuse(refusal('PCL_EGRESS_HOST_NOT_ALLOWED', 'egress_disabled', 'Egress is not configured.')); return; }
    if (!egress.allowClients.has(x.client)) { refuse(refusal('PCL_EGRESS_CLIENT_NOT_ALLOWED', 'client_not_allowed', 'This client may not use the egress gateway.')); return; }
    const m = AUTHORITY.exec(req.url ?? '');
    let hostname: string;
    try {
      if (m === null) throw new Error('bad');
      // The URL parser gives IP literals one spelling (0177.0.0.1 and 2130706433 are 127.0.0.1).
      hostname = new URL(`http://${m[1]!}/`).hostname;
    } catch {
      refuse(refusal('PCL_EGRESS_BAD_TARGET', 'bad_target', 'CONNECT needs host:port.'));
      return;
    }
    const port = Number(m[2]);
    const integ = egress.integrations.find((i) => i.connect && i.hosts.matches(hostname) && i.ports.has(port));
    if (integ === undefined) { refuse(refusal('PCL_EGRESS_HOST_NOT_ALLOWED', 'host_not_allowed', 'Tunnels to this destination are not allowed.')); return; }
    x.integration = integ.name;
    const lit = literalAddress(hostname);
    if (lit !== undefined && addressRefusal(integ.policy, lit) !== undefined) { refuse(refusal('PCL_EGRESS_ADDRESS_REFUSED', 'address_refused', 'The destination address is not allowed.')); return; }
    void (async () => {
      // As on the proxy path, the budget is taken last: a tunnel refused by the circuit or the
      // address guard is never opened and spends none of the third party's quota.
      if (integ.breaker !== undefined && !integ.breaker.canRequest()) { refuse(refusal('PCL_UPSTREAM_CIRCUIT_OPEN', 'circuit_open', 'The third party is failing; retry later.')); return; }
      const r = await resolveChecked(integ.lookup, lit ?? hostname);
      if ('error' in r) {
        integ.breaker?.onAbort();
        refuse(r.error === ADDRESS_REFUSED_CODE
          ? refusal('PCL_EGRESS_ADDRESS_REFUSED', 'address_refused', 'The destination address is not allowed.')
          : refusal('PCL_UPSTREAM_UNAVAILABLE', 'unresolvable', 'The destination name does not resolve.'));
        return;
      }
      // The application may have gone while the name was checked: open nothing and spend nothing for it.
      if (socket.destroyed) { integ.breaker?.onAbort(); return; }
      const spent = await spendBudget(integ);
      if (spent !== undefined) { refuse(spent); return; }
      const upstream = netConnect({ host: r.address, port });
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; upstream.destroy(new Error('connect timeout')); }, integ.connectTimeoutMs);
      let established = false;
      upstream.once('connect', () => {
        established = true;
        clearTimeout(timer);
        integ.breaker?.onSuccess();
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
        recordEnd(x, 200, 'allowed', undefined, 0, (performance.now() - x.started) / 1000);
      });
      upstream.once('error', () => {
        clearTimeout(timer);
        if (established) { socket.destroy(); return; }
        integ.breaker?.onFailure();
        refuse(timedOut ? refusal('PCL_UPSTREAM_TIMEOUT', 'timeout', 'The destination did not accept the connection in time.')
          : refusal('PCL_UPSTREAM_UNAVAILABLE', 'unavailable', 'The destination could not be reached.'));
      });
      socket.once('close', () => upstream.destroy());
      upstream.once('close', () => { if (established) socket.destroy(); });
    })().catch(() => { socket.destroy(); });
  };
}
