import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { parse, stringify } from 'yaml';
import { parseBenchArgs, type BenchArgs } from './args.js';
import { BENCH_AUTHZ, benchBody } from './authz-micro.js';
import { runLoad, type LoadOptions } from './load.js';
import { shedCost } from './chain-shed.js';
import { closedLoopCapacity, runOpenLoop, type OpenLoopResult } from './open-loop.js';
import { cpuUs, freePort, rssKb, startGatewayProcess, startScript, treeCpuUs, type TargetProcess } from './processes.js';
import { growthPercent, markdownTable, median, medianRow, type RunResult, type TargetSummary } from './report.js';
import { findPackageRoot } from '../src/util/package-root.js';
import { generateApiKey, hashSecret } from '../src/stages/authn/providers/api-key/index.js';
import { spkiPin } from '../src/proxy/upstream-tls.js';
import { makeCert } from '../test/helpers/certs.js';

// `node dist/bench/chain.js [--duration N] [--warmup N] [--connections N] [--rounds N] [--rows id,id]`:
// the whole security chain beside the minimal undici proxy and pass-through, plus one row per stage
// (`tls`: an HTTPS upstream through upstreamTls; `fle`: field-level encryption), interleaved in one
// run. `--soak N`: the full chain alone at 70 % of its measured capacity for N s, RSS and heap
// sampled (`--rate N`: at N req/s instead). `--overload`: the full chain at 3x its capacity,
// open-loop (bench/open-loop.ts), without server.overload, with its event-loop-delay trigger only,
// and with maxInFlight too (`--rate N`, `--max-in-flight N`, `--eld MS`). `--shed`: CPU per shed 503
// against CPU per served full-chain request (bench/chain-shed.ts; with `--baseline ROOT`, both builds;
// `--shed-sink`: with a JSON-lines SIEM sink).
// `--workers N`: the full chain in one process and with --workers N (CPU per request, the primary's
// share). `--profile DIR`: the gateways and the minimal proxy write --cpu-prof profiles into DIR. See docs/performance.md,
// "The whole chain".

const ISS = 'https://idp.chain.bench';
const PEPPER = 'bench-pepper-0123456789-abcdefghijklmnopqrstuvwxyz';
const TOKENS = 1_000;
const ITEM = '/v1/tenants/acme/items/42';
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Row { readonly id: string; readonly label: string; readonly gw: 'min' | 'main' | 'redis' | 'full'; readonly path: string; readonly load: Omit<LoadOptions, 'url' | 'connections' | 'durationS'>; readonly vs?: string }

interface ChainArgs extends BenchArgs { readonly rows: readonly string[] | undefined; readonly overload: boolean; readonly workers: number; readonly profile: string | undefined; readonly eld: number; readonly baseline: string | undefined; readonly rate: number | undefined; readonly maxInFlight: number | undefined; readonly shed: boolean; readonly shedSink: boolean }

function parseChainArgs(argv: readonly string[]): ChainArgs {
  const rest: string[] = [];
  let rows: string[] | undefined;
  let overload = false;
  let shed = false;
  let shedSink = false;
  let workers = 0;
  let profile: string | undefined;
  let eld = 40;
  let baseline: string | undefined;
  let rate: number | undefined;
  let maxInFlight: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--rows') rows = String(argv[++i]).split(',');
    else if (a === '--overload') overload = true;
    else if (a === '--shed') shed = true;
    else if (a === '--shed-sink') shedSink = true;
    else if (a === '--workers') workers = Number(argv[++i]);
    else if (a === '--profile') profile = argv[++i];
    else if (a === '--eld') eld = Number(argv[++i]);
    else if (a === '--baseline') baseline = argv[++i];
    else if (a === '--max-in-flight') maxInFlight = Number(argv[++i]);
    else if (a === '--rate') {
      rate = Number(argv[++i]);
      if (!(rate > 0)) throw new Error(`--rate takes requests per second > 0; got "${argv[i]}"`);
    }
    else rest.push(a);
  }
  return { ...parseBenchArgs(rest), rows, overload, workers, profile, eld, baseline, rate, maxInFlight, shed, shedSink };
}

async function main(): Promise<void> {
  const args = parseChainArgs(process.argv.slice(2));
  const root = findPackageRoot(import.meta.url);
  const cli = join(root, 'dist', 'src', 'cli', 'main.js');
  const ext = extname(new URL(import.meta.url).pathname);
  const tmp = await mkdtemp(join(tmpdir(), 'portcullis-bench-chain-'));
  const owned: TargetProcess[] = [];
  try {
    const keys = await generateKeyPair('RS256', { extractable: true });
    await writeFile(join(tmp, 'jwks.json'), JSON.stringify({ keys: [{ ...await exportJWK(keys.publicKey), kid: 'k1', alg: 'RS256' }] }));
    const exp = Math.floor(Date.now() / 1000) + 7200;
    const tokens: string[] = [];
    for (let i = 0; i < TOKENS; i++) tokens.push(await new SignJWT({ iss: ISS, aud: 'bench', sub: `user-${i}`, exp, scope: 'items:read' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(keys.privateKey));
    const apiKey = generateApiKey();
    await writeFile(join(tmp, 'keys.yaml'), stringify({ keys: [{ id: apiKey.id, hash: hashSecret(PEPPER, apiKey.secret), clientId: 'bench', scopes: [], roles: [], createdAt: new Date().toISOString(), revoked: false }] }));
    const doc = parse(readFileSync(join(root, 'bench', 'fixtures', 'chain-openapi.yaml'), 'utf8')) as Record<string, unknown>;
    for (const [name, security] of [['none', []], ['bearer', [{ bearer: [] }]], ['key', [{ apiKey: [] }]]] as const) {
      await writeFile(join(tmp, `doc-${name}.json`), JSON.stringify({ ...doc, security }));
    }

    const upstream = await startScript(new URL(`./fixed-upstream${ext}`, import.meta.url), { PORT: '0' });
    owned.push(upstream);
    const up = `http://127.0.0.1:${upstream.port}`;
    // The `tls` row: the same fixed upstream over HTTPS, its certificate trusted as the CA and its key pinned.
    const wantTls = args.soak === undefined && !args.overload && args.workers <= 1 && (args.rows === undefined || args.rows.includes('tls'));
    const tlsApis: unknown[] = [];
    if (wantTls) {
      const { cert, key } = makeCert('bench-upstream', tmp);
      const tlsUpstream = await startScript(new URL(`./fixed-upstream${ext}`, import.meta.url), { PORT: '0', TLS_CERT: cert, TLS_KEY: key });
      owned.push(tlsUpstream);
      tlsApis.push({ name: 'tls', upstream: `https://127.0.0.1:${tlsUpstream.port}`, prefixes: ['/tls'], upstreamTls: { ca: cert, pins: [spkiPin(new X509Certificate(readFileSync(cert)))] } });
    }
    // The `fle` row's key: one bare base64 key in a file (keyring version 1).
    await writeFile(join(tmp, 'fle.key'), `${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 });
    const keyring = { keys: { 'bench-fle': { file: './fle.key', length: 32 } } };
    const jwt = { authn: { schemes: { bearer: { kind: 'jwt', issuers: [{ issuer: ISS, audiences: ['bench'], keysFile: './jwks.json', algorithms: ['RS256'] }] } } } };
    const api = (name: string, docName: string, stages: Record<string, unknown>) => ({ name, upstream: up, openapi: `./doc-${docName}.json`, basePath: `/${name}/v1`, stages });
    const getAuthz = { rules: [{ id: 'deny-blocked', effect: 'deny', when: "'x-block' in request.headers" }, { id: 'tenant-readers', effect: 'allow', when: "request.params.tenantId == 'acme' && request.method == 'GET'" }], responseRules: BENCH_AUTHZ.responseRules };
    const fullStages = { ...jwt, 'request-validation': {}, 'rate-limit': { limits: [{ name: 'chain', limit: 1_000_000_000, window: '1m' }] }, authz: getAuthz, 'response-filter': { action: 'filter' } };
    const nodeArgs = (name: string) => (args.profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', args.profile, '--cpu-prof-name', `${name}.cpuprofile`]);
    const gateway = async (name: string, apis: unknown[], extra: Record<string, unknown> = {}, cliArgs: string[] = [], cliPath = cli): Promise<TargetProcess> => {
      const port = await freePort();
      const adminPort = await freePort();
      const file = join(tmp, `${name}.yaml`);
      const { server, ...rest } = extra as { server?: Record<string, unknown> };
      await writeFile(file, stringify({
        server: { host: '127.0.0.1', port, ...server }, admin: { host: '127.0.0.1', port: adminPort },
        logging: { level: 'warn', accessLog: false }, watch: false, apis, ...rest,
      }));
      const p = await startGatewayProcess(cliPath, file, port, adminPort, 90_000, { args: cliArgs, nodeArgs: nodeArgs(name) });
      owned.push(p);
      return p;
    };
    // The full chain: JWT (1,000 rotating tokens) + routing + validation + rate limit + authz + response filter + access log.
    const fullApi = api('full', 'bearer', fullStages);
    const fullLog = { logging: { level: 'warn', accessLog: true } };
    const rotating = () => { let i = 0; return () => ({ authorization: `Bearer ${tokens[i++ % TOKENS]!}` }); };
    const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: benchBody() };

    if (args.soak !== undefined) return await soak(args, await gateway('full', [fullApi], fullLog), `${ITEM}`, rotating);
    if (args.overload) return await overload(args, gateway, fullApi, fullLog, rotating, tokens);
    if (args.shed) {
      process.stdout.write(`${await shedCost({
        args, gateway: (name, apis, extra, cliPath) => gateway(name, apis, extra, [], cliPath), withUpstream: (u) => ({ ...(fullApi as object), upstream: u }),
        extra: fullLog, path: `/full${ITEM}`, rotating, prime: (u) => prime(u, tokens), fixedUpstream: up,
        baselineCli: args.baseline === undefined ? undefined : join(args.baseline, 'dist', 'src', 'cli', 'main.js'), sink: args.shedSink,
      })}\n`);
      return;
    }
    if (args.workers > 1) return await workers(args, gateway, fullApi, fullLog, rotating, tokens);

    // `--baseline ROOT`: every gateway also runs from another build (ROOT/dist/src/cli/main.js), and
    // each row is measured on both, interleaved: before/after CPU per request from one run.
    const base = args.baseline === undefined ? undefined : join(args.baseline, 'dist', 'src', 'cli', 'main.js');
    const startGateways = async (suffix: string, cliPath: string): Promise<Record<Exclude<Row['gw'], 'min'>, TargetProcess>> => {
      const needs = (...ids: string[]) => args.rows === undefined || ids.some((id) => args.rows!.includes(id));
      const none = undefined as unknown as TargetProcess;
      return {
        main: needs('pass', 'passpost', 'jwt', 'key', 'rlm', 'azv', 'event', 'tls', 'fle') ? await gateway(`main${suffix}`, [
          { name: 'pass', upstream: up, prefixes: ['/pass'] },
          api('jwt', 'bearer', jwt),
          api('key', 'key', { authn: { schemes: { apiKey: { kind: 'api-key', file: './keys.yaml', pepper: PEPPER } } } }),
          api('rlm', 'none', { 'rate-limit': { limits: [{ name: 'mem', limit: 1_000_000_000, window: '1m' }] } }),
          api('azv', 'none', { 'request-validation': {}, authz: BENCH_AUTHZ, 'response-filter': { action: 'filter' } }),
          api('event', 'none', { 'request-validation': { mode: 'monitor' } }),
          api('fle', 'none', { 'field-encryption': { key: 'bench-fle', fields: ['/name'] } }),
          ...tlsApis,
        ], { keyring }, [], cliPath) : none,
        redis: needs('rlr', 'fullr') ? await gateway(`redis${suffix}`, [api('rlr', 'none', { 'rate-limit': { limits: [{ name: 'redis', limit: 1_000_000_000, window: '1m' }] } }), { ...fullApi, name: 'fullr', basePath: '/fullr/v1' }],
          { store: { backend: 'redis', redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: `pcl-bench:${Date.now()}${suffix}:` } }, [], cliPath) : none,
        full: needs('full') ? await gateway(`full${suffix}`, [fullApi], fullLog, [], cliPath) : none,
      };
    };
    const procs: Record<Row['gw'], TargetProcess> = {
      // Profiled too with --profile: the pass-through row is read against it (docs/performance.md).
      min: await startScript(new URL(`./minimal-proxy${ext}`, import.meta.url), { UPSTREAM: up, PORT: '0' }, 10_000, nodeArgs('min')),
      ...await startGateways('', cli),
    };
    const baseProcs = base === undefined ? undefined : { min: procs.min, ...await startGateways('-base', base) };
    owned.push(procs.min);
    const all: Row[] = [
      { id: 'min', label: 'minimal node:http + undici proxy', gw: 'min', path: ITEM, load: {} },
      { id: 'pass', label: 'Portcullis pass-through (prefix, no stages)', gw: 'main', path: `/pass${ITEM}`, load: {} },
      { id: 'passpost', label: 'Portcullis pass-through, POST 1 KB JSON', gw: 'main', path: `/pass${ITEM}`, load: post },
      { id: 'jwt', label: 'JWT RS256, one token (cached)', gw: 'main', path: `/jwt${ITEM}`, load: { headers: { authorization: `Bearer ${tokens[0]!}` } }, vs: 'pass' },
      { id: 'key', label: 'API key', gw: 'main', path: `/key${ITEM}`, load: { headers: { 'x-api-key': apiKey.key } }, vs: 'pass' },
      { id: 'rlm', label: 'rate limit, memory store', gw: 'main', path: `/rlm${ITEM}`, load: {}, vs: 'pass' },
      { id: 'rlr', label: 'rate limit, Redis store', gw: 'redis', path: `/rlr${ITEM}`, load: {}, vs: 'pass' },
      { id: 'azv', label: 'validation + authz (CEL) + response filter, POST 1 KB JSON', gw: 'main', path: `/azv${ITEM}`, load: post, vs: 'passpost' },
      { id: 'tls', label: 'HTTPS upstream (upstreamTls: CA + SPKI pin)', gw: 'main', path: `/tls${ITEM}`, load: {}, vs: 'pass' },
      { id: 'fle', label: 'field-level encryption of /name (JWE), masked in the response, POST 1 KB JSON', gw: 'main', path: `/fle${ITEM}`, load: post, vs: 'passpost' },
      { id: 'event', label: 'every request raises a security event (validation, monitor mode)', gw: 'main', path: '/event/v1/tenants/acme/items/x42', load: {}, vs: 'pass' },
      { id: 'full', label: `full chain, ${TOKENS} rotating RS256 tokens, access log on`, gw: 'full', path: `/full${ITEM}`, load: { nextHeaders: rotating() } },
      { id: 'fullr', label: `full chain on the Redis store (${TOKENS} rotating tokens, access log off)`, gw: 'redis', path: `/fullr${ITEM}`, load: { nextHeaders: rotating() } },
    ];
    const picked = all.filter((r) => args.rows === undefined || args.rows.includes(r.id) || r.id === 'min');
    const rows = baseProcs === undefined ? picked : picked.flatMap((r) => (r.gw === 'min' ? [r] : [{ ...r, id: `${r.id}~base`, label: `${r.label} (baseline)`, ...(r.vs === undefined ? {} : { vs: `${r.vs}~base` }) }, r]));
    const procOf = (r: Row) => (r.id.endsWith('~base') ? baseProcs![r.gw] : procs[r.gw]);
    for (const r of rows) {
      const res = await fetch(`http://127.0.0.1:${procOf(r).port}${r.path}`, { method: r.load.method ?? 'GET', headers: { ...r.load.headers, ...r.load.nextHeaders?.() }, ...(r.load.body === undefined ? {} : { body: r.load.body }) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${r.label}: ${r.path} answered ${res.status}, expected 200`);
      // The fixed upstream's `name` comes back masked only if the stage really ran on the response.
      if (r.id.startsWith('fle') && !text.includes('"name":"[ENCRYPTED]"')) throw new Error(`${r.label}: the response's name is not masked: ${text}`);
      // Every rotating token once before any measurement, so the rows measure the steady state
      // (a cache holding them all) rather than however many signatures a short run happens to verify.
      if (r.load.nextHeaders !== undefined) await prime(`http://127.0.0.1:${procOf(r).port}${r.path}`, tokens);
    }
    const runs = new Map<string, RunResult[]>(rows.map((r) => [r.id, []]));
    // With --baseline, a row's baseline and this build are loaded at the same time (half the
    // connections each), so both share whatever else the machine is doing during that run.
    const units: Row[][] = baseProcs === undefined ? rows.map((r) => [r]) : rows.filter((r) => !r.id.endsWith('~base')).map((r) => (r.gw === 'min' ? [r] : [rows.find((b) => b.id === `${r.id}~base`)!, r]));
    const one = async (r: Row, connections: number, round: number): Promise<void> => {
      const p = procOf(r);
      const url = `http://127.0.0.1:${p.port}${r.path}`;
      const before = await cpuUs(p.pid);
      const m = await runLoad({ url, connections, durationS: args.duration, ...r.load });
      const after = await cpuUs(p.pid);
      const cpu = before === undefined || after === undefined || m.responses === 0 ? undefined : (after - before) / (m.responses ?? 1);
      runs.get(r.id)!.push({ ...m, ...(cpu === undefined ? {} : { cpuUsPerReq: cpu }) });
      log(`round ${round} ${r.id}: ${Math.round(m.rps)} req/s, p99 ${m.p99Ms.toFixed(2)} ms, ${cpu === undefined ? '?' : Math.round(cpu)} µs/req`);
    };
    for (let round = 1; round <= args.rounds; round++) {
      for (const unit of units) {
        const connections = Math.max(1, Math.round(args.connections / unit.length));
        if (args.warmup > 0) await Promise.all(unit.map((r) => runLoad({ url: `http://127.0.0.1:${procOf(r).port}${r.path}`, connections, durationS: args.warmup, ...r.load })));
        await Promise.all(unit.map((r) => one(r, connections, round)));
      }
    }
    const summaries: TargetSummary[] = rows.map((r) => ({ id: r.id, label: r.label, runs: runs.get(r.id)! }));
    const out = [header(args), '', markdownTable(summaries, 'min'), '', '| stage row | vs | req/s vs pass-through | p99 vs pass-through | CPU µs/req added |', '|---|---|---:|---:|---:|'];
    for (const r of rows.filter((x) => x.vs !== undefined && runs.has(x.vs))) {
      const a = medianRow(runs.get(r.id)!);
      const b = medianRow(runs.get(r.vs!)!);
      out.push(`| ${r.label} | ${r.vs} | ${(a.rps / b.rps).toFixed(2)}x | ${(a.p99Ms / b.p99Ms).toFixed(2)}x | ${Math.round(a.cpuUsPerReq - b.cpuUsPerReq)} |`);
    }
    if (baseProcs !== undefined) {
      out.push('', `| row | CPU µs/req baseline (${args.baseline}) | CPU µs/req this build | ratio | rounds (baseline → this build) |`, '|---|---:|---:|---:|---|');
      for (const r of picked.filter((x) => x.gw !== 'min')) {
        const b = runs.get(`${r.id}~base`)!;
        const a = runs.get(r.id)!;
        const [mb, ma] = [medianRow(b).cpuUsPerReq, medianRow(a).cpuUsPerReq];
        out.push(`| ${r.label} | ${Math.round(mb)} | ${Math.round(ma)} | ${(ma / mb).toFixed(2)}x | ${b.map((x, i) => `${Math.round(x.cpuUsPerReq ?? 0)}→${Math.round(a[i]?.cpuUsPerReq ?? 0)}`).join(', ')} |`);
      }
    }
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await Promise.all(owned.map((p) => p.stop()));
    await rm(tmp, { recursive: true, force: true });
  }
}

async function prime(url: string, tokens: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tokens.length) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${tokens[next++]!}` } });
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
}

type Gateway = (name: string, apis: unknown[], extra?: Record<string, unknown>, cliArgs?: string[]) => Promise<TargetProcess>;

function header(args: BenchArgs): string {
  return `Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), loopback; ${args.connections} connections, `
    + `${args.warmup} s warm-up discarded, ${args.duration} s × ${args.rounds} interleaved rounds, median per row; shared machine: compare ratios and CPU µs/req.`;
}

/** Closed-loop capacity of a target: req/s with the configured connections, after a warm-up. */
async function capacity(args: BenchArgs, url: string, next: () => Record<string, string>, connections = args.connections): Promise<number> {
  await runLoad({ url, connections, durationS: Math.max(2, args.warmup), nextHeaders: next });
  return (await runLoad({ url, connections, durationS: 5, nextHeaders: next })).rps;
}

async function soak(args: ChainArgs, gw: TargetProcess, path: string, rotating: () => () => Record<string, string>): Promise<void> {
  const url = `http://127.0.0.1:${gw.port}/full${path}`;
  // `--rate N` pins the offered rate: on a machine shared with other work a 5 s capacity probe can
  // read half or twice the capacity the next half hour has, so a stated fixed rate is more honest.
  const cap = args.rate === undefined ? await capacity(args, url, rotating()) : undefined;
  const rate = args.rate ?? Math.round(cap! * 0.7);
  const offered = cap === undefined ? `${rate} req/s (fixed by --rate)` : `70 % of capacity (${rate} of ${Math.round(cap)} req/s, closed loop at ${args.connections} connections)`;
  log(`soaking ${args.soak} s at ${offered}`);
  const samples: SoakSample[] = [];
  const started = Date.now();
  const sample = async (): Promise<void> => {
    const kb = await rssKb(gw.pid);
    if (kb !== undefined) samples.push({ t: (Date.now() - started) / 1000, kb, heapKb: await heapUsedKb(gw.adminPort) });
    const s = samples.at(-1);
    if (s !== undefined && samples.length % 12 === 0) log(`${Math.round(s.t)} s: RSS ${Math.round(s.kb / 1024)} MiB, heap used ${Math.round((s.heapKb ?? Number.NaN) / 1024)} MiB`);
  };
  const timer = setInterval(() => void sample(), 5_000);
  const m = await runLoad({ url, connections: args.connections, durationS: args.soak!, overallRate: rate, nextHeaders: rotating() });
  clearInterval(timer);
  process.stdout.write(`${soakReport(samples, args.soak!, `Soak: full chain at ${offered}, ${args.soak} s, ${args.connections} connections.`, m).join('\n')}\n`);
}

interface SoakSample { readonly t: number; readonly kb: number; readonly heapKb: number | undefined }

/** The gateway's V8 heap in use (KiB), from its admin /metrics; undefined when unavailable. */
async function heapUsedKb(adminPort: number | undefined): Promise<number | undefined> {
  if (adminPort === undefined) return undefined;
  try {
    const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
    const m = /^nodejs_heap_size_used_bytes (\d+(?:\.\d+)?)/m.exec(text);
    return m === null ? undefined : Number(m[1]) / 1024;
  } catch {
    return undefined;
  }
}

/**
 * RSS and heap over the soak after its warm-up (the first minute or tenth: pools, JIT and caches
 * filling), and the verdict of issue 13: flat when every sample is within ±10 % of the median.
 * The least-squares slope says whether a deviation is noise or a climb.
 */
function soakReport(samples: readonly SoakSample[], seconds: number, title: string, m: RunResult): string[] {
  const warmIdx = Math.max(0, samples.findIndex((s) => s.t >= Math.min(60, seconds / 10)));
  const after = samples.slice(warmIdx);
  const kb = after.map((s) => s.kb);
  const mid = median(kb);
  const spread = Math.max(...kb.map((x) => Math.abs(growthPercent(mid, x))));
  const slope = slopePerHour(after.map((s) => [s.t, s.kb / 1024]));
  const heap = after.filter((s) => s.heapKb !== undefined);
  const heapSlope = slopePerHour(heap.map((s) => [s.t, s.heapKb! / 1024]));
  const mib = (x: number) => Math.round(x / 1024);
  const first = after[0];
  const last = after.at(-1);
  const every = Math.max(1, Math.round(samples.length / 60));
  return [
    title,
    `- served ${Math.round(m.rps)} req/s, p99 ${m.p99Ms.toFixed(2)} ms, non-2xx ${m.non2xx}, errors ${m.errors}`,
    `- RSS after warm-up (${Math.round(first?.t ?? 0)} s) ${mib(first?.kb ?? Number.NaN)} MiB → end ${mib(last?.kb ?? Number.NaN)} MiB; median ${mib(mid)} MiB, min ${mib(Math.min(...kb))}, max ${mib(Math.max(...kb))}; largest deviation from the median ${spread.toFixed(1)} % (${kb.length} samples every 5 s); trend ${slope.toFixed(1)} MiB/h`,
    `- V8 heap used: median ${mib(median(heap.map((s) => s.heapKb!)))} MiB, min ${mib(Math.min(...heap.map((s) => s.heapKb!)))}, max ${mib(Math.max(...heap.map((s) => s.heapKb!)))}; trend ${heapSlope.toFixed(1)} MiB/h`,
    `- verdict: RSS ${spread <= 10 ? 'flat' : 'NOT flat'} (±10 % of the median after warm-up)`,
    `- samples (s: RSS MiB / heap MiB, every ${every * 5} s): ${samples.filter((_, i) => i % every === 0).map((s) => `${Math.round(s.t)}: ${mib(s.kb)}/${mib(s.heapKb ?? Number.NaN)}`).join(', ')}`,
    '',
  ];
}

/** Least-squares slope of [seconds, value] points, per hour; NaN with fewer than two points. */
function slopePerHour(points: readonly (readonly [number, number])[]): number {
  if (points.length < 2) return Number.NaN;
  const mx = points.reduce((a, p) => a + p[0], 0) / points.length;
  const my = points.reduce((a, p) => a + p[1], 0) / points.length;
  const num = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return den === 0 ? Number.NaN : (num / den) * 3600;
}

async function overload(args: ChainArgs, gateway: Gateway, fullApi: unknown, fullLog: Record<string, unknown>, rotating: () => () => Record<string, string>, tokens: readonly string[]): Promise<void> {
  const url = (p: TargetProcess) => `http://127.0.0.1:${p.port}/full${ITEM}`;
  const off = await gateway('overload-off', [fullApi], { ...fullLog, server: { overload: { enabled: false } } });
  await prime(url(off), tokens);
  // Capacity closed-loop with enough connections to keep the one core busy; `--rate` fixes the
  // offered rate instead (a 5 s probe on a shared machine can be far off the next minutes).
  const probe = async () => {
    await closedLoopCapacity({ url: url(off), connections: OVERLOAD_PROBE_CONNECTIONS, durationS: 2, nextHeaders: rotating() });
    return closedLoopCapacity({ url: url(off), connections: OVERLOAD_PROBE_CONNECTIONS, durationS: 5, nextHeaders: rotating() });
  };
  const cap = await probe();
  // The in-flight limit from Little's law: the requests the measured capacity serves in 50 ms.
  const limit = args.maxInFlight ?? Math.max(16, Math.round(cap * 0.05));
  const eld = await gateway('overload-eld', [fullApi], { ...fullLog, server: { overload: { eventLoopDelayMs: args.eld, checkIntervalMs: 100 } } });
  const both = await gateway('overload-on', [fullApi], { ...fullLog, server: { overload: { eventLoopDelayMs: args.eld, checkIntervalMs: 100, maxInFlight: limit } } });
  for (const p of [eld, both]) await prime(url(p), tokens);
  // Many keep-alive clients, more than the gateway should hold: the excess reaches the gateway,
  // which must refuse it. Thousands of connections instead measured connection churn: each
  // arrival opened a socket, and a request timing out closed one (docs/performance.md).
  const openConns = Math.max(args.connections * 10, 500);
  log(`capacity ${Math.round(cap)} req/s; open-loop over up to ${openConns} connections; maxInFlight ${limit}`);
  const gws = [
    ['off', off, 'server.overload off'],
    ['eld', eld, `event-loop delay only (eventLoopDelayMs ${args.eld}, checkIntervalMs 100; ADR 0011)`],
    ['on', both, `event-loop delay + maxInFlight ${limit} (ADR 0028)`],
  ] as const;
  const results = new Map<string, Overloaded[]>(gws.map(([id]) => [id, []]));
  const caps: number[] = [];
  for (let round = 1; round <= args.rounds; round++) {
    // Neighbours' load drifts from minute to minute: each round re-measures the capacity and
    // offers 3x of it to all three gateways, so "3x" holds for the round it is measured in.
    const roundCap = round === 1 ? cap : await probe();
    caps.push(roundCap);
    const rate = args.rate ?? Math.round(roundCap * 3);
    log(`round ${round}: capacity ${Math.round(roundCap)} req/s, offering ${rate} req/s`);
    for (const [id, p] of gws) {
      const before = await cpuUs(p.pid);
      const m = await runOpenLoop({ url: url(p), rate, durationS: args.duration, connections: openConns, nextHeaders: rotating() });
      const after = await cpuUs(p.pid);
      results.get(id)!.push({ ...m, cpu: ((after ?? 0) - (before ?? 0)) / Math.max(1, m.ok + m.shed + m.other), okVsCap: m.okRps / roundCap });
      log(`round ${round} ${id}: ${Math.round(m.okRps)} 2xx/s, ${Math.round(m.shedRps)} 503/s, p99 2xx ${m.okP99Ms.toFixed(1)} ms, no answer ${m.errors}, outstanding max ${m.maxOutstanding}, send lag p99 ${m.sendLagP99Ms.toFixed(1)} ms`);
      // Let the process drain (and recover) before the next run.
      await new Promise((r) => setTimeout(r, 3_000));
    }
  }
  const lines = [
    `Overload: full chain; capacity measured before each round (closed loop, the same undici client, ${OVERLOAD_PROBE_CONNECTIONS} connections): ${caps.map((c) => Math.round(c)).join(', ')} req/s; offered ${args.rate === undefined ? '3x that' : `${args.rate} req/s (fixed by --rate)`} open-loop (up to ${openConns} keep-alive connections, latency from each request's due time) for ${args.duration} s per gateway, ${args.rounds} interleaved rounds, median.`,
    '',
    '| gateway | 2xx/s | 2xx vs capacity | 503/s | p50 of 2xx ms | p99 of 2xx ms | p99 of 503 ms | no answer (10 s) | most outstanding | send lag p99 ms | CPU µs/response |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [id, , label] of gws) {
    const rs = results.get(id)!;
    const med = (f: (r: Overloaded) => number) => median(rs.map(f));
    lines.push(`| ${label} | ${Math.round(med((r) => r.okRps))} | ${med((r) => r.okVsCap).toFixed(2)}x | ${Math.round(med((r) => r.shedRps))} | ${med((r) => r.okP50Ms).toFixed(1)} | ${med((r) => r.okP99Ms).toFixed(1)} | ${med((r) => r.shedP99Ms).toFixed(1)} | ${rs.reduce((n, r) => n + r.errors, 0)} | ${Math.round(med((r) => r.maxOutstanding))} | ${med((r) => r.sendLagP99Ms).toFixed(1)} | ${Math.round(med((r) => r.cpu))} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

type Overloaded = OpenLoopResult & { readonly cpu: number; readonly okVsCap: number };

/** Connections of the capacity probe before an overload run. */
const OVERLOAD_PROBE_CONNECTIONS = 100;

async function workers(args: ChainArgs, gateway: Gateway, fullApi: unknown, fullLog: Record<string, unknown>, rotating: () => () => Record<string, string>, tokens: readonly string[]): Promise<void> {
  const one = await gateway('one', [fullApi], fullLog);
  const many = await gateway('workers', [fullApi], fullLog, ['--workers', String(args.workers)]);
  // Each worker has its own token cache and the balancer picks the worker: several passes leave
  // few tokens unseen by any worker, so both gateways are measured with warm caches.
  await prime(`http://127.0.0.1:${one.port}/full${ITEM}`, tokens);
  for (let pass = 0; pass < 2 * args.workers + 1; pass++) await prime(`http://127.0.0.1:${many.port}/full${ITEM}`, tokens);
  const lines = [
    `--workers ${args.workers} on ${cpus().length} CPUs: the full chain (memory store: rate-limit counters live in the primary, reached over IPC).`,
    '',
    '| gateway | req/s | p99 ms | CPU µs/req (all processes) | CPU vs one process | primary CPU µs/req (IPC) |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  const res = new Map<string, { rps: number; p99: number; cpu: number; primary: number }[]>([['one', []], ['many', []]]);
  for (let round = 1; round <= args.rounds; round++) {
    for (const [id, p] of [['one', one], ['many', many]] as const) {
      const url = `http://127.0.0.1:${p.port}/full${ITEM}`;
      if (args.warmup > 0) await runLoad({ url, connections: args.connections, durationS: args.warmup, nextHeaders: rotating() });
      const [t0, p0] = [await treeCpuUs(p.pid), await cpuUs(p.pid)];
      const m = await runLoad({ url, connections: args.connections, durationS: args.duration, nextHeaders: rotating() });
      const [t1, p1] = [await treeCpuUs(p.pid), await cpuUs(p.pid)];
      const n = Math.max(1, m.responses ?? 1);
      res.get(id)!.push({ rps: m.rps, p99: m.p99Ms, cpu: ((t1 ?? 0) - (t0 ?? 0)) / n, primary: ((p1 ?? 0) - (p0 ?? 0)) / n });
      log(`round ${round} ${id}: ${Math.round(m.rps)} req/s, ${Math.round(((t1 ?? 0) - (t0 ?? 0)) / n)} µs/req`);
    }
  }
  const base = median(res.get('one')!.map((r) => r.cpu));
  for (const [id, label] of [['one', 'one process'], ['many', `--workers ${args.workers}`]] as const) {
    const rs = res.get(id)!;
    const cpu = median(rs.map((r) => r.cpu));
    lines.push(`| ${label} | ${Math.round(median(rs.map((r) => r.rps)))} | ${median(rs.map((r) => r.p99)).toFixed(2)} | ${Math.round(cpu)} | ${(cpu / base).toFixed(2)}x | ${id === 'one' ? '–' : Math.round(median(rs.map((r) => r.primary)))} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exitCode = 1;
});
