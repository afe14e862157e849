import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors/index.js';

/** Whether a request has a body at all (RFC 9112 6.3). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** 413 for a request whose declared length already exceeds the limit, before reading a byte. */
export function tooLarge(limit: number): GatewayError {
  return new GatewayError('PCL_BODY_TOO_LARGE', { detail: `The request body exceeds the limit of ${limit} bytes.` });
}

/**
 * Wraps a body of unknown length (chunked) so it is forwarded as it arrives and cut off
 * at `limit` bytes: the limit holds while streaming, not after buffering.
 *
 * @example
 * const body = limitStream(req, 1024, (n) => { bytes = n; });
 */
export async function* limitStream(req: IncomingMessage, limit: number, onBytes: (total: number) => void): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    onBytes(total);
    if (total > limit) throw tooLarge(limit);
    yield chunk as Buffer;
  }
}

/**
 * Reads a whole body for stages that need it, never holding more than `limit` bytes.
 *
 * @example
 * ctx.body = await readBounded(req, route.maxBodySize);
 */
export async function readBounded(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}
