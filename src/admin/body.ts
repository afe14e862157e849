import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors/index.js';

const MAX_BODY_BYTES = 8192;

/**
 * Reads a small JSON request body of the admin API: 415 unless `application/json`, 413 beyond
 * 8 KiB (declared or actual), 400 (with `detail`) when it is not JSON.
 *
 * @example
 * const body = await readJsonBody(req, 'Expected a JSON object { scope, api }.');
 */
export async function readJsonBody(req: IncomingMessage, detail = 'Expected a JSON body.'): Promise<unknown> {
  const bad = (internal: string, code: 'PCL_BAD_REQUEST' | 'PCL_BODY_TOO_LARGE' | 'PCL_UNSUPPORTED_MEDIA_TYPE' = 'PCL_BAD_REQUEST') =>
    new GatewayError(code, { detail: code === 'PCL_BAD_REQUEST' ? detail : undefined, internal });
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) throw bad('content-type is not application/json', 'PCL_UNSUPPORTED_MEDIA_TYPE');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw bad('declared body too large', 'PCL_BODY_TOO_LARGE');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw bad('body too large', 'PCL_BODY_TOO_LARGE');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw bad('body is not JSON');
  }
}
