import net from 'node:net';

/** A parsed raw HTTP/1.1 response. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

/** Parses the first response in `raw` (Content-Length framed or until close). */
export function parseRaw(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  const head = end >= 0 ? raw.slice(0, end) : raw;
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = end >= 0 ? raw.slice(end + 4) : '';
  if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
  return { status: Number(statusLine?.split(' ')[1] ?? 0), headers, body, raw };
}

/**
 * Sends bytes exactly as given (for malformed requests fetch would refuse to send) and
 * collects what comes back until the server closes or `timeoutMs` passes.
 *
 * @example
 * const res = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
 */
export function rawRequest(port: number, payload: string | Buffer | (string | Buffer)[], opts: { timeoutMs?: number; host?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, opts.host ?? '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), opts.timeoutMs ?? 3_000);
    socket.on('connect', () => {
      for (const part of Array.isArray(payload) ? payload : [payload]) socket.write(part);
    });
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (err) => { if (chunks.length === 0) { clearTimeout(timer); reject(err); } });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseRaw(Buffer.concat(chunks).toString('latin1')));
    });
  });
}
