import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A tiny stand-in for HashiCorp Vault's KV v2 HTTP API on loopback (token auth, versions). */
export interface VaultStub {
  readonly url: string;
  readonly token: string;
  /** Every request: method, path (with query) and whether its token was right. */
  readonly requests: { method: string; url: string; authorized: boolean }[];
  /** Writes a new version of `path` (as `vault kv put` does); returns its version. */
  put(path: string, data: Record<string, string>): number;
  /** Deletes one version (data: null afterwards, as Vault's soft delete). */
  deleteVersion(path: string, version: number): void;
  /** The stored versions of a path (for asserting a rotation wrote one). */
  versions(path: string): { version: number; data: Record<string, string> }[];
  close(): Promise<void>;
}

/**
 * Starts the stub: `GET /v1/<mount>/data/<path>[?version=N]` answers `{ data: { data, metadata:
 * { version, created_time, deletion_time, destroyed } } }`, `POST` writes a version
 * (`{ data: {...} }` → `{ data: { version } }`), a wrong or missing X-Vault-Token gets 403, an
 * unknown path 404: the behaviour the keyring relies on.
 *
 * @example
 * const vault = await startVaultStub();
 * vault.put('portcullis/fle', { value: key });
 */
export async function startVaultStub(opts: { mount?: string; token?: string } = {}): Promise<VaultStub> {
  const mount = opts.mount ?? 'secret';
  const token = opts.token ?? 'test-vault-token-0123456789';
  const store = new Map<string, { version: number; data: Record<string, string> | null; created: string }[]>();
  const requests: VaultStub['requests'] = [];
  const put = (path: string, data: Record<string, string>): number => {
    const list = store.get(path) ?? [];
    const version = list.length + 1;
    list.push({ version, data: { ...data }, created: new Date(Date.UTC(2026, 0, version)).toISOString() });
    store.set(path, list);
    return version;
  };
  const prefix = `/v1/${mount}/data/`;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const authorized = req.headers['x-vault-token'] === token;
      requests.push({ method: req.method ?? '', url: req.url ?? '', authorized });
      const send = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
      if (!authorized) return send(403, { errors: ['permission denied'] });
      if (!url.pathname.startsWith(prefix)) return send(404, { errors: [] });
      const path = decodeURIComponent(url.pathname.slice(prefix.length));
      if (req.method === 'POST') {
        const payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: Record<string, string> };
        const version = put(path, payload.data);
        return send(200, { data: { version, created_time: new Date().toISOString(), deletion_time: '', destroyed: false } });
      }
      const list = store.get(path);
      if (list === undefined || list.length === 0) return send(404, { errors: [] });
      const wanted = url.searchParams.get('version');
      const entry = wanted === null || wanted === '0' ? list[list.length - 1]! : list.find((v) => v.version === Number(wanted));
      if (entry === undefined) return send(404, { errors: [] });
      return send(entry.data === null ? 404 : 200, {
        data: { data: entry.data, metadata: { version: entry.version, created_time: entry.created, deletion_time: entry.data === null ? entry.created : '', destroyed: false } },
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    put,
    deleteVersion: (path, version) => { const e = store.get(path)?.find((v) => v.version === version); if (e !== undefined) e.data = null; },
    versions: (path) => (store.get(path) ?? []).filter((v) => v.data !== null).map((v) => ({ version: v.version, data: v.data! })),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
