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
