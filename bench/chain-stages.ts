import diagnostics_channel from 'node:diagnostics_channel';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { parse, stringify } from 'yaml';
import { BENCH_AUTHZ, benchBody } from './authz-micro.js';
import { FIXED_BODY } from './fixed-upstream.js';
import { median } from './report.js';
import { findPackageRoot } from '../src/util/package-root.js';
import { generateApiKey, hashSecret } from '../src/stages/authn/providers/api-key/index.js';

// `node dist/bench/chain-stages.js [--baseline ROOT] [--n N] [--rounds N] [ops...]`: the request and
// respond phases of the chain bench's stage rows (bench/chain.ts), run in this process without
// sockets: what each stage adds per request, apart from the proxy path. With --baseline, the same
// rows from ROOT/dist are run in the same process, interleaved round by round (before/after CPU
// per request from one run, unaffected by how busy the machine is between runs). ADR 0027.

const ISS = 'https://idp.chain.bench';
const PEPPER = 'bench-pepper-0123456789-abcdefghijklmnopqrstuvwxyz';
const ITEM = '/v1/tenants/acme/items/42';
const OPS = ['jwt', 'key', 'azv', 'event', 'full'] as const;
type Op = (typeof OPS)[number];

interface Request { readonly path: string; readonly method: string; readonly headers: Record<string, string>; readonly body?: Buffer }
type Runner = (op: Op) => Promise<void>;

/** Builds the chain bench's APIs from one build's dist (loaded config, compiled runtime) and returns a runner of one request. */
async function loadBuild(root: string, configFile: string, requests: Record<Op, Request>): Promise<Runner> {
  const at = (p: string) => pathToFileURL(join(root, 'dist', 'src', p)).href;
  const { loadConfig } = await import(at('config/load.js')) as typeof import('../src/config/load.js');
  const { compileRuntime } = await import(at('runtime/compile.js')) as typeof import('../src/runtime/compile.js');
  const { runRequestPhases, runRespondPhase } = await import(at('pipeline/runner.js')) as typeof import('../src/pipeline/runner.js');
  const rt = await compileRuntime(await loadConfig(configFile));
  let n = 0;
  return async (op) => {
    const r = requests[op];
    const m = rt.router.find(r.method, r.path);
    if (m.kind !== 'found') throw new Error(`${op}: ${m.kind}`);
    const target = m.value;
    const headers: Record<string, string> = { host: 'bench', 'user-agent': 'bench', accept: '*/*', ...r.headers };
    const ctx = {
      id: `bench-${n++}`, startedAt: process.hrtime.bigint(), method: r.method, path: r.path, query: '', headers, rawHeaders: [], httpVersion: '1.1',
      client: { ip: '127.0.0.1', peer: '127.0.0.1', peerPort: 1, proto: 'http' as const, host: 'bench' },
      route: { apiName: target.api.name, operationId: target.operationId, pathTemplate: target.template, tags: target.tags, params: m.params },
      principal: undefined, body: undefined as Buffer | undefined, findings: [], timings: {}, responseHeaders: {}, credentialed: headers.authorization !== undefined,
    };
    const read = r.body === undefined ? undefined : async () => { ctx.body = r.body; };
    const decision = await runRequestPhases(target.plan, ctx as never, read);
    if (decision.kind !== 'continue') throw new Error(`${op}: ${decision.kind}`);
    if (target.plan.byPhase.respond.length === 0) return;
    const resCtx = { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(FIXED_BODY.length) }, body: target.plan.needsResponseBody ? FIXED_BODY : undefined, generated: false };
    const answer = await runRespondPhase(target.plan, ctx as never, resCtx);
    if (answer.kind === 'reject') throw new Error(`${op}: response rejected`);
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let baseline: string | undefined;
  let n = 3_000;
  let rounds = 7;
  const ops: Op[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--baseline') baseline = resolve(argv[++i]!);
    else if (a === '--n') n = Number(argv[++i]);
    else if (a === '--rounds') rounds = Number(argv[++i]);
    else if ((OPS as readonly string[]).includes(a)) ops.push(a as Op);
    else throw new Error(`usage: node dist/bench/chain-stages.js [--baseline ROOT] [--n N] [--rounds N] [${OPS.join(' ')}]`);
  }
  if (ops.length === 0) ops.push(...OPS);
  const root = findPackageRoot(import.meta.url);
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-bench-stages-'));
  try {
    const keys = await generateKeyPair('RS256', { extractable: true });
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...await exportJWK(keys.publicKey), kid: 'k1', alg: 'RS256' }] }));
    const token = await new SignJWT({ iss: ISS, aud: 'bench', sub: 'user-1', exp: Math.floor(Date.now() / 1000) + 7200, scope: 'items:read' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(keys.privateKey);
    const apiKey = generateApiKey();
    await writeFile(join(dir, 'keys.yaml'), stringify({ keys: [{ id: apiKey.id, hash: hashSecret(PEPPER, apiKey.secret), clientId: 'bench', scopes: [], roles: [], createdAt: new Date().toISOString(), revoked: false }] }));
    const doc = parse(await readFile(join(root, 'bench', 'fixtures', 'chain-openapi.yaml'), 'utf8')) as Record<string, unknown>;
    for (const [name, security] of [['none', []], ['bearer', [{ bearer: [] }]], ['key', [{ apiKey: [] }]]] as const) {
      await writeFile(join(dir, `doc-${name}.json`), JSON.stringify({ ...doc, security }));
    }
    const jwt = { authn: { schemes: { bearer: { kind: 'jwt', issuers: [{ issuer: ISS, audiences: ['bench'], keysFile: './jwks.json', algorithms: ['RS256'] }] } } } };
    const api = (name: string, docName: string, stages: Record<string, unknown>) => ({ name, upstream: 'http://127.0.0.1:9', openapi: `./doc-${docName}.json`, basePath: `/${name}/v1`, stages });
    const getAuthz = { rules: [{ id: 'deny-blocked', effect: 'deny', when: "'x-block' in request.headers" }, { id: 'tenant-readers', effect: 'allow', when: "request.params.tenantId == 'acme' && request.method == 'GET'" }], responseRules: BENCH_AUTHZ.responseRules };
    const configFile = join(dir, 'portcullis.yaml');
    await writeFile(configFile, stringify({
      server: { host: '127.0.0.1', port: 1 }, admin: { host: '127.0.0.1', port: 2 }, logging: { level: 'warn', accessLog: false }, watch: false,
      apis: [
        api('jwt', 'bearer', jwt),
        api('key', 'key', { authn: { schemes: { apiKey: { kind: 'api-key', file: './keys.yaml', pepper: PEPPER } } } }),
        api('azv', 'none', { 'request-validation': {}, authz: BENCH_AUTHZ, 'response-filter': { action: 'filter' } }),
        api('event', 'none', { 'request-validation': { mode: 'monitor' } }),
        api('full', 'bearer', { ...jwt, 'request-validation': {}, 'rate-limit': { limits: [{ name: 'chain', limit: 1_000_000_000, window: '1m' }] }, authz: getAuthz, 'response-filter': { action: 'filter' } }),
      ],
    }));
    const body = Buffer.from(benchBody());
    const requests: Record<Op, Request> = {
      jwt: { path: `/jwt${ITEM}`, method: 'GET', headers: { authorization: `Bearer ${token}` } },
      key: { path: `/key${ITEM}`, method: 'GET', headers: { 'x-api-key': apiKey.key } },
      azv: { path: `/azv${ITEM}`, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length) }, body },
      event: { path: '/event/v1/tenants/acme/items/x42', method: 'GET', headers: {} },
      full: { path: `/full${ITEM}`, method: 'GET', headers: { authorization: `Bearer ${token}` } },
    };
    // A gateway always has subscribers (log, metrics, audit): events are built and published here too.
    for (const name of ['portcullis:security:event', 'portcullis:stage:decision']) diagnostics_channel.subscribe(name, () => {});
    const builds = new Map<string, Runner>([['this build', await loadBuild(root, configFile, requests)]]);
    if (baseline !== undefined) builds.set('baseline', await loadBuild(baseline, configFile, requests));
    const cpu = new Map<string, number[]>();
    for (const op of ops) for (const [name, run] of builds) { cpu.set(`${op}|${name}`, []); for (let i = 0; i < 500; i++) await run(op); }
    for (let round = 0; round < rounds; round++) {
      // Alternate which build goes first, so neither always runs on the warmer caches.
      const order = round % 2 === 0 ? [...builds] : [...builds].reverse();
      for (const op of ops) {
        for (const [name, run] of order) {
          const before = process.cpuUsage();
          for (let i = 0; i < n; i++) await run(op);
          const used = process.cpuUsage(before);
          cpu.get(`${op}|${name}`)!.push((used.user + used.system) / n);
        }
      }
    }
    const lines = [`Stage phases in process (no sockets), ${n} requests × ${rounds} interleaved rounds, median CPU µs per request; shared machine: compare within a row.`, ''];
    lines.push(baseline === undefined ? '| row | CPU µs/req | rounds |' : `| row | baseline (${baseline}) | this build | ratio | rounds (baseline → this build) |`);
    lines.push(baseline === undefined ? '|---|---:|---|' : '|---|---:|---:|---:|---|');
    for (const op of ops) {
      const now = cpu.get(`${op}|this build`)!;
      if (baseline === undefined) { lines.push(`| ${op} | ${median(now).toFixed(1)} | ${now.map((x) => x.toFixed(1)).join(', ')} |`); continue; }
      const before = cpu.get(`${op}|baseline`)!;
      lines.push(`| ${op} | ${median(before).toFixed(1)} | ${median(now).toFixed(1)} | ${(median(now) / median(before)).toFixed(2)}x | ${before.map((x, i) => `${x.toFixed(1)}→${now[i]!.toFixed(1)}`).join(', ')} |`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
