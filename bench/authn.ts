import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { stringify } from 'yaml';
import { parseBenchArgs } from './args.js';
import { runLoad, type LoadOptions } from './load.js';
import { cpuUs, freePort, startGatewayProcess, startScript, type TargetProcess } from './processes.js';
import { markdownTable, type RunResult, type TargetSummary } from './report.js';
import { findPackageRoot } from '../src/util/package-root.js';
import { generateApiKey, hashSecret } from '../src/stages/authn/providers/api-key/index.js';

// `node dist/bench/authn.js --duration 5 --rounds 3`: authenticated GETs beside the same
// route without authn, in one gateway process and one run. See docs/performance.md.

const ISS_RS = 'https://rs.idp.bench';
const ISS_ES = 'https://es.idp.bench';
const PEPPER = 'bench-pepper-0123456789-abcdefghijklmnopqrstuvwxyz';
// More distinct tokens than the default verified-token cache holds (10 000), cycled: every
// request of the "many tokens" scenarios is a cache miss and a full signature verification.
const DISTINCT_TOKENS = 12_000;
const OPAQUE = 'opaque-bench-token';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** A local JWKS / introspection server that counts what it is asked. */
interface Idp { readonly url: string; readonly hits: { jwks: number; introspect: number }; close(): Promise<void> }

async function startIdp(jwks: unknown): Promise<Idp> {
  const hits = { jwks: 0, introspect: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    if (req.url === '/jwks') {
      hits.jwks += 1;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      res.end(JSON.stringify(jwks));
      return;
    }
    if (req.url === '/introspect') {
      hits.introspect += 1;
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ active: true, sub: 'bench-user', scope: 'items:read', exp: Math.floor(Date.now() / 1000) + 3600 }));
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

const openapi = (base: string, scheme: string | undefined) => ({
  openapi: '3.1.0',
  info: { title: `bench ${base}`, version: '1.0.0' },
  servers: [{ url: `/${base}` }],
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } } },
  paths: { '/items/{id}': { get: {
    operationId: `get-${base}`, security: scheme === undefined ? [] : [{ [scheme]: [] }],
    parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
    responses: { 200: { description: 'ok' } },
  } } },
});

interface Scenario { readonly id: string; readonly label: string; readonly path: string; readonly load: Omit<LoadOptions, 'url' | 'connections' | 'durationS'> }

const cycle = (tokens: readonly string[]) => {
  let i = 0;
  return () => ({ authorization: `Bearer ${tokens[i++ % tokens.length]!}` });
};

async function signMany(key: CryptoKey, alg: string, iss: string, n: number): Promise<string[]> {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await new SignJWT({ iss, aud: 'bench', sub: `user-${i}`, exp, scope: 'items:read' }).setProtectedHeader({ alg, kid: alg }).sign(key));
  return out;
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const root = findPackageRoot(import.meta.url);
  const ext = extname(new URL(import.meta.url).pathname);
  const tmp = await mkdtemp(join(tmpdir(), 'portcullis-bench-authn-'));
  const owned: TargetProcess[] = [];
  let idp: Idp | undefined;
  try {
    const rs = await generateKeyPair('RS256', { extractable: true });
    const es = await generateKeyPair('ES256', { extractable: true });
    idp = await startIdp({ keys: [{ ...await exportJWK(rs.publicKey), kid: 'RS256', alg: 'RS256' }, { ...await exportJWK(es.publicKey), kid: 'ES256', alg: 'ES256' }] });
    log(`signing ${DISTINCT_TOKENS} RS256 and ${DISTINCT_TOKENS} ES256 tokens…`);
    const rsTokens = await signMany(rs.privateKey, 'RS256', ISS_RS, DISTINCT_TOKENS);
    const esTokens = await signMany(es.privateKey, 'ES256', ISS_ES, DISTINCT_TOKENS);
    const apiKey = generateApiKey();

    const upstream = await startScript(new URL(`./fixed-upstream${ext}`, import.meta.url), { PORT: '0' });
    owned.push(upstream);
    const port = await freePort();
    const adminPort = await freePort();
    const authn = (schemes: Record<string, unknown>) => ({ authn: { schemes } });
    const jwtScheme = { bearer: { kind: 'jwt', issuers: [
      { issuer: ISS_RS, audiences: ['bench'], jwksUri: `${idp.url}/jwks`, algorithms: ['RS256'] },
      { issuer: ISS_ES, audiences: ['bench'], jwksUri: `${idp.url}/jwks`, algorithms: ['ES256'] },
    ] } };
    const apis: [string, string | undefined, Record<string, unknown>][] = [
      ['pass', undefined, {}],
      ['jwt', 'bearer', authn(jwtScheme)],
      ['key', 'apiKey', authn({ apiKey: { kind: 'api-key', file: './keys.yaml', pepper: PEPPER } })],
      ['opaque', 'bearer', authn({ bearer: { kind: 'introspection', endpoint: `${idp.url}/introspect`, clientId: 'bench', clientSecret: 'bench-secret' } })],
    ];
    for (const [base, scheme] of apis) await writeFile(join(tmp, `${base}.json`), JSON.stringify(openapi(base, scheme)));
    await writeFile(join(tmp, 'keys.yaml'), stringify({ keys: [{ id: apiKey.id, hash: hashSecret(PEPPER, apiKey.secret), clientId: 'bench', scopes: [], roles: [], createdAt: new Date().toISOString(), revoked: false }] }));
    const config = {
      server: { host: '127.0.0.1', port },
      admin: { host: '127.0.0.1', port: adminPort },
      logging: { level: 'warn', accessLog: args.accessLog },
      watch: false,
      apis: apis.map(([base, , stages]) => ({ name: base, upstream: `http://127.0.0.1:${upstream.port}`, openapi: `./${base}.json`, stages })),
    };
    const file = join(tmp, 'portcullis.yaml');
    await writeFile(file, stringify(config));
    const gateway = await startGatewayProcess(join(root, 'dist', 'src', 'cli', 'main.js'), file, port, adminPort);
    owned.push(gateway);

    const scenarios: Scenario[] = [
      { id: 'pass', label: 'pass-through (same route, no authn)', path: '/pass/items/42', load: {} },
      { id: 'rs1', label: 'JWT RS256, one token repeated', path: '/jwt/items/42', load: { headers: { authorization: `Bearer ${rsTokens[0]!}` } } },
      { id: 'es1', label: 'JWT ES256, one token repeated', path: '/jwt/items/42', load: { headers: { authorization: `Bearer ${esTokens[0]!}` } } },
      { id: 'rsN', label: `JWT RS256, ${DISTINCT_TOKENS} distinct tokens`, path: '/jwt/items/42', load: { nextHeaders: cycle(rsTokens) } },
      { id: 'esN', label: `JWT ES256, ${DISTINCT_TOKENS} distinct tokens`, path: '/jwt/items/42', load: { nextHeaders: cycle(esTokens) } },
      { id: 'key', label: 'API key', path: '/key/items/42', load: { headers: { 'x-api-key': apiKey.key } } },
      { id: 'opaque', label: 'opaque token (introspection), repeated', path: '/opaque/items/42', load: { headers: { authorization: `Bearer ${OPAQUE}` } } },
    ];
    for (const s of scenarios) {
      const headers = s.load.headers ?? s.load.nextHeaders?.() ?? {};
      const res = await fetch(`http://127.0.0.1:${port}${s.path}`, { headers });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${s.label}: GET ${s.path} answered ${res.status}, expected 200`);
    }
    const before = { ...idp.hits };
    const runs = new Map<string, RunResult[]>(scenarios.map((s) => [s.id, []]));
    let requests = 0;
    for (let round = 1; round <= args.rounds; round++) {
      for (const s of scenarios) {
        const url = `http://127.0.0.1:${port}${s.path}`;
        if (args.warmup > 0) await runLoad({ url, connections: args.connections, durationS: args.warmup, ...s.load });
        const cpuBefore = await cpuUs(gateway.pid);
        const measured = await runLoad({ url, connections: args.connections, durationS: args.duration, ...s.load });
        const cpuAfter = await cpuUs(gateway.pid);
        const responses = measured.rps * args.duration;
        const r = cpuBefore === undefined || cpuAfter === undefined || responses === 0 ? measured : { ...measured, cpuUsPerReq: (cpuAfter - cpuBefore) / responses };
        runs.get(s.id)!.push(r);
        requests += Math.round(r.rps * args.duration);
        log(`round ${round}/${args.rounds}  ${s.label}: ${Math.round(r.rps)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}`);
      }
    }
    const summaries: TargetSummary[] = scenarios.map((s) => ({ id: s.id, label: s.label, runs: runs.get(s.id)! }));
    const cpu = cpus();
    process.stdout.write(`${[
      `### Authentication benchmark (${new Date().toISOString().slice(0, 10)})`,
      '',
      `Node ${process.version}, ${cpu.length} CPU(s) (${cpu[0]?.model.trim() ?? 'unknown'}), loopback; one gateway process, autocannon in the bench process, `
        + `${args.connections} connections, ${args.warmup} s warm-up discarded, ${args.duration} s measured, ${args.rounds} interleaved round(s).`,
      '',
      markdownTable(summaries, 'pass', 'pass-through'),
      '',
      `Network calls by the gateway during the measured and warm-up runs (${requests} measured requests): `
        + `JWKS ${idp.hits.jwks - before.jwks}, introspection ${idp.hits.introspect - before.introspect} `
        + `(before the runs, one request per scenario: JWKS ${before.jwks}, introspection ${before.introspect}).`,
    ].join('\n')}\n`);
  } finally {
    await Promise.allSettled(owned.map((p) => p.stop()));
    await idp?.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  log(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
