// Masking cost of the sensitive-data stage on a ~100 KB JSON response (issue 15: target under 2 ms).
// Run: npm run build && node dist/bench/masking.js [--iterations 200]
import { Value } from '@sinclair/typebox/value';
import type { RequestContext, ResponseContext } from '../src/pipeline/context.js';
import { SensitiveDataSchema, type SensitiveDataConfig } from '../src/stages/sensitive-data/schema.js';
import { createSensitiveDataStage } from '../src/stages/sensitive-data/stage.js';

const at = process.argv.indexOf('--iterations');
// Without the flag, 200 (indexOf's -1 would read argv[0], the node binary, as the count).
const iterations = at < 0 ? 200 : Number(process.argv[at + 1]);
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
const configs: [string, Partial<SensitiveDataConfig>][] = [
  ['JSON.parse + JSON.stringify only (baseline)', {}],
  ['default detectors, response without sensitive values', {}],
  ['default detectors (card, iban, ssn, jwt, api-key, private-key)', {}],
  ['all detectors + email field removed', { detectors: ['card', 'iban', 'ssn', 'email', 'phone', 'jwt', 'api-key', 'private-key'], fields: [{ property: 'email', action: 'remove', roles: [] }] }],
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`body ${body.length} bytes, ${records.length} records, ${iterations} iterations, Node ${process.version}\n`);
console.log('| scenario | median ms | p90 ms |\n|---|---:|---:|');
for (const [label, over] of configs) {
  const stage = createSensitiveDataStage({ ...Value.Default(SensitiveDataSchema, {}) as SensitiveDataConfig, leakGuard: { maxHits: 100_000, action: 'report' }, ...over });
  const times: number[] = [];
  for (let i = 0; i < iterations + 20; i++) {
    const res: ResponseContext = { status: 200, headers: { 'content-type': 'application/json' }, body: label.includes('without') ? clean : body, generated: false };
    const t = performance.now();
    if (label.includes('baseline')) JSON.stringify(JSON.parse(body.toString('utf8')));
    else stage.handlers.respond!(ctx, res);
    if (i >= 20) times.push(performance.now() - t);
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`| ${label} | ${median(times).toFixed(2)} | ${sorted[Math.floor(sorted.length * 0.9)]!.toFixed(2)} |`);
}
