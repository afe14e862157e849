import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { LifecycleUsage } from '../../observability/lifecycle-usage.js';
import { compileLifecycle, createLifecycleStage, parseInstant } from './stage.js';
import type { RequestContext } from '../../pipeline/context.js';

const base = { mode: 'enforce' as const, graceSeconds: 0 };

function ctx(): RequestContext {
  return { id: 'r1', route: { apiName: 'a', operationId: 'op', pathTemplate: '/x', tags: [], params: {} }, client: { ip: '192.0.2.1' }, responseHeaders: {}, findings: [], timings: {} } as unknown as RequestContext;
}

describe('lifecycle stage', () => {
  test('parseInstant takes dates as midnight UTC and refuses rolled-over dates', () => {
    assert.equal(parseInstant('2027-01-31', 'x'), Date.UTC(2027, 0, 31));
    assert.equal(parseInstant('2027-01-31T12:30:00+02:00', 'x'), Date.UTC(2027, 0, 31, 10, 30));
    assert.throws(() => parseInstant('2027-02-29', 'sunsetAt'), /sunsetAt: "2027-02-29" is not a valid date/);
  });

  test('headers: Deprecation as an sf-date, Sunset as an HTTP-date, links with their relations', () => {
    const plan = compileLifecycle({ ...base, deprecatedAt: '2026-06-01', sunsetAt: '2027-01-31', link: 'https://d.example/x' }, undefined);
    assert.deepEqual(plan.headers, { deprecation: `@${Date.UTC(2026, 5, 1) / 1000}`, sunset: 'Sun, 31 Jan 2027 00:00:00 GMT', link: '<https://d.example/x>; rel="deprecation"; type="text/html"' });
  });

  test('retirement starts exactly at sunset + grace, not a millisecond earlier', () => {
    const sunset = Date.UTC(2027, 0, 31);
    let now = sunset + 9_999;
    const stage = createLifecycleStage({ ...base, sunsetAt: '2027-01-31', graceSeconds: 10 }, undefined, () => now);
    const preAuth = stage.handlers['pre-auth']!;
    assert.equal((preAuth(ctx()) as { kind: string }).kind, 'continue');
    now = sunset + 10_000;
    const d = preAuth(ctx()) as { kind: string; error?: { code: string; status: number } };
    assert.equal(d.kind, 'reject');
    assert.deepEqual([d.error?.code, d.error?.status], ['PCL_GONE', 410]);
  });

  test('usage keeps the first 200 callers as metric labels and folds the rest into "other"', async () => {
    const registry = new Registry();
    const usage = new LifecycleUsage(registry);
    for (let i = 0; i < 250; i++) usage.record({ api: 'a', operationId: 'op', client: `c${i}`, state: 'deprecated' });
    const metric = await registry.getSingleMetric('portcullis_deprecated_calls_total')!.get();
    const clients = new Set(metric.values.map((v) => v.labels.client));
    assert.equal(clients.size, 201);
    assert.equal(metric.values.find((v) => v.labels.client === 'other')?.value, 50);
    assert.equal(usage.snapshot()[0]?.calls, 250);
  });
});
