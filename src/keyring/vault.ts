import { request } from 'undici';
import type { VaultConfig } from './schema.js';

/** One version of a KV v2 secret as the store returned it. */
export interface VaultSecret {
  readonly data: Readonly<Record<string, unknown>>;
  readonly version: number;
  /** RFC 3339 creation time of this version, when the store says. */
  readonly createdTime: string | undefined;
}

/** Responses larger than this are refused: secrets, not data sets. */
const MAX_RESPONSE_BYTES = 1_048_576;

/**
 * A client of the HashiCorp Vault KV v2 HTTP API (token auth): `GET /v1/<mount>/data/<path>`
 * (optionally `?version=N`) and `POST` of a new version. Messages name the path and the
 * status, never a value.
 *
 * @example
 * const vault = new VaultClient({ address: 'http://127.0.0.1:8200', token, mount: 'secret', timeoutMs: 5000 });
 * const { data, version } = await vault.read('portcullis/fle');
 */
export class VaultClient {
  readonly #cfg: VaultConfig;

  constructor(cfg: VaultConfig) {
    this.#cfg = cfg;
  }

  #url(kind: 'data' | 'metadata', path: string, version?: number): string {
    const base = this.#cfg.address.replace(/\/+$/, '');
    const encoded = path.split('/').map(encodeURIComponent).join('/');
    return `${base}/v1/${this.#cfg.mount}/${kind}/${encoded}${version === undefined ? '' : `?version=${version}`}`;
  }

  #headers(): Record<string, string> {
    return {
      'x-vault-token': this.#cfg.token,
      ...(this.#cfg.namespace === undefined ? {} : { 'x-vault-namespace': this.#cfg.namespace }),
    };
  }

  /** Reads the current version of a secret, or `version`; undefined when it does not exist (404) or that version was deleted. */
  async read(path: string, version?: number): Promise<VaultSecret | undefined> {
    const body = await this.#call('GET', this.#url('data', path, version), path);
    if (body === undefined) return undefined;
    const outer = (body as { data?: unknown }).data;
    const data = (outer as { data?: unknown } | undefined)?.data;
    const metadata = (outer as { metadata?: unknown } | undefined)?.metadata as { version?: unknown; created_time?: unknown; deletion_time?: unknown; destroyed?: unknown } | undefined;
    // A deleted or destroyed version answers data: null with its metadata.
    if (data === null && metadata !== undefined) return undefined;
    if (data === null || typeof data !== 'object' || Array.isArray(data) || typeof metadata?.version !== 'number') {
      throw new Error(`vault ${path}: not a KV v2 response (expected data.data and data.metadata.version; is the mount a KV v2 engine?)`);
    }
    return { data: data as Record<string, unknown>, version: metadata.version, createdTime: typeof metadata.created_time === 'string' ? metadata.created_time : undefined };
  }

  /** Writes a new version of a secret (all its fields); returns the new version number. */
  async write(path: string, data: Readonly<Record<string, unknown>>): Promise<number> {
    const body = await this.#call('POST', this.#url('data', path), path, JSON.stringify({ data }));
    const version = (body as { data?: { version?: unknown } } | undefined)?.data?.version;
    if (typeof version !== 'number') throw new Error(`vault ${path}: the write answered no version`);
    return version;
  }

  async #call(method: 'GET' | 'POST', url: string, path: string, payload?: string): Promise<unknown> {
    let res;
    try {
      res = await request(url, {
        method,
        headers: { ...this.#headers(), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(payload === undefined ? {} : { body: payload }),
        headersTimeout: this.#cfg.timeoutMs,
        bodyTimeout: this.#cfg.timeoutMs,
        signal: AbortSignal.timeout(this.#cfg.timeoutMs),
      });
    } catch (err) {
      throw new Error(`vault ${path}: ${describeFailure(err)}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_RESPONSE_BYTES) { res.body.destroy(); throw new Error(`vault ${path}: response larger than ${MAX_RESPONSE_BYTES} bytes`); }
      chunks.push(chunk as Buffer);
    }
    if (res.statusCode === 404 && method === 'GET') return undefined;
    if (res.statusCode === 403) throw new Error(`vault ${path}: permission denied (403): check the token and its policy`);
    if (res.statusCode === 204) return {};
    if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`vault ${path}: status ${res.statusCode}`);
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new Error(`vault ${path}: the response is not JSON`);
    }
  }
}

function describeFailure(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_HEADERS_TIMEOUT') return 'timed out';
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  return e.code ?? e.message ?? 'request failed';
}
