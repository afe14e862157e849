import https from 'node:https';

/** What an HTTPS request got: a response, or the error that ended it (e.g. a refused handshake). */
export type HttpsOutcome =
  | { readonly status: number; readonly headers: Record<string, unknown>; readonly body: string }
  | { readonly status: undefined; readonly error: NodeJS.ErrnoException };

/**
 * One HTTPS request on a fresh connection (no agent reuse, so each call does its own
 * handshake), optionally presenting a client certificate. PEM text, not file names.
 *
 * @example
 * const r = await httpsRequest(`${gw.httpsUrl}/v1/books`, { ca: serverCaPem, cert, key });
 */
export function httpsRequest(url: string, opts: { ca: string; cert?: string; key?: string; headers?: Record<string, string>; method?: string }): Promise<HttpsOutcome> {
  return new Promise((resolve) => {
    const req = https.request(url, {
      ca: opts.ca, agent: false, method: opts.method ?? 'GET', headers: opts.headers ?? {},
      ...(opts.cert === undefined ? {} : { cert: opts.cert, key: opts.key }),
    }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', (error) => resolve({ status: undefined, error }));
    });
    req.on('error', (error) => resolve({ status: undefined, error }));
    req.end();
  });
}
