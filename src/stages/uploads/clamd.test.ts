import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ClamdStream, parseClamdAddress, parseReply } from './clamd.js';

test('clamd replies are read as clean, infected (with the signature) or an error', () => {
  assert.deepEqual(parseReply('stream: OK\0'), { kind: 'clean' });
  assert.deepEqual(parseReply('stream: Win.Test.EICAR_HDB-1 FOUND\0'), { kind: 'infected', signature: 'Win.Test.EICAR_HDB-1' });
  assert.equal(parseReply('INSTREAM size limit exceeded. ERROR\0').kind, 'unavailable');
});

test('addresses: tcp host:port (IPv6 in brackets) and unix paths', () => {
  assert.deepEqual(parseClamdAddress('tcp://[::1]:3310'), { host: '::1', port: 3310 });
  assert.deepEqual(parseClamdAddress('unix:/run/clamav/clamd.ctl'), { path: '/run/clamav/clamd.ctl' });
  assert.throws(() => parseClamdAddress('tcp://127.0.0.1:70000'), /port/);
});

test('a clamd that accepts but never answers is "unavailable" after the timeout, and the frames it got are INSTREAM\'s', async () => {
  const received: Buffer[] = [];
  const sockets: net.Socket[] = [];
  let closed!: () => void;
  const peerClosed = new Promise<void>((r) => { closed = r; });
  const server = net.createServer((s) => { sockets.push(s); s.on('data', (d: Buffer) => received.push(d)); s.on('close', () => closed()); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  try {
    const scan = new ClamdStream({ host: '127.0.0.1', port }, 300);
    scan.write(Buffer.from('abc'));
    const verdict = await scan.finish();
    assert.equal(verdict.kind, 'unavailable');
    assert.match((verdict as { reason: string }).reason, /no answer within 300 ms/);
    // The client hung up after the timeout: everything it sent has arrived once the server sees the close.
    await peerClosed;
    const all = Buffer.concat(received);
    assert.deepEqual(all, Buffer.concat([Buffer.from('zINSTREAM\0'), Buffer.from([0, 0, 0, 3]), Buffer.from('abc'), Buffer.alloc(4)]));
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('flow control: while clamd reads slower than the body arrives, drained() holds the writer; it resumes when clamd reads', async () => {
  let peer!: net.Socket;
  let received = 0;
  const server = net.createServer();
  const connected = new Promise<void>((r) => {
    server.once('connection', (s: net.Socket) => { peer = s; s.pause(); s.on('data', (d: Buffer) => { received += d.length; }); r(); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  try {
    const scan = new ClamdStream({ host: '127.0.0.1', port }, 10_000);
    await connected;
    assert.equal(scan.drained(), undefined, 'nothing sent yet: nothing to wait for');
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const settlesWithin = (p: Promise<void>, ms: number) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
    // A paused peer: the kernel's buffers take the first megabytes, then the writer must be held.
    let held: Promise<void> | undefined;
    for (let mib = 0; mib < 256 && held === undefined; mib++) {
      scan.write(chunk);
      const behind = scan.drained();
      if (behind !== undefined && !(await settlesWithin(behind, 500))) held = behind;
    }
    assert.ok(held !== undefined, 'the writer is held (half a second and more) once clamd stops reading');
    peer.resume();
    await held;
    assert.ok(received > 0);
  } finally {
    peer?.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('flow control: a clamd that stops reading releases the writer after the timeout, and the verdict is unavailable', async () => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => { sockets.push(s); s.pause(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  try {
    const scan = new ClamdStream({ host: '127.0.0.1', port }, 300);
    const chunk = Buffer.alloc(1024 * 1024, 0x62);
    let released = false;
    for (let mib = 0; mib < 256 && !released; mib++) {
      scan.write(chunk);
      const behind = scan.drained();
      if (behind === undefined) continue;
      await behind;
      // After a drain the next megabyte makes the writer wait again; after the timeout's release
      // the scan is over: writes are dropped and nothing is ever waited for.
      scan.write(chunk);
      released = scan.drained() === undefined;
    }
    assert.ok(released, 'the writer was held, then released by the timeout');
    const verdict = await scan.finish();
    assert.equal(verdict.kind, 'unavailable');
    assert.match((verdict as { reason: string }).reason, /read nothing within 300 ms/);
    assert.equal(scan.drained(), undefined, 'a concluded scan never holds the writer again');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
