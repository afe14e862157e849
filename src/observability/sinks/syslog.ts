import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import tls from 'node:tls';
import type { SecurityEventMessage } from '../channels.js';
import { toCef, type CefProduct } from './cef.js';
import { octetFrame, rfc5424, type SyslogHeader } from './rfc5424.js';
import type { SyslogSinkConfig } from './schema.js';
import type { SinkTransport } from './sink.js';

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
function cutBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  const b = Buffer.from(s).subarray(0, max);
  return b.toString('utf8').replace(/\uFFFD$/, '');
}

/**
 * Syslog transport: RFC 5424 messages with a CEF payload, over UDP (one datagram each), TCP or
 * TLS (one long-lived connection, octet-counting framing, reconnected on the next attempt after
 * any error).
 *
 * @example
 * const t = createSyslogTransport(cfg, baseDir, { vendor: 'Portcullis', product: 'gateway', version });
 */
export function createSyslogTransport(c: SyslogSinkConfig, baseDir: string, product: CefProduct): SinkTransport {
  const header: SyslogHeader = { facility: c.facility, hostname: c.hostname || hostname(), appName: c.appName, procId: String(process.pid) };
  const line = (e: SecurityEventMessage) => cutBytes(rfc5424(e, toCef(e, product), header), c.maxMessageBytes);
  if (c.transport === 'udp') return udpTransport(c, line);
  const file = (f: string) => (f === '' ? undefined : readFileSync(resolve(baseDir, f)));
  // Read once here: a missing file is an operator error at start, not a delivery failure.
  const tlsOptions = c.transport === 'tls' ? { ca: file(c.ca), cert: file(c.cert), key: file(c.key), servername: c.serverName || c.host } : undefined;
  return streamTransport(c, line, tlsOptions);
}

function udpTransport(c: SyslogSinkConfig, line: (e: SecurityEventMessage) => string): SinkTransport {
  const socket = dgram.createSocket(net.isIPv6(c.host) ? 'udp6' : 'udp4');
  socket.unref();
  socket.on('error', () => { /* reported per send */ });
  const sendOne = (msg: string) => new Promise<void>((res, rej) => { socket.send(msg, c.port, c.host, (err) => (err ? rej(err) : res())); });
  return {
    // UDP has no acknowledgement: "sent" means handed to the kernel. ICMP errors may surface on a later send.
    send: async (batch) => { for (const e of batch) await sendOne(line(e)); },
    close: async () => { await new Promise<void>((r) => { socket.close(() => r()); }); },
  };
}

function streamTransport(c: SyslogSinkConfig, line: (e: SecurityEventMessage) => string, tlsOptions: tls.ConnectionOptions | undefined): SinkTransport {
  let socket: net.Socket | undefined;
  let connecting: Promise<net.Socket> | undefined;
  let pending: net.Socket | undefined;
  const drop = () => { socket?.destroy(); pending?.destroy(); socket = undefined; pending = undefined; connecting = undefined; };
  const connect = (): Promise<net.Socket> => {
    if (socket !== undefined && !socket.destroyed) return Promise.resolve(socket);
    connecting ??= new Promise<net.Socket>((res, rej) => {
      const s = tlsOptions === undefined
        ? net.connect({ host: c.host, port: c.port })
        : tls.connect({ host: c.host, port: c.port, ...tlsOptions });
      pending = s;
      const ready = tlsOptions === undefined ? 'connect' : 'secureConnect';
      s.once(ready, () => { socket = s; pending = undefined; connecting = undefined; res(s); });
      s.once('error', (err) => { if (pending === s) { pending = undefined; connecting = undefined; rej(err); } });
      s.on('error', () => { /* a later write fails and is retried */ });
      s.once('close', () => {
        if (socket === s) socket = undefined;
        if (pending === s) { pending = undefined; connecting = undefined; rej(new Error('connection closed')); }
      });
      // Receivers do not talk back; reading keeps a half-closed peer from going unnoticed.
      s.on('data', () => {});
      s.unref();
    });
    return connecting;
  };
  return {
    send: async (batch) => {
      const s = await connect();
      const payload = batch.map((e) => octetFrame(line(e))).join('');
      await new Promise<void>((res, rej) => { s.write(payload, (err) => (err ? rej(err) : res())); });
    },
    reset: drop,
    close: async () => {
      const s = socket;
      socket = undefined;
      if (s === undefined) return;
      await new Promise<void>((r) => { s.end(() => r()); setTimeout(r, 500).unref(); });
      s.destroy();
    },
  };
}
