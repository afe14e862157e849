import { createHmac, timingSafeEqual } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';

/** One syslog message as a receiver parsed it: RFC 5424 header fields and the CEF payload. */
export interface ParsedSyslog {
  pri: number; version: number; timestamp: string; hostname: string; appName: string; procId: string; msgId: string; sd: string;
  cef: { version: string; vendor: string; product: string; deviceVersion: string; classId: string; name: string; severity: string; ext: Record<string, string> };
}

// Splits on unescaped pipes, unescaping \| and \\ (CEF header rules).
function cefHeaderFields(s: string, count: number): { fields: string[]; rest: string } {
  const fields: string[] = [];
  let cur = '';
  let i = 0;
  for (; i < s.length && fields.length < count; i++) {
    const c = s[i]!;
    if (c === '\\' && (s[i + 1] === '|' || s[i + 1] === '\\')) { cur += s[i + 1]; i++; continue; }
    if (c === '|') { fields.push(cur); cur = ''; continue; }
    cur += c;
  }
  return { fields, rest: s.slice(i) };
}

/** Parses CEF extensions `k=v k2=v2`, where values may contain spaces and escaped `\=`, `\\`, `\n`, `\r`. */
function cefExtensions(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  // A key starts after a space (or at the start) and is followed by an unescaped '='.
  const keyAt = /(?:^| )([A-Za-z0-9_]+)=/g;
  const marks: { key: string; start: number; valueStart: number }[] = [];
  for (let m = keyAt.exec(s); m !== null; m = keyAt.exec(s)) {
    let bs = 0;
    for (let j = m.index + m[0].length - 2; j >= 0 && s[j] === '\\'; j--) bs++;
    if (bs % 2 === 1) continue;
    marks.push({ key: m[1]!, start: m.index, valueStart: m.index + m[0].length });
  }
  marks.forEach((mk, k) => {
    const raw = s.slice(mk.valueStart, k + 1 < marks.length ? marks[k + 1]!.start : s.length);
    out[mk.key] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  });
  return out;
}

/**
 * Parses one RFC 5424 message whose MSG is CEF; throws on anything malformed, so a test
 * receiving a bad message fails.
 */
export function parseSyslogCef(msg: string): ParsedSyslog {
  const m = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\]) (.*)$/s.exec(msg);
  if (m === null) throw new Error(`not RFC 5424: ${msg.slice(0, 120)}`);
  const body = m[9]!;
  if (!body.startsWith('CEF:')) throw new Error(`not CEF: ${body.slice(0, 80)}`);
  const { fields, rest } = cefHeaderFields(body.slice(4), 7);
  if (fields.length !== 7) throw new Error(`CEF header has ${fields.length} fields`);
  const [version, vendor, product, deviceVersion, classId, name, severity] = fields as [string, string, string, string, string, string, string];
  return {
    pri: Number(m[1]), version: Number(m[2]), timestamp: m[3]!, hostname: m[4]!, appName: m[5]!, procId: m[6]!, msgId: m[7]!, sd: m[8]!,
    cef: { version, vendor, product, deviceVersion, classId, name, severity, ext: cefExtensions(rest) },
  };
}

/** A syslog receiver on loopback; `messages` are parsed as they arrive. */
export interface SyslogReceiver { port: number; messages: ParsedSyslog[]; errors: string[]; close(): Promise<void> }

/** Octet-counting stream parser (RFC 6587 3.4.1). */
function octetCounted(onMessage: (m: string) => void, onError: (e: string) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const sp = buf.indexOf(0x20);
      if (sp < 0) return;
      const len = Number(buf.subarray(0, sp).toString());
      if (!Number.isInteger(len) || len <= 0) { onError(`bad frame length ${buf.subarray(0, sp).toString()}`); buf = Buffer.alloc(0); return; }
      if (buf.length < sp + 1 + len) return;
      onMessage(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
      buf = buf.subarray(sp + 1 + len);
    }
  };
}

/**
 * Starts a syslog receiver: udp (one message per datagram), tcp or tls (octet counting).
 *
 * @example
 * const r = await startSyslogReceiver('tcp');
 */
export async function startSyslogReceiver(transport: 'udp' | 'tcp' | 'tls', certs?: { cert: string; key: string }, port = 0): Promise<SyslogReceiver> {
  const messages: ParsedSyslog[] = [];
  const errors: string[] = [];
  const take = (m: string) => { try { messages.push(parseSyslogCef(m)); } catch (e) { errors.push((e as Error).message); } };
  if (transport === 'udp') {
    const s = dgram.createSocket('udp4');
    s.on('message', (b) => take(b.toString('utf8')));
    await new Promise<void>((r) => s.bind(port, '127.0.0.1', () => r()));
    return { port: s.address().port, messages, errors, close: () => new Promise<void>((r) => s.close(() => r())) };
  }
  const onConn = (sock: net.Socket) => { sock.on('data', octetCounted(take, (e) => errors.push(e))); sock.on('error', () => {}); };
  const server = transport === 'tcp'
    ? net.createServer(onConn)
    : tls.createServer({ cert: readFileSync(certs!.cert), key: readFileSync(certs!.key) }, onConn);
  const sockets = new Set<net.Socket>();
  server.on(transport === 'tcp' ? 'connection' : 'secureConnection', (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port, messages, errors,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** A TCP listener that accepts and never reads nor answers: a receiver that hangs. */
export async function startHangingServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => { sockets.add(s); s.pause(); s.on('error', () => {}); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }) };
}

/** A port that was just free: nothing listens on it (a receiver that is down). */
export async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A webhook delivery as received, with its signature checked against `secret`. */
export interface ReceivedHook { body: unknown; raw: string; headers: IncomingMessage['headers']; signatureValid: boolean; timestamp: number }

/**
 * Starts an HTTP receiver that verifies `X-Portcullis-Signature` (HMAC-SHA256 over
 * `timestamp.body`) and refuses (401) bad signatures and timestamps more than 5 minutes off.
 */
export async function startWebhookReceiver(secret: string, opts: { status?: number } = {}): Promise<{ url: string; received: ReceivedHook[]; refused: number; close(): Promise<void> }> {
  const received: ReceivedHook[] = [];
  const state = { refused: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const ts = Number(req.headers['x-portcullis-timestamp']);
      const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${raw}`).digest('hex')}`;
      const got = String(req.headers['x-portcullis-signature'] ?? '');
      const signatureValid = got.length === expected.length && timingSafeEqual(Buffer.from(got), Buffer.from(expected));
      const fresh = Math.abs(Date.now() / 1000 - ts) <= 300;
      if (secret !== '' && (!signatureValid || !fresh)) { state.refused++; res.writeHead(401).end(); return; }
      received.push({ body: JSON.parse(raw) as unknown, raw, headers: req.headers, signatureValid, timestamp: ts });
      res.writeHead(opts.status ?? 204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`, received,
    get refused() { return state.refused; },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Polls until `check` returns true, or fails after `ms`. */
export async function waitFor(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
