import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { stringify } from 'yaml';
import { findPackageRoot } from '../src/util/package-root.js';
import { AuditSchema, type AuditConfig } from '../src/observability/audit/schema.js';
import { createAuditStore, auditLocation, openSigner } from '../src/observability/audit/open.js';
import { AuditWriter } from '../src/observability/audit/writer.js';
import { PostgresAuditStore } from '../src/observability/audit/postgres-store.js';
import { runLoad } from './load.js';
import { cpuUs, freePort, startGatewayProcess, startScript, type TargetProcess } from './processes.js';
import { median, type RunResult } from './report.js';

// `node dist/bench/observability.js [--duration N] [--rounds N] [--connections N] [--records N]`:
// the gateway with SIEM sinks, an alert rule and the audit trail on vs off, side by side, and
// the audit writer's throughput on SQLite and PostgreSQL. See docs/performance.md "Observability".

const log = (line: string) => process.stderr.write(`${line}\n`);

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

/** Receivers that accept and discard: syslog over TCP, and HTTP for the webhook, OTLP and alerts. */
async function startReceivers(): Promise<{ syslogPort: number; httpUrl: string; close(): Promise<void> }> {
  const tcp = createTcpServer((s) => { s.resume(); s.on('error', () => {}); });
  const http = createHttpServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(204).end()); });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  return {
    syslogPort: (tcp.address() as AddressInfo).port,
    httpUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: async () => { http.closeAllConnections(); await Promise.all([new Promise((r) => tcp.close(r)), new Promise((r) => http.close(r))]); },
  };
}

async function startTarget(root: string, tmp: string, upstreamPort: number, name: string, observability: Record<string, unknown>): Promise<TargetProcess & { adminPort: number }> {
  const port = await freePort();
  const adminPort = await freePort();
  const config = {
    server: { host: '127.0.0.1', port },
    admin: { host: '127.0.0.1', port: adminPort },
    logging: { level: 'error', accessLog: false },
    watch: false,
    ...observability,
    apis: [{
      name: 'bench', upstream: `http://127.0.0.1:${upstreamPort}`, openapi: join(root, 'bench', 'fixtures', 'bench-openapi.yaml'),
      stages: { 'request-validation': {} },
    }],
  };
  const file = join(tmp, `${name}.yaml`);
  await writeFile(file, stringify(config));
  return { ...(await startGatewayProcess(join(root, 'dist', 'src', 'cli', 'main.js'), file, port, adminPort)), adminPort };
}

function auditOn(tmp: string): Record<string, unknown> {
  return { audit: { enabled: true, dataDir: join(tmp, 'audit'), kinds: ['*'] } };
}

function sinksOn(tmp: string, r: { syslogPort: number; httpUrl: string }): Record<string, unknown> {
  return {
    sinks: {
      syslog: [{ name: 'syslog', transport: 'tcp', host: '127.0.0.1', port: r.syslogPort }],
      file: [{ name: 'file', path: join(tmp, 'events.jsonl'), maxBytes: 50_000_000, keep: 1 }],
      webhook: [{ name: 'webhook', url: `${r.httpUrl}/hook`, secret: 'bench-secret' }],
      otlp: [{ name: 'otlp', endpoint: r.httpUrl }],
    },
    alerts: {
      webhooks: [{ name: 'ops', url: `${r.httpUrl}/alert` }],
      rules: [{ name: 'probing', kinds: ['validation.failed'], threshold: 100, groupBy: ['client/24'], notify: ['ops'] }],
    },
  };
}

const VARIANTS = ['off', 'sinks', 'audit', 'on'] as const;
type Variant = (typeof VARIANTS)[number];

interface Scenario { readonly id: string; readonly path: string; readonly label: string }
const SCENARIOS: readonly Scenario[] = [
  { id: 'allowed', path: '/v1/items/42', label: 'allowed request (200, no event)' },
  { id: 'rejected', path: '/v1/items/not-a-number', label: 'rejected request (400, one validation.failed event each)' },
];

async function gatewayBench(root: string, tmp: string, o: { duration: number; rounds: number; connections: number }): Promise<string> {
  const ext = extname(new URL(import.meta.url).pathname);
  const upstream = await startScript(new URL(`./fixed-upstream${ext}`, import.meta.url), { PORT: '0' });
  const receivers = await startReceivers();
  const targets = new Map<Variant, TargetProcess & { adminPort: number }>();
  try {
    const configs: Record<Variant, Record<string, unknown>> = {
      off: {}, sinks: sinksOn(tmp, receivers), audit: auditOn(join(tmp, 'a1')), on: { ...sinksOn(tmp, receivers), ...auditOn(join(tmp, 'a2')) },
    };
    for (const v of VARIANTS) targets.set(v, await startTarget(root, tmp, upstream.port, v, configs[v]));
    const runs = new Map<string, RunResult[]>();
    for (let round = 1; round <= o.rounds; round++) {
      for (const s of SCENARIOS) {
        for (const v of VARIANTS) {
          const t = targets.get(v)!;
          const cpu0 = await cpuUs(t.pid);
          const load = await runLoad({ url: `http://127.0.0.1:${t.port}${s.path}`, connections: o.connections, durationS: o.duration });
          const cpu1 = await cpuUs(t.pid);
          // CPU per response is the steadier figure on a shared machine (see cpuUs).
          const r: RunResult = { ...load, ...(cpu0 === undefined || cpu1 === undefined ? {} : { cpuUsPerReq: (cpu1 - cpu0) / Math.max(1, load.rps * o.duration) }) };
          log(`round ${round} ${s.id} ${v}: ${r.rps.toFixed(0)} req/s p50 ${r.p50Ms.toFixed(2)} ms, ${r.cpuUsPerReq?.toFixed(0) ?? '?'} µs CPU/req, errors ${r.errors}`);
          const key = `${s.id}/${v}`;
          runs.set(key, [...(runs.get(key) ?? []), r]);
        }
      }
    }
    const rps = (s: Scenario, v: Variant) => median(runs.get(`${s.id}/${v}`)!.map((r) => r.rps));
    const p50 = (s: Scenario, v: Variant) => median(runs.get(`${s.id}/${v}`)!.map((r) => r.p50Ms));
    const cpu = (s: Scenario, v: Variant) => median(runs.get(`${s.id}/${v}`)!.map((r) => r.cpuUsPerReq ?? Number.NaN));
    const rows = SCENARIOS.map((s) => `| ${s.label} | ${VARIANTS.map((v) => `${rps(s, v).toFixed(0)}${v === 'off' ? '' : ` (${((rps(s, v) / rps(s, 'off')) * 100).toFixed(0)} %)`}`).join(' | ')} | ${VARIANTS.map((v) => p50(s, v).toFixed(1)).join(' / ')} | ${VARIANTS.map((v) => cpu(s, v).toFixed(0)).join(' / ')} | ${VARIANTS.reduce((n, v) => n + runs.get(`${s.id}/${v}`)!.reduce((m, r) => m + r.errors, 0), 0)} |`);
    // What the sinks and the audit trail did with the events of the "on" target: sent vs dropped.
    const metrics = await (await fetch(`http://127.0.0.1:${targets.get('on')!.adminPort}/metrics`)).text();
    const delivery = metrics.split('\n').filter((l) => /^portcullis_(sink_events_total|audit_records_total|alerts_fired_total)\{/.test(l) && !/ 0$/.test(l));
    return [
      '| scenario | off req/s | sinks + alerts | audit | everything on | p50 ms off / sinks / audit / on | CPU µs/req off / sinks / audit / on | errors |', '|---|---:|---:|---:|---:|---:|---:|---:|', ...rows,
      '', 'Non-zero delivery counters of the "on" gateway after all rounds:', '', '```', ...delivery, '```',
    ].join('\n');
  } finally {
    await Promise.allSettled([...[...targets.values()].map((t) => t.stop()), upstream.stop(), receivers.close()]);
  }
}

async function auditThroughput(tmp: string, records: number): Promise<string> {
  const rows: string[] = [];
  const pgUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
  for (const backend of ['sqlite', 'postgres'] as const) {
    for (const batchSize of [100, 500]) {
      const prefix = `bench_siem_${randomBytes(3).toString('hex')}_`;
      const c = Value.Default(AuditSchema, { enabled: true, backend, dataDir: join(tmp, `a-${backend}-${batchSize}`), postgresUrl: pgUrl, tablePrefix: prefix, instance: 'bench', queueLimit: records, batchSize }) as AuditConfig;
      const loc = auditLocation(c, tmp);
      const store = createAuditStore(c, loc);
      try {
        const writer = await AuditWriter.open({ store, instance: loc.instance, signer: openSigner(c, loc, { create: true }), batchSize, queueLimit: records, flushIntervalMs: c.flushIntervalMs });
        const started = performance.now();
        await Promise.all(Array.from({ length: records }, (_, i) => writer.append({
          kind: 'authn.failure', reason: 'bad_signature', requestId: `req-${i}`, api: 'bench', operationId: 'getItem', client: '198.51.100.7', principal: `user-${i % 100}`, detail: { scheme: 'bearer', stage: 'authn' },
        })));
        const seconds = (performance.now() - started) / 1000;
        await writer.close();
        rows.push(`| ${backend} | ${batchSize} | ${records} | ${(records / seconds).toFixed(0)} |`);
        log(`audit ${backend} batch ${batchSize}: ${(records / seconds).toFixed(0)} records/s`);
      } catch (err) {
        rows.push(`| ${backend} | ${batchSize} | ${records} | failed: ${(err as Error).message.slice(0, 80)} |`);
      } finally {
        if (store instanceof PostgresAuditStore) await store.drop().catch(() => undefined);
        await store.close().catch(() => undefined);
      }
    }
  }
  return ['| store | batchSize | records | records/s (acknowledged) |', '|---|---:|---:|---:|', ...rows].join('\n');
}

async function main(): Promise<void> {
  const o = { duration: arg('duration', 5), rounds: arg('rounds', 3), connections: arg('connections', 50) };
  const records = arg('records', 20_000);
  const root = findPackageRoot(import.meta.url);
  const tmp = await mkdtemp(join(tmpdir(), 'portcullis-bench-obs-'));
  try {
    const gateway = await gatewayBench(root, tmp, o);
    const audit = await auditThroughput(tmp, records);
    process.stdout.write(`### Gateway: observability off, sinks + alerts, audit, everything on (median of ${o.rounds} rounds, ${o.duration} s, ${o.connections} connections)\n\n${gateway}\n\n### Audit writer throughput\n\n${audit}\n`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
