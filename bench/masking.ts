// Masking cost of the sensitive-data stage on a ~100 KB JSON response (issue 15: target under 2 ms).
// Run: npm run build && node dist/bench/masking.js [--iterations 200] [--baseline ROOT [--rounds 15]]
// --baseline ROOT: the same rows from another build (ROOT/dist, e.g. a copy of main's), loaded in
// this process and measured in interleaved rounds, so both share whatever else the machine does.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import type { RequestContext, ResponseContext } from '../src/pipeline/context.js';
import type { Stage } from '../src/pipeline/stage.js';
import { SensitiveDataSchema, type SensitiveDataConfig } from '../src/stages/sensitive-data/schema.js';
import { createSensitiveDataStage } from '../src/stages/sensitive-data/stage.js';

const flag = (name: string) => { const at = process.argv.indexOf(name); return at < 0 ? undefined : process.argv[at + 1]; };
// Without the flag, 200 (indexOf's -1 would read argv[0], the node binary, as the count).
const iterations = Number(flag('--iterations') ?? 200);
const baseline = flag('--baseline');
const rounds = Number(flag('--rounds') ?? 15);
const records = [];
for (let i = 0; records.length === 0 || JSON.stringify(records).length < 100_000; i++) {
  records.push({
    id: i, name: `Customer ${i}`, email: `customer${i}@shop.example`, city: 'Rotterdam', status: i % 3 === 0 ? 'active' : 'closed',
    card: i % 10 === 0 ? '4111 1111 1111 1111' : null, note: 'Called about delivery; asked for an invoice copy and a new password link.',
    orders: [{ sku: `SKU-${i}-A`, qty: 2, price: 19.99 }, { sku: `SKU-${i}-B`, qty: 1, price: 5.5 }],
  });
}
const body = Buffer.from(JSON.stringify(records));
const clean = Buffer.from(JSON.stringify(records.map((r) => ({ ...r, card: null }))));
const ctx = { id: 'b', route: { apiName: 'a', operationId: 'op' }, client: { ip: '192.0.2.1' }, findings: [] } as unknown as RequestContext;
const configs: [string, Partial<SensitiveDataConfig> | undefined, Buffer][] = [
  ['JSON.parse + JSON.stringify only (baseline)', undefined, body],
  ['default detectors, response without sensitive values', {}, clean],
  ['default detectors (card, iban, ssn, jwt, api-key, private-key)', {}, body],
  ['all detectors + email field removed', { detectors: ['card', 'iban', 'ssn', 'email', 'phone', 'jwt', 'api-key', 'private-key'], fields: [{ property: 'email', action: 'remove', roles: [] }] }, body],
];
type Create = (cfg: SensitiveDataConfig) => Stage;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One row's operation for a build: the stage on a fresh response (or parse + stringify alone). */
function operation(create: Create, over: Partial<SensitiveDataConfig> | undefined, input: Buffer): () => void {
  if (over === undefined) return () => { JSON.stringify(JSON.parse(input.toString('utf8'))); };
  const stage = create({ ...Value.Default(SensitiveDataSchema, {}) as SensitiveDataConfig, leakGuard: { maxHits: 100_000, action: 'report' }, ...over });
  return () => { stage.handlers.respond!(ctx, { status: 200, headers: { 'content-type': 'application/json' }, body: input, generated: false } as ResponseContext); };
}

console.log(`body ${body.length} bytes, ${records.length} records, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
if (baseline === undefined) {
  console.log(`${iterations} iterations\n\n| scenario | median ms | p90 ms |\n|---|---:|---:|`);
  for (const [label, over, input] of configs) {
    const run = operation(createSensitiveDataStage, over, input);
    const times: number[] = [];
    for (let i = 0; i < iterations + 20; i++) {
      const t = performance.now();
      run();
      if (i >= 20) times.push(performance.now() - t);
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`| ${label} | ${median(times).toFixed(2)} | ${sorted[Math.floor(sorted.length * 0.9)]!.toFixed(2)} |`);
  }
} else {
  const url = (file: string) => pathToFileURL(join(baseline, 'dist', 'src', 'stages', 'sensitive-data', file)).href;
  const base = (await import(url('stage.js'))) as { createSensitiveDataStage: Create };
  // Each round runs every row of both builds (order reversed every other round); per row and build,
  // the median over rounds of the mean CPU (process.cpuUsage) and wall time per operation.
  const per = Math.max(1, Math.round(iterations / rounds));
  const rows = configs.flatMap(([label, over, input]) => [
    { label, build: 'baseline', run: operation(base.createSensitiveDataStage, over, input), cpu: [] as number[], wall: [] as number[] },
    { label, build: 'this', run: operation(createSensitiveDataStage, over, input), cpu: [] as number[], wall: [] as number[] },
  ]);
  for (const r of rows) for (let i = 0; i < 20; i++) r.run();
  for (let round = 0; round < rounds; round++) {
    for (const r of round % 2 === 0 ? rows : [...rows].reverse()) {
      const c = process.cpuUsage();
      const t = performance.now();
      for (let i = 0; i < per; i++) r.run();
      const d = process.cpuUsage(c);
      r.wall.push((performance.now() - t) / per);
      r.cpu.push((d.user + d.system) / 1000 / per);
    }
  }
  console.log(`${rounds} interleaved rounds x ${per} operations; baseline ${baseline}; ms per operation (median of rounds)\n`);
  console.log('| scenario | CPU baseline | CPU this build | ratio | wall baseline | wall this build |\n|---|---:|---:|---:|---:|---:|');
  for (let i = 0; i < rows.length; i += 2) {
    const [b, t] = [rows[i]!, rows[i + 1]!];
    const ratio = b.label.includes('only') ? '' : `${(median(t.cpu) / median(b.cpu)).toFixed(2)}x`;
    console.log(`| ${b.label} | ${median(b.cpu).toFixed(3)} | ${median(t.cpu).toFixed(3)} | ${ratio} | ${median(b.wall).toFixed(3)} | ${median(t.wall).toFixed(3)} |`);
  }
  console.log(`\nload average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}
