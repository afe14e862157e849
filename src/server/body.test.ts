import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { prepareBody, readBounded } from './body.js';

/** A request body stream with headers: the parts of IncomingMessage prepareBody uses. */
function request(headers: Record<string, string>): PassThrough & { headers: Record<string, string> } {
  return Object.assign(new PassThrough(), { headers });
}

const policy = { maxBodySize: 10_000, bufferSize: 100, minRate: 0, rateWindowMs: 1000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function drain(body: AsyncGenerator<Buffer>, pauseMs = 0): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of body) {
    out.push(c);
    if (pauseMs > 0) await sleep(pauseMs);
  }
  return Buffer.concat(out);
}

describe('prepareBody (request buffering)', () => {
  test('a body within the buffer size is read whole', async () => {
    const req = request({ 'content-length': '11' });
    const p = prepareBody(req as unknown as IncomingMessage, policy, () => {});
    req.write('hello ');
    req.end('world');
    const got = await p;
    assert.equal(got.kind, 'whole');
    assert.equal(got.kind === 'whole' && got.body.toString(), 'hello world');
  });

  test('a chunked body that turns out larger than the buffer streams: prefix first, then the rest', async () => {
    const req = request({ 'transfer-encoding': 'chunked' });
    let total = 0;
    const p = prepareBody(req as unknown as IncomingMessage, policy, (n) => { total = n; });
    req.write('a'.repeat(60));
    req.write('b'.repeat(60));
    const got = await p;
    assert.equal(got.kind, 'stream');
    req.end('c'.repeat(30));
    const all = await drain((got as { body: AsyncGenerator<Buffer> }).body);
    assert.equal(all.toString(), 'a'.repeat(60) + 'b'.repeat(60) + 'c'.repeat(30));
    assert.equal(total, 150);
  });

  test('the body limit holds while buffering and while streaming: 413', async () => {
    const small = request({ 'transfer-encoding': 'chunked' });
    const p1 = prepareBody(small as unknown as IncomingMessage, { ...policy, maxBodySize: 50, bufferSize: 50 }, () => {});
    small.write('x'.repeat(51));
    await assert.rejects(p1, { code: 'PCL_BODY_TOO_LARGE' });

    const big = request({ 'transfer-encoding': 'chunked' });
    const p2 = prepareBody(big as unknown as IncomingMessage, { ...policy, maxBodySize: 300 }, () => {});
    big.write('x'.repeat(150));
    const got = await p2;
    big.write('x'.repeat(200));
    await assert.rejects(drain((got as { body: AsyncGenerator<Buffer> }).body), { code: 'PCL_BODY_TOO_LARGE' });
  });

  test('a declared large body arriving below the minimum rate fails with 408 before it is forwarded', async () => {
    const req = request({ 'content-length': '5000' });
    const p = prepareBody(req as unknown as IncomingMessage, { ...policy, minRate: 1000, rateWindowMs: 1000 }, () => {});
    const drip = setInterval(() => req.write('x'), 100);
    try {
      await assert.rejects(p, { code: 'PCL_REQUEST_TIMEOUT', status: 408 });
    } finally {
      clearInterval(drip);
    }
  });

  test('time the upstream takes to pull the body is not held against a fast client', async () => {
    const req = request({ 'content-length': '1500' });
    const p = prepareBody(req as unknown as IncomingMessage, { ...policy, minRate: 1000, rateWindowMs: 1000 }, () => {});
    req.write('x'.repeat(1000));
    const got = await p;
    for (let i = 0; i < 4; i++) req.write('y'.repeat(100));
    req.end('y'.repeat(100));
    // The consumer takes 0.7 s per chunk: 100 bytes per second reach it, far below minRate, but the
    // client sent everything at once; the wait is the gateway's.
    const all = await drain((got as { body: AsyncGenerator<Buffer> }).body, 700);
    assert.equal(all.length, 1500);
  });

  test('a client that goes away mid-body rejects the read (nothing is forwarded)', async () => {
    const req = request({ 'content-length': '50' });
    const p = prepareBody(req as unknown as IncomingMessage, policy, () => {});
    req.write('abc');
    req.destroy();
    await assert.rejects(p);
  });
});

describe('readBounded with observers', () => {
  test('flow control: while an observer says its consumer is behind, the body is not read further', async () => {
    const req = request({});
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const seen: string[] = [];
    let asked = 0;
    const observer = {
      write: (c: Buffer) => { seen.push(c.toString()); },
      end: () => { seen.push('end'); },
      abort: () => { seen.push('abort'); },
      // Behind after the first chunk only.
      drained: () => (++asked === 1 ? gate : undefined),
    };
    const read = readBounded(req as unknown as IncomingMessage, 1_000, [observer]);
    req.write('one');
    await sleep(20);
    req.write('two');
    req.end();
    await sleep(50);
    assert.deepEqual(seen, ['one'], 'the second chunk waits for the consumer');
    release();
    const body = await read;
    assert.equal(body.toString(), 'onetwo');
    assert.deepEqual(seen, ['one', 'two', 'end']);
  });
});
