import { request, type Dispatcher } from 'undici';

/** What `fetchJson` returns: the parsed body and the response's freshness lifetime. */
export interface JsonResponse {
  readonly body: unknown;
  /** `Cache-Control: max-age` in seconds, undefined when absent or `no-store`/`no-cache`. */
  readonly maxAgeSeconds: number | undefined;
}

/** Options of one bounded JSON exchange with an identity provider. */
export interface FetchJsonOptions {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs: number;
  /** Largest accepted response body in bytes. */
  readonly maxBytes: number;
  readonly dispatcher?: Dispatcher;
}

/**
 * GETs/POSTs `url` and parses a JSON response: 2xx only, bounded size and time, no
 * redirects followed (an identity provider redirecting key material elsewhere is refused).
 *
 * @example
 * const { body, maxAgeSeconds } = await fetchJson('https://idp.example/jwks', { timeoutMs: 5000, maxBytes: 1 << 20 });
 */
export async function fetchJson(url: string, opts: FetchJsonOptions): Promise<JsonResponse> {
  const res = await request(url, {
    method: opts.method ?? 'GET',
    headers: { accept: 'application/json', ...opts.headers },
    body: opts.body ?? null,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    signal: AbortSignal.timeout(opts.timeoutMs),
    ...(opts.dispatcher === undefined ? {} : { dispatcher: opts.dispatcher }),
  });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > opts.maxBytes) {
      res.body.destroy();
      throw new Error(`${url}: response larger than ${opts.maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`${url}: HTTP ${res.statusCode}`);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new Error(`${url}: response is not JSON`);
  }
  return { body, maxAgeSeconds: maxAge(res.headers['cache-control']) };
}

function maxAge(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value === undefined || /(?:^|,)\s*no-(?:store|cache)\b/i.test(value)) return undefined;
  const m = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,10})"?/i.exec(value);
  return m === null ? undefined : Number(m[1]);
}

/** True for URLs that may be plain http: loopback hosts only (tests, sidecars). */
export function isLoopbackUrl(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
}
