import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

// The floor of a refusal in Node: a bare node:http server answering every request with the same
// 503 problem+json (body, Retry-After and security headers the size of the gateway's), nothing
// else. `bench/chain-shed.ts` measures the gateway's shed path against it. As a child process:
// PORT (default 0); prints "listening <port>".
const body = JSON.stringify({
  type: 'https://portcullis.dev/problems/overloaded', title: 'Service Unavailable', status: 503, code: 'PCL_OVERLOADED',
  instance: 'urn:request:00000000-0000-0000-0000-000000000000', detail: 'The gateway is overloaded; retry later.',
});
const headers = {
  'retry-after': '1', 'content-type': 'application/problem+json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
  'content-security-policy': "frame-ancestors 'none'", 'referrer-policy': 'no-referrer',
  'x-request-id': '00000000-0000-0000-0000-000000000000', 'content-length': String(Buffer.byteLength(body)),
};
const server = createServer((_req, res) => {
  res.writeHead(503, headers);
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
