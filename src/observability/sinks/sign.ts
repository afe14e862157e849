import { createHmac } from 'node:crypto';
import { request } from 'undici';

/** Header names of a signed webhook delivery. */
export const SIGNATURE_HEADER = 'x-portcullis-signature';
export const TIMESTAMP_HEADER = 'x-portcullis-timestamp';

/**
 * The signature of a webhook body: `sha256=` + hex HMAC-SHA256 over `timestamp + "." + body`.
 * Covering the timestamp lets a receiver refuse replays older than its tolerance.
 *
 * @example
 * signBody('s3cret', 1767225600, '{"events":[]}'); // 'sha256=9f...'
 */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Headers of a JSON POST, signed when a secret is set. */
export function signedHeaders(secret: string, body: string, extra: Readonly<Record<string, string>>, nowMs = Date.now()): Record<string, string> {
  const headers: Record<string, string> = { ...extra, 'content-type': 'application/json' };
  if (secret !== '') {
    const ts = Math.floor(nowMs / 1000);
    headers[TIMESTAMP_HEADER] = String(ts);
    headers[SIGNATURE_HEADER] = signBody(secret, ts, body);
  }
  return headers;
}

/**
 * POSTs a JSON body; any non-2xx status is an error (so the batch is retried).
 *
 * @example
 * await postJson('https://siem.example/hook', body, headers, 5000);
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  // undici's request, not fetch: a fraction of the CPU per call, which matters at one batch per flush per sink.
  // It follows no redirects by default.
  const res = await request(url, { method: 'POST', body, headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
  // Drain so the connection can be reused.
  await res.body.dump().catch(() => undefined);
  if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`${url}: HTTP ${res.statusCode}`);
}
