import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { booksConfig } from '../helpers/config.js';
import { makeCert } from '../helpers/certs.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

/**
 * JA4 as the FoxIO spec defines it, written here a second time, independently of src/tls (no
 * shared code, a different parse), because no published JA4 exists for this Node/OpenSSL and this
 * curl: the gateway's value for a real Node and a real curl handshake must equal it.
 */
function referenceJa4(rec: Buffer): string {
  const u16 = (o: number) => (rec[o]! << 8) | rec[o + 1]!;
  const grease = (v: number) => (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
  let o = 5 + 4 + 2 + 32;
  o += 1 + rec[o]!;
  const ciphers: number[] = [];
  const cEnd = o + 2 + u16(o);
  for (let i = o + 2; i < cEnd; i += 2) ciphers.push(u16(i));
  o = cEnd;
  o += 1 + rec[o]!;
  const eEnd = o + 2 + u16(o);
  o += 2;
  const exts: number[] = [];
  let versions: number[] = [];
  let sigs: number[] = [];
  let alpn = '';
  while (o < eEnd) {
    const type = u16(o); const len = u16(o + 2); const d = o + 4;
    exts.push(type);
    if (type === 0x2b) for (let i = d + 1; i < d + 1 + rec[d]!; i += 2) versions.push(u16(i));
    if (type === 0x0d) for (let i = d + 2; i < d + 2 + u16(d); i += 2) sigs.push(u16(i));
    if (type === 0x10) alpn = rec.subarray(d + 3, d + 3 + rec[d + 2]!).toString('latin1');
    o = d + len;
  }
  versions = versions.filter((v) => !grease(v));
  sigs = sigs.filter((v) => !grease(v));
  const v = versions.length > 0 ? Math.max(...versions) : u16(9);
  const ver = ({ 0x0304: '13', 0x0303: '12', 0x0302: '11', 0x0301: '10' } as Record<number, string>)[v] ?? '00';
  const cs = ciphers.filter((c) => !grease(c));
  const es = exts.filter((e) => !grease(e));
  const h = (x: number) => x.toString(16).padStart(4, '0');
  const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
  const nn = (n: number) => String(Math.min(n, 99)).padStart(2, '0');
  const al = alpn === '' ? '00' : `${alpn[0]}${alpn[alpn.length - 1]}`;
  const extList = es.filter((e) => e !== 0 && e !== 0x10).map(h).sort().join(',');
  return `t${ver}${es.includes(0) ? 'd' : 'i'}${nn(cs.length)}${nn(es.length)}${al}_${sha(cs.map(h).sort().join(','))}_${sha(sigs.length > 0 ? `${extList}_${sigs.map(h).join(',')}` : extList)}`;
}

/** Records the first TLS record a client sends to it, then hangs up. */
async function recordHello(client: (port: number) => Promise<unknown>): Promise<Buffer> {
  let got: Buffer | undefined;
  const server = net.createServer((s) => {
    let buf = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 5 && buf.length >= buf.readUInt16BE(3) + 5) { got = buf.subarray(0, buf.readUInt16BE(3) + 5); s.destroy(); }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  await client((server.address() as net.AddressInfo).port).catch(() => {});
  await new Promise<void>((r) => server.close(() => r()));
  assert.ok(got !== undefined, 'a ClientHello was recorded');
  return got;
}

/** A raw HTTP/1.1 request over Node's TLS client with exactly these header lines, in this order. */
function nodeRequest(port: number, lines: readonly string[]): Promise<{ head: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      s.write(`GET /v1/books HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
    });
    let data = '';
    s.on('data', (c: Buffer) => { data += c.toString('latin1'); });
    s.on('end', () => resolve({ head: data.split('\r\n\r\n')[0]! }));
    s.on('error', reject);
  });
}

function curl(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sk', '--max-time', '20', '--resolve', `localhost:${port}:127.0.0.1`, '-o', '-', '-w', '\n%{http_code}', `https://localhost:${port}/v1/books`], (err, stdout) => {
      if (err !== null && stdout === '') { reject(err); return; }
      const i = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) });
    });
  });
}

const LINES = ['Host: localhost', 'User-Agent: ja4-test', 'Accept: application/json', 'X-Order-Test: 1', 'Connection: close'];
const ORDER = createHash('sha256').update('host,user-agent,accept,x-order-test,connection').digest('hex').slice(0, 12);

describe('JA4 and header-order fingerprints at the TLS listener', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let port: number;
  let nodeJa4: string;
  let curlJa4: string;

  before(async () => {
    nodeJa4 = referenceJa4(await recordHello((p) => nodeRequest(p, LINES)));
    curlJa4 = referenceJa4(await recordHello((p) => curl(p)));
    assert.notEqual(nodeJa4, curlJa4);
    up = await startUpstream();
    const cert = makeCert('ja4');
    const apiExtra = `    stages:
      bot:
        signals:
          automationUserAgent: { weight: 0 }
          missingBrowserHeaders: { weight: 0 }
          cadence: { weight: 0 }
          enumeration: { weight: 0 }
          fingerprint: { denyJa4: ["${curlJa4}", "${nodeJa4}"] }
        allow: { ja4: ["${nodeJa4}"] }
      response-rules:
        rules:
          - name: tag-node
            match: { when: 'request.tls.ja4 == "${nodeJa4}" && request.headerOrder == "${ORDER}"' }
            set: { headers: { x-tls-client: node } }
      rate-limit:
        limits:
          - { name: per-tls-stack, limit: 2, window: 1h, key: [ja4] }
`;
    const cfg = booksConfig(up.url, { server: `  http: false\n  tls:\n    host: 127.0.0.1\n    port: 0\n    cert: ${cert.cert}\n    key: ${cert.key}`, apiExtra });
    gw = await startGatewayProcess(cfg.file);
    port = Number(new URL(gw.httpsUrl!).port);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  test('Node\'s handshake: request.tls.ja4 and request.headerOrder in CEL equal the reference values; the ja4 key part counts per TLS stack; the bot allow list passes it', async () => {
    assert.match(nodeJa4, /^t1[23][di][0-9]{4}h1_[0-9a-f]{12}_[0-9a-f]{12}$/);
    const first = await nodeRequest(port, LINES);
    assert.match(first.head, /^HTTP\/1\.1 200 /, 'on the deny list too, but allow.ja4 wins');
    assert.match(first.head, /\r\nx-tls-client: node\r\n/i, 'the CEL condition on request.tls.ja4 and request.headerOrder matched');
    const reordered = await nodeRequest(port, [LINES[1]!, LINES[0]!, ...LINES.slice(2)]);
    assert.doesNotMatch(reordered.head, /x-tls-client/i, 'another header order is another fingerprint');
    const third = await nodeRequest(port, LINES);
    assert.match(third.head, /^HTTP\/1\.1 429 /, 'the third request of this TLS stack within the hour');
    assert.match(third.head, /\r\ncontent-type: application\/problem\+json/i);
  });

  test('curl\'s handshake: its JA4 on the bot deny list is refused with 429 PCL_BOT_THROTTLED and reported', async () => {
    const r = await curl(port);
    assert.equal(r.status, 429);
    assert.equal((JSON.parse(r.body) as { code: string }).code, 'PCL_BOT_THROTTLED');
    const line = await gw.waitForLog((l) => l.event === 'bot.detected' && l.reason === 'denied-fingerprint');
    assert.deepEqual(line.ruleIds, ['denied-fingerprint']);
    assert.equal(gw.logs.filter((l) => l.event === 'bot.detected').length, 1, 'curl\'s request only: Node\'s allow-listed stack, on the deny list too, was never scored');
  });
});
