import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors/index.js';
import type { BodyPolicy } from '../runtime/runtime.js';
import type { RequestBodyObserver, SpoolPolicy } from '../pipeline/stage.js';
import { forgetSpoolDir, spoolDirIn } from './spool-dir.js';
import { SpoolFile } from './spool-file.js';

/** Whether a request has a body at all (RFC 9112 6.3). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** 413 for a request whose declared length already exceeds the limit, before reading a byte. */
export function tooLarge(limit: number): GatewayError {
  return new GatewayError('PCL_BODY_TOO_LARGE', { detail: `The request body exceeds the limit of ${limit} bytes.` });
}

/** 408 for a client that sends a large body slower than the configured minimum rate. */
export function tooSlow(minRate: number, windowMs: number): GatewayError {
  return new GatewayError('PCL_REQUEST_TIMEOUT', { detail: `The request body arrived slower than ${minRate} bytes/s over ${windowMs / 1000} s.` });
}

/** A body ready to forward: whole (sent with Content-Length), or a buffered prefix and the rest as it arrives. */
export type PreparedBody =
  | { readonly kind: 'whole'; readonly body: Buffer }
  | { readonly kind: 'stream'; readonly body: AsyncGenerator<Buffer> };

/**
 * Pulls a request body chunk by chunk (the request stays paused between pulls, so TCP
 * backpressure reaches the client), and can be failed from outside: a rate watchdog
 * fails the pending pull without destroying the socket, so the client still gets a 408.
 */
class BodySource {
  readonly #req: IncomingMessage;
  readonly #chunks: Buffer[] = [];
  #ended = false;
  #error: unknown = undefined;
  #wake: (() => void) | undefined = undefined;

  constructor(req: IncomingMessage) {
    this.#req = req;
    const wake = () => { const w = this.#wake; this.#wake = undefined; w?.(); };
    req.on('data', (c: Buffer) => { this.#chunks.push(c); req.pause(); wake(); });
    req.once('end', () => { this.#ended = true; wake(); });
    req.once('error', (err) => { this.fail(err); });
    // A client that goes away mid-body (or a framing error the parser found) ends here.
    req.once('close', () => { if (!this.#ended) this.fail(new Error('the client closed the connection before the body ended')); });
    // Stages may have run first: the client can have gone (or the body ended) before these listeners.
    if (req.readableEnded) this.#ended = true;
    else if (req.destroyed) this.#error = new Error('the client closed the connection before the body ended');
  }

  fail(err: unknown): void {
    if (this.#error !== undefined || this.#ended) return;
    this.#error = err;
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** The next chunk, or undefined at the end of the body; rejects on failure. */
  async next(): Promise<Buffer | undefined> {
    for (;;) {
      if (this.#error !== undefined) throw this.#error;
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) return chunk;
      if (this.#ended) return undefined;
      this.#req.resume();
      await new Promise<void>((r) => { this.#wake = r; });
    }
  }
}

/**
 * Fails a body that arrives slower than `minRate` bytes/s, checked once per window of
 * `windowMs`. Time the gateway itself held the body back (the upstream had not asked for
 * the next chunk yet) is not held against the client; a window that was mostly held back
 * is not judged.
 */
class RateWatch {
  #bytes = 0;
  #heldMs = 0;
  #holdingSince: number | undefined = undefined;
  #windowStart = performance.now();
  readonly #timer: NodeJS.Timeout;

  constructor(minRate: number, windowMs: number, onSlow: () => void) {
    this.#timer = setInterval(() => {
      const now = performance.now();
      const held = this.#heldMs + (this.#holdingSince === undefined ? 0 : now - Math.max(this.#holdingSince, this.#windowStart));
      const clientMs = now - this.#windowStart - held;
      if (clientMs >= windowMs / 2 && this.#bytes < (minRate * clientMs) / 1000) onSlow();
      this.#bytes = 0;
      this.#heldMs = 0;
      this.#windowStart = now;
    }, windowMs);
    this.#timer.unref();
  }

  add(n: number): void { this.#bytes += n; }
  hold(): void { this.#holdingSince = performance.now(); }
  release(): void {
    if (this.#holdingSince === undefined) return;
    this.#heldMs += performance.now() - Math.max(this.#holdingSince, this.#windowStart);
    this.#holdingSince = undefined;
  }
  stop(): void { clearInterval(this.#timer); }
}

/**
 * Reads a request body for forwarding (request buffering, as nginx does by default): a body
 * of at most `policy.bufferSize` bytes is read whole before anything is sent upstream, so a
 * slow client never holds an upstream connection. A larger body is buffered up to
 * `bufferSize` and then streams, as long as it keeps `policy.minRate` (else 408).
 * `maxBodySize` holds throughout (413). `onBytes` is told the running total.
 *
 * @example
 * const b = await prepareBody(req, { maxBodySize: 1 << 20, bufferSize: 1 << 20, minRate: 1024, rateWindowMs: 10_000 }, (n) => { x.bytesIn = n; });
 * if (b.kind === 'whole') headers['content-length'] = String(b.body.length);
 */
export async function prepareBody(req: IncomingMessage, policy: BodyPolicy, onBytes: (total: number) => void): Promise<PreparedBody> {
  const declared = req.headers['content-length'];
  const source = new BodySource(req);
  let watch: RateWatch | undefined;
  const startWatch = () => {
    if (policy.minRate > 0 && watch === undefined) watch = new RateWatch(policy.minRate, policy.rateWindowMs, () => source.fail(tooSlow(policy.minRate, policy.rateWindowMs)));
  };
  // A declared length above the buffer streams: its first bytes must already arrive at the minimum rate.
  if (declared !== undefined && Number(declared) > policy.bufferSize) startWatch();
  const head: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const chunk = await source.next();
      if (chunk === undefined) {
        watch?.stop();
        return { kind: 'whole', body: head.length === 1 ? head[0]! : Buffer.concat(head, total) };
      }
      total += chunk.length;
      onBytes(total);
      if (total > policy.maxBodySize) throw tooLarge(policy.maxBodySize);
      watch?.add(chunk.length);
      head.push(chunk);
      if (total > policy.bufferSize) break;
    }
  } catch (err) {
    watch?.stop();
    throw err;
  }
  startWatch();
  return { kind: 'stream', body: streamRest(source, head, total, policy.maxBodySize, onBytes, watch) };
}

async function* streamRest(source: BodySource, head: Buffer[], sent: number, limit: number, onBytes: (total: number) => void, watch: RateWatch | undefined): AsyncGenerator<Buffer> {
  let total = sent;
  try {
    // Until the upstream asks for the next chunk, the wait is the gateway's, not the client's.
    for (const chunk of head) {
      watch?.hold();
      yield chunk;
      watch?.release();
    }
    for (;;) {
      const chunk = await source.next();
      if (chunk === undefined) return;
      total += chunk.length;
      onBytes(total);
      if (total > limit) throw tooLarge(limit);
      watch?.add(chunk.length);
      watch?.hold();
      yield chunk;
      watch?.release();
    }
  } finally {
    watch?.stop();
  }
}

/**
 * Reads a whole body for stages that need it, never holding more than `limit` bytes.
 * `observers` see each chunk as it arrives (and the end, or an abort when the read fails).
 * With `spool`, a body that passes `spool.thresholdBytes` goes on to a file in the private
 * directory `spool.dir` instead (its first bytes kept as the head): memory stays at about
 * the threshold whatever the body's size. A read that fails removes its file.
 *
 * @example
 * ctx.body = await readBounded(req, route.maxBodySize);
 */
export async function readBounded(req: IncomingMessage, limit: number, observers: readonly RequestBodyObserver[] = [], spool?: SpoolPolicy): Promise<Buffer | SpoolFile> {
  const chunks: Buffer[] = [];
  let total = 0;
  let file: SpoolFile | undefined;
  try {
    for await (const chunk of req) {
      total += (chunk as Buffer).length;
      if (total > limit) throw tooLarge(limit);
      for (const o of observers) o.write(chunk as Buffer);
      for (const o of observers) {
        const behind = o.drained?.();
        if (behind !== undefined) await behind;
      }
      // Awaiting the write pauses the read: the client is held back at the disk's pace (TCP backpressure).
      if (file !== undefined) {
        await file.write(chunk as Buffer).catch(spoolFailure);
        continue;
      }
      chunks.push(chunk as Buffer);
      if (spool !== undefined && total > spool.thresholdBytes) {
        const held = Buffer.concat(chunks, total);
        chunks.length = 0;
        file = await spoolFile(spool.dir, held.subarray(0, spool.thresholdBytes));
        await file.write(held).catch(spoolFailure);
      }
    }
  } catch (err) {
    file?.dispose();
    for (const o of observers) o.abort();
    throw err;
  }
  for (const o of observers) o.end();
  return file ?? Buffer.concat(chunks, total);
}

async function spoolFile(base: string, head: Buffer): Promise<SpoolFile> {
  // A copy: the head must not keep the whole first read alive.
  const kept = Buffer.from(head);
  try {
    try {
      return await SpoolFile.create(spoolDirIn(base), kept);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The private directory was removed under us (a tmp cleaner): make a new one, once.
      forgetSpoolDir(base);
      return await SpoolFile.create(spoolDirIn(base), kept);
    }
  } catch (err) {
    return spoolFailure(err);
  }
}

/** Errors of a full disk or quota: the client may retry once space is freed, so 503 + Retry-After. */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/**
 * The disk, not the client: a spool that cannot be written is 503 PCL_SPOOL_FULL with
 * Retry-After when the disk or quota is full, otherwise a 500; the cause goes to the logs,
 * never the spool path to the client.
 */
function spoolFailure(err: unknown): never {
  const internal = `request body spool: ${err instanceof Error ? err.message : String(err)}`;
  if (DISK_FULL.has(String((err as NodeJS.ErrnoException | undefined)?.code))) {
    throw new GatewayError('PCL_SPOOL_FULL', { detail: 'The gateway has no room to hold this request body now; retry later.', headers: { 'retry-after': '30' }, internal });
  }
  throw new GatewayError('PCL_INTERNAL', { internal });
}
