import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CLAMD, CLAMD_INSTALL, EICAR, freePort, startClamd, type ClamdProcess } from '../helpers/clamd.js';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { needInput } from '../helpers/inputs.js';
import { GIF, PNG, buildMultipart, parseMultipart } from '../helpers/multipart.js';

const skip = needInput('clamd (ClamAV daemon)', CLAMD, CLAMD_INSTALL);
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const MiB = 1_048_576;
const THRESHOLD = 65_536;

/** What the upstream saw of one request: the body's hash as it streamed (and the body when small). */
interface Seen { url: string; headers: IncomingHttpHeaders; sha256: string; length: number; body: Buffer | undefined }

/** An upstream that hashes bodies as they stream; under /hold/ it answers only once released. */
async function startHashingUpstream() {
  const seen: Seen[] = [];
  const held: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    // An upstream that fails mid-body: the connection is reset while the gateway streams from the file.
    if (req.url?.includes('/reset/') === true) { req.once('data', () => req.socket.destroy()); return; }
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (c: Buffer) => { hash.update(c); length += c.length; if (length <= 4 * MiB) chunks.push(c); });
    req.on('error', () => {});
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, sha256: hash.digest('hex'), length, body: length <= 4 * MiB ? Buffer.concat(chunks) : undefined });
      const answer = () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ length })); };
      if (req.url?.includes('/hold/') === true) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    /** Resolves once a request is being held (its body fully received). */
    async holding(): Promise<void> { await waitFor(() => held.length > 0, 'the upstream to hold a request'); },
    release(): void { for (const a of held.splice(0)) a(); },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

async function waitFor(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A request whose body the test writes piece by piece (a slow client), or abandons. */
function openUpload(url: string, contentType: string, length: number) {
  const req = http.request(url, { method: 'POST', headers: { 'content-type': contentType, 'content-length': String(length) } });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
  });
  return { req, response };
}

/** CPU time (user + system) a process used so far, in ms, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The peak resident set of a process so far (kB), from /proc. */
function peakRssKb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

describe('uploads.spool: large bodies go to a private temp file, are forwarded from it and removed on every path', { skip }, () => {
  let clamd: ClamdProcess;
  let up: Awaited<ReturnType<typeof startHashingUpstream>>;
  let gw: GatewayProcess;
  let base: string;
  let tmp: string;
  let stale: string;
  let sibling: string;

  /** The gateway's private spool directory (one per process). */
  const privateDirs = () => readdirSync(base).filter((n) => n.startsWith('portcullis-spool-') && n.includes(`-${gw.child.pid}-`));
  const spooled = () => {
    const dirs = privateDirs();
    assert.equal(dirs.length, 1, `one private directory in ${readdirSync(base).join(', ')}`);
    return readdirSync(join(base, dirs[0]!)).map((n) => ({ name: n, path: join(base, dirs[0]!, n) }));
  };

  before(async () => {
    clamd = await startClamd();
    up = await startHashingUpstream();
    const dead = `http://127.0.0.1:${await freePort()}`;
    const cfg = writeConfig('');
    base = join(cfg.dir, 'spool');
    tmp = join(cfg.dir, 'tmp');
    mkdirSync(base);
    mkdirSync(tmp);
    // Left by a gateway that crashed (its pid is gone), and one of a live process (a cluster sibling's).
    stale = join(base, 'portcullis-spool-4194303-abcDEF');
    sibling = join(base, `portcullis-spool-${process.pid}-abcDEF`);
    mkdirSync(stale);
    writeFileSync(join(stale, '0123456789abcdef0123456789abcdef'), 'old body');
    mkdirSync(sibling);
    const spool = `        spool:\n          thresholdBytes: ${THRESHOLD}\n          dir: ./spool\n`;
    const api = (name: string, upstream: string, stages: string) => `  - name: ${name}\n    upstream: ${upstream}\n    prefixes: [/${name}]\n    limits:\n      maxBodySize: ${80 * MiB}\n    stages:\n      uploads:\n${stages}`;
    writeFileSync(cfg.file, `${E2E_PREAMBLE.replace('server:\n', 'server:\n  shutdownGraceMs: 500\n')}apis:
${api('files', up.url, `        types: [image/png, text/plain, application/octet-stream]
        maxFileSize: ${4 * MiB}
        maxTotalSize: ${8 * MiB}
        maxFiles: 3
        scan:
          clamd: ${clamd.tcp}
${spool}`)}
${api('big', up.url, `        types: [application/octet-stream]
        maxFileSize: ${80 * MiB}
        maxTotalSize: ${80 * MiB}
${spool}`)}
${api('plain', up.url, `        types: [application/octet-stream]
        maxFileSize: ${80 * MiB}
        maxTotalSize: ${80 * MiB}
`)}
${api('dead', dead, `        types: [application/octet-stream]
${spool}`)}`);
    gw = await startGatewayProcess(cfg.file, { env: { TMPDIR: tmp } });
  });
  after(async () => { up?.release(); await gw?.stop(); await up?.close(); await clamd?.stop(); });

  test('start: spool directories of dead processes are removed, a live process\'s is left alone; the private one is 0700', () => {
    assert.equal(existsSync(stale), false, 'the crashed gateway\'s files are gone');
    assert.equal(existsSync(sibling), true);
    const [dir] = privateDirs();
    assert.ok(dir !== undefined);
    assert.equal(statSync(join(base, dir)).mode & 0o777, 0o700);
    assert.deepEqual(spooled(), []);
  });

  test('success: while the upstream holds the request the body is one 0600 file with a random name; the upstream gets the file byte-identical under a sanitised name; the file is gone after', async () => {
    const data = Buffer.concat([PNG, randomBytes(MiB)]);
    const evil = '../../etc/x';
    const { body, contentType } = buildMultipart([{ name: 'note', data: 'hello' }, { name: 'doc', filename: evil, type: 'image/png', data }]);
    const before = up.seen.length;
    const res = fetch(`${gw.url}/files/hold/a`, { method: 'POST', body, headers: { 'content-type': contentType } });
    await up.holding();
    const files = spooled();
    assert.equal(files.length, 1);
    assert.match(files[0]!.name, /^[0-9a-f]{32}$/);
    const st = statSync(files[0]!.path);
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(st.size, body.length, 'the whole body, as the client sent it');
    assert.equal(existsSync(join(base, '..', 'etc', 'x')), false, 'the client\'s name made nothing on disk');
    up.release();
    assert.equal((await res).status, 200);
    const seen = up.seen[before]!;
    assert.equal(seen.headers['content-length'], String(seen.length));
    const parsed = await parseMultipart(seen.headers, seen.body!);
    assert.equal(parsed.fields['note'], 'hello');
    assert.equal(parsed.files[0]!.filename, 'x');
    assert.equal(sha256(parsed.files[0]!.data), sha256(data), 'the file reaches the upstream byte-identical');
    await waitFor(() => spooled().length === 0, 'the spooled file to be removed');
  });

  test('attack: file names with traversal, a NUL and 5000 characters never reach the disk name', async () => {
    const long = 'a'.repeat(5000);
    const { body, contentType } = buildMultipart([
      { name: 'a', filename: '../../etc/passwd', type: 'text/plain', data: 'x'.repeat(40_000) },
      { name: 'b', filename: 'n.txt', type: 'text/plain', headers: [], data: 'y'.repeat(40_000) },
      { name: 'c', filename: `${long}.txt`, type: 'text/plain', data: 'z'.repeat(40_000) },
    ]);
    // The second part's name carries a NUL through RFC 8187 encoding (a raw NUL is refused as malformed).
    const withNul = Buffer.from(body.toString('latin1').replace('filename="n.txt"', 'filename*=UTF-8\'\'..%2F..%2Fn%00.txt'), 'latin1');
    const before = up.seen.length;
    const res = fetch(`${gw.url}/files/hold/names`, { method: 'POST', body: withNul, headers: { 'content-type': contentType } });
    await up.holding();
    assert.deepEqual(spooled().map((f) => /^[0-9a-f]{32}$/.test(f.name)), [true]);
    assert.deepEqual(readdirSync(base).filter((n) => !n.startsWith('portcullis-spool-')), [], 'nothing beside the private directories');
    up.release();
    assert.equal((await res).status, 200);
    const names = (await parseMultipart(up.seen[before]!.headers, up.seen[before]!.body!)).files.map((f) => f.filename);
    assert.equal(names.length, 3);
    for (const n of names) assert.match(n, /^[A-Za-z0-9._-]{1,100}$/);
    await waitFor(() => spooled().length === 0, 'the spooled file to be removed');
  });

  test('below the threshold nothing is written: the body is held in memory', async () => {
    const { body, contentType } = buildMultipart([{ name: 'doc', filename: 'a.txt', type: 'text/plain', data: 'small' }]);
    const res = fetch(`${gw.url}/files/hold/small`, { method: 'POST', body, headers: { 'content-type': contentType } });
    await up.holding();
    assert.deepEqual(spooled(), []);
    up.release();
    assert.equal((await res).status, 200);
  });

  /** Sends `body` in two writes; between them the spooled file must be on disk. */
  const inTwo = async (path: string, contentType: string, body: Buffer) => {
    const { req, response } = openUpload(`${gw.url}${path}`, contentType, body.length);
    req.write(body.subarray(0, 2 * THRESHOLD));
    await waitFor(() => spooled().length === 1, 'the body to be spooled');
    req.end(body.subarray(2 * THRESHOLD));
    const r = await response;
    await waitFor(() => spooled().length === 0, 'the spooled file to be removed');
    return { status: r.status, code: (JSON.parse(r.body) as { code?: string }).code };
  };
  const text = (size: number, middle = '') => Buffer.from('t'.repeat(size / 2) + middle + 't'.repeat(size / 2), 'latin1');

  test('attack: malware (EICAR inside a 1 MiB text file) is refused 422 PCL_UPLOAD_REJECTED; its spooled file is removed, nothing reached the upstream', async () => {
    const before = up.seen.length;
    const { body, contentType } = buildMultipart([{ name: 'doc', filename: 'readme.txt', type: 'text/plain', data: text(MiB, EICAR) }]);
    assert.deepEqual(await inTwo('/files/upload', contentType, body), { status: 422, code: 'PCL_UPLOAD_REJECTED' });
    assert.equal(up.seen.length, before);
  });

  test('refusals 413 (file above maxFileSize), 415 (type outside the allow-list), 422 (declared type disagrees) each remove the spooled file', async () => {
    const big = buildMultipart([{ name: 'doc', filename: 'big.txt', type: 'text/plain', data: text(5 * MiB) }]);
    assert.deepEqual(await inTwo('/files/upload', big.contentType, big.body), { status: 413, code: 'PCL_UPLOAD_TOO_LARGE' });
    const gif = buildMultipart([{ name: 'pic', filename: 'a.gif', type: 'image/gif', data: Buffer.concat([GIF, Buffer.alloc(300_000)]) }]);
    assert.deepEqual(await inTwo('/files/upload', gif.contentType, gif.body), { status: 415, code: 'PCL_UPLOAD_TYPE_NOT_ALLOWED' });
    const lie = buildMultipart([{ name: 'pic', filename: 'a.png', type: 'application/pdf', data: Buffer.concat([PNG, Buffer.alloc(300_000)]) }]);
    assert.deepEqual(await inTwo('/files/upload', lie.contentType, lie.body), { status: 422, code: 'PCL_UPLOAD_REJECTED' });
  });

  test('an upstream that cannot be reached, and one that resets the connection mid-body: 502, and the spooled file is removed', async () => {
    assert.deepEqual(await inTwo('/dead/upload', 'application/octet-stream', randomBytes(MiB)), { status: 502, code: 'PCL_UPSTREAM_UNAVAILABLE' });
    assert.equal((await inTwo('/big/reset/x', 'application/octet-stream', randomBytes(4 * MiB))).status, 502);
  });

  test('a client that aborts mid-upload: its spooled file is removed and the gateway keeps serving', async () => {
    const { req, response } = openUpload(`${gw.url}/big/upload`, 'application/octet-stream', 8 * MiB);
    response.catch(() => {});
    req.write(randomBytes(MiB));
    await waitFor(() => spooled().length === 1, 'the body to be spooled');
    req.destroy();
    await waitFor(() => spooled().length === 0, 'the aborted upload\'s file to be removed');
    const ok = await fetch(`${gw.url}/big/upload`, { method: 'POST', body: randomBytes(2 * THRESHOLD), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(ok.status, 200);
  });

  test('memory: a 64 MiB upload spooled raises the gateway\'s peak RSS by far less than its size, and reaches the upstream byte-identical; unspooled, the peak grows by at least the body (the measure can tell)', async (t) => {
    const body = randomBytes(64 * MiB);
    const digest = sha256(body);
    const pid = gw.child.pid!;
    const send = async (path: string) => {
      const before = up.seen.length;
      const startPeak = peakRssKb(pid);
      const startCpu = cpuMs(pid);
      const res = await fetch(`${gw.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(res.status, 200);
      const seen = up.seen[before]!;
      assert.equal(seen.length, body.length);
      assert.equal(seen.sha256, digest);
      cpu.push(cpuMs(pid) - startCpu);
      return (peakRssKb(pid) - startPeak) / 1024;
    };
    const cpu: number[] = [];
    const spooledGrowth = await send('/big/upload');
    await waitFor(() => spooled().length === 0, 'the spooled file to be removed');
    assert.ok(spooledGrowth < 24, `peak RSS grew ${spooledGrowth.toFixed(1)} MiB with spooling`);
    const heldGrowth = await send('/plain/upload');
    t.diagnostic(`64 MiB upload, gateway peak RSS growth / CPU: spooled ${spooledGrowth.toFixed(1)} MiB / ${cpu[0]} ms, held in memory ${heldGrowth.toFixed(1)} MiB / ${cpu[1]} ms`);
    assert.ok(heldGrowth >= 48, `peak RSS grew ${heldGrowth.toFixed(1)} MiB without spooling`);
    assert.deepEqual(readdirSync(tmp), [], 'spooling off: nothing in the temp dir');
  });

  test('shutdown: a request still held when the gateway stops takes its file and the private directory with it', async () => {
    const res = fetch(`${gw.url}/big/hold/x`, { method: 'POST', body: randomBytes(MiB), headers: { 'content-type': 'application/octet-stream' } });
    res.catch(() => {});
    await up.holding();
    assert.equal(spooled().length, 1);
    const pid = gw.child.pid;
    await gw.stop();
    assert.deepEqual(readdirSync(base).filter((n) => n.includes(`-${pid}-`)), []);
    up.release();
    // No file handle left to the garbage collector, no read of a removed file surfacing as a crash.
    assert.doesNotMatch(gw.stderr(), /file descriptor|Unhandled|uncaught/i);
    assert.equal(gw.logs.filter((l) => Number(l.level) >= 50).length, 0, JSON.stringify(gw.logs.filter((l) => Number(l.level) >= 50)));
  });
});
