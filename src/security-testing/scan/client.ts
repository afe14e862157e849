import { PortcullisError } from '../../errors/index.js';

/** One request the scanner sends. */
export interface ScanRequest {
  readonly method: string;
  /** Absolute URL; must be on the target's origin. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Which identity's credential is in the headers (for the curl line), if any. */
  readonly as?: string;
}

/** What came back. */
export interface ScanResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** The body parsed as JSON when it is JSON, else undefined. */
  readonly json: unknown;
  readonly ms: number;
  /** True when no answer came (timeout, connection refused); status is 0 then. */
  readonly failed: boolean;
}

/** Thrown when the request or time budget is spent: the scan stops and reports what it has. */
export class BudgetExhausted extends Error {}

/** Limits of one scan. */
export interface ScanBudget {
  readonly maxRequests: number;
  readonly maxTimeMs: number;
  readonly requestTimeoutMs: number;
}

const MAX_BODY_CHARS = 1_000_000;

/**
 * The only way the scanner talks to the network: every request must be on the target's origin
 * (scheme, host and port), redirects are not followed, and the request and time budgets are
 * enforced here. Credentials never appear in curl lines: they are `$SCAN_AS_<NAME>` references.
 *
 * @example
 * const client = new ScopedClient('http://127.0.0.1:8080', { maxRequests: 500, maxTimeMs: 60_000, requestTimeoutMs: 5_000 });
 * const res = await client.send({ method: 'GET', url: 'http://127.0.0.1:8080/shop/products' });
 */
export class ScopedClient {
  readonly origin: string;
  readonly #budget: ScanBudget;
  readonly #started = Date.now();
  #sent = 0;
  readonly #statuses: Record<string, number> = {};

  constructor(target: string, budget: ScanBudget) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new PortcullisError('PCL_ERR_SCAN_SCOPE', `--target must be an absolute http(s) URL, not "${target}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PortcullisError('PCL_ERR_SCAN_SCOPE', `--target must be http or https, not ${url.protocol}`);
    this.origin = url.origin;
    this.#budget = budget;
  }

  /** Requests sent so far. */
  get sent(): number {
    return this.#sent;
  }

  /** Answers by status class (`2xx`, `4xx`, …; `failed` for no answer). */
  get statuses(): Readonly<Record<string, number>> {
    return { ...this.#statuses };
  }

  /** True when another request would exceed a budget. */
  get exhausted(): boolean {
    return this.#sent >= this.#budget.maxRequests || Date.now() - this.#started >= this.#budget.maxTimeMs;
  }

  /** Sends one request; refuses other origins (PCL_ERR_SCAN_SCOPE) and spent budgets (BudgetExhausted). */
  async send(req: ScanRequest): Promise<ScanResponse> {
    if (new URL(req.url).origin !== this.origin) {
      throw new PortcullisError('PCL_ERR_SCAN_SCOPE', `refused: ${req.url} is not on the target ${this.origin}`);
    }
    if (this.exhausted) throw new BudgetExhausted(`budget spent after ${this.#sent} requests`);
    this.#sent++;
    const start = performance.now();
    const remaining = this.#budget.maxTimeMs - (Date.now() - this.#started);
    try {
      const res = await fetch(req.url, {
        method: req.method,
        headers: req.headers ?? {},
        ...(req.body !== undefined ? { body: req.body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(Math.max(1, Math.min(this.#budget.requestTimeoutMs, remaining))),
      });
      const text = (await res.text()).slice(0, MAX_BODY_CHARS);
      const cls = `${String(res.status)[0]}xx`;
      this.#statuses[cls] = (this.#statuses[cls] ?? 0) + 1;
      let json: unknown;
      if (/json/i.test(res.headers.get('content-type') ?? '')) {
        try { json = JSON.parse(text); } catch { json = undefined; }
      }
      return { status: res.status, headers: Object.fromEntries(res.headers), text, json, ms: performance.now() - start, failed: false };
    } catch {
      this.#statuses.failed = (this.#statuses.failed ?? 0) + 1;
      return { status: 0, headers: {}, text: '', json: undefined, ms: performance.now() - start, failed: true };
    }
  }
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The environment variable a curl line uses for an identity's credential. */
export function credentialVariable(name: string): string {
  return `SCAN_AS_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * The curl command that repeats a request. The credential of `req.as` is written as a variable
 * reference, so reports can be shared without leaking tokens.
 *
 * @example
 * curlLine({ method: 'GET', url: 'http://h/x', headers: { authorization: 'Bearer t' }, as: 'alice' }, { alice: 'Bearer t' });
 * // curl -i -X GET 'http://h/x' -H "authorization: $SCAN_AS_ALICE"
 */
export function curlLine(req: ScanRequest, credentials: Readonly<Record<string, { header: string; value: string }>>): string {
  let out = `curl -i -X ${req.method} ${shellQuote(req.url)}`;
  const cred = req.as !== undefined ? credentials[req.as] : undefined;
  for (const [k, v] of Object.entries(req.headers ?? {})) {
    if (cred !== undefined && k.toLowerCase() === cred.header.toLowerCase() && v === cred.value) out += ` -H "${k}: $${credentialVariable(req.as!)}"`;
    else out += ` -H ${shellQuote(`${k}: ${v}`)}`;
  }
  if (req.body !== undefined) out += ` --data-raw ${shellQuote(req.body)}`;
  return out;
}
