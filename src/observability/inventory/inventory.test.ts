import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../store/memory.js';
import type { RequestEndMessage } from '../channels.js';
import { Inventory, mergeEntries, type InventoryApi } from './inventory.js';
import { pathTemplate, queryNames } from './path-template.js';
import { inventoryReport } from './report.js';
import { SharedInventory } from './shared.js';

const APIS: InventoryApi[] = [
  { name: 'shop', basePath: '/v1', operations: [{ label: 'listOrders', method: 'GET', template: '/v1/orders' }, { label: 'exportAll', method: 'GET', template: '/v1/export' }] },
  { name: 'other', basePath: '/v1/other', operations: [] },
];

function end(m: Partial<RequestEndMessage>): RequestEndMessage {
  return { requestId: 'r', method: 'GET', path: '/', api: '(none)', operationId: '(unmatched)', status: 404, durationS: 0, upstreamS: undefined, bytesIn: 0, bytesOut: 0, client: '192.0.2.1', decision: 'rejected', code: undefined, stage: undefined, headers: {}, userAgent: undefined, ...m };
}

describe('inventory', () => {
  test('path values fold into numbered template parameters; names and the query stay out of the template', () => {
    assert.equal(pathTemplate('/v1/users/42/orders/7?x=1'), '/v1/users/{id}/orders/{id2}');
    assert.equal(pathTemplate('/v1/files/3f2c9b1e-1c4a-4e8f-9a77-0c2d8e1b5a60/9f86d081884c7d659a2feaa0c55ad015'), '/v1/files/{uuid}/{hash}');
    assert.equal(pathTemplate('/v1/by-email/alice@example.com'), '/v1/by-email/{email}');
    assert.equal(pathTemplate('/v1/internal/admin-tools'), '/v1/internal/admin-tools');
    assert.equal(pathTemplate('/v1/t/eyJhbGciOiJIUzI1NiJ9abc123xyz'), '/v1/t/{token}');
    assert.deepEqual(queryNames('/x?limit=5&offset=10&limit=6&bad%20name=1'), ['limit', 'offset']);
  });

  test('documented traffic is keyed by operation, unmatched traffic by its API (longest base path) and folded template', () => {
    const inv = new Inventory(() => APIS, { maxEndpoints: 100 });
    inv.record(end({ api: 'shop', operationId: 'listOrders', path: '/v1/orders?limit=5', status: 200 }));
    inv.record(end({ path: '/v1/internal/users/12', status: 404 }));
    inv.record(end({ path: '/v1/internal/users/13?debug=1', status: 404, client: '192.0.2.2' }));
    inv.record(end({ path: '/v1/other/thing', status: 404 }));
    inv.record(end({ path: '/elsewhere', status: 404 }));
    const byTemplate = new Map(inv.entries().map((e) => [e.template, e]));
    assert.equal(byTemplate.get('/v1/orders')?.operation, 'listOrders');
    assert.deepEqual(byTemplate.get('/v1/orders')?.query, ['limit']);
    const shadow = byTemplate.get('/v1/internal/users/{id}')!;
    assert.deepEqual([shadow.api, shadow.count, shadow.statuses['4xx'], shadow.clients.length, shadow.query], ['shop', 2, 2, 2, ['debug']]);
    assert.equal(byTemplate.get('/v1/other/thing')?.api, 'other');
    assert.equal(byTemplate.get('/elsewhere')?.api, '(none)');
  });

  test('a new list of APIs (a reload) is indexed again: an operation added by it is recognised from then on', () => {
    let apis: InventoryApi[] = [{ name: 'shop', basePath: '/v1', operations: [] }];
    const inv = new Inventory(() => apis, { maxEndpoints: 100 });
    inv.record(end({ api: 'shop', operationId: 'getItem', path: '/v1/items/7', status: 200 }));
    apis = [{ name: 'shop', basePath: '/v1', operations: [{ label: 'getItem', method: 'GET', template: '/v1/items/{itemId}' }] }];
    inv.record(end({ api: 'shop', operationId: 'getItem', path: '/v1/items/8', status: 200 }));
    const byTemplate = new Map(inv.entries().map((e) => [e.template, e]));
    assert.equal(byTemplate.get('/v1/items/{id}')?.operation, undefined);
    assert.equal(byTemplate.get('/v1/items/{itemId}')?.operation, 'getItem');
  });

  test('short plain segments stay names; a short segment with a digit, an @ or a % is still folded', () => {
    assert.equal(pathTemplate('/pass/v1/tenants/acme/items/42'), '/pass/v1/tenants/acme/items/{id}');
    assert.equal(pathTemplate('/a/b@c.io/x%2Fy'), '/a/{email}/{value}');
    assert.equal(pathTemplate('/deadbeefdeadbeef'), '/{hash}');
  });

  test('attack: a flood of distinct paths keeps at most maxEndpoints entries and counts the rest', () => {
    const inv = new Inventory(() => APIS, { maxEndpoints: 10 });
    for (let i = 0; i < 500; i++) inv.record(end({ path: `/v1/probe-${i}-x/a` }));
    assert.equal(inv.entries().length, 10);
    assert.equal(inv.dropped, 490);
  });

  test('the report lists used operations, zombies and shadow endpoints with a draft OpenAPI operation', () => {
    const inv = new Inventory(() => APIS, { maxEndpoints: 100 });
    inv.record(end({ api: 'shop', operationId: 'listOrders', path: '/v1/orders', status: 200 }));
    inv.record(end({ api: 'shop', operationId: '(undocumented)', path: '/v1/orders/9/refund?amount=1', method: 'POST', status: 201 }));
    const r = inventoryReport(inv.entries(), APIS);
    assert.deepEqual(r.documented.map((e) => e.operation), ['listOrders']);
    assert.deepEqual(r.zombies.map((z) => z.operation), ['exportAll']);
    assert.deepEqual(r.shadow.map((e) => `${e.method} ${e.template}`), ['POST /v1/orders/{id}/refund']);
    const op = r.draft['shop']?.paths['/orders/{id}/refund']?.['post'] as { parameters: { name: string; in: string }[]; responses: Record<string, unknown> };
    assert.deepEqual(op.parameters.map((p) => `${p.in}:${p.name}`), ['path:id', 'query:amount']);
    assert.deepEqual(Object.keys(op.responses), ['2XX']);
  });

  test('instances sharing a store build one inventory: counts add up, bounded lists union', async () => {
    const store = new MemoryStore({ maxKeys: 1000 });
    const a = new Inventory(() => APIS, { maxEndpoints: 100 });
    const b = new Inventory(() => APIS, { maxEndpoints: 100 });
    a.record(end({ path: '/v1/shadow/1', client: '192.0.2.1' }));
    b.record(end({ path: '/v1/shadow/2', client: '192.0.2.9' }));
    b.record(end({ path: '/v1/shadow/3', status: 500, client: '192.0.2.9' }));
    await new SharedInventory(a, store, 'a').flush();
    const sb = new SharedInventory(b, store, 'b');
    await sb.flush();
    const merged = (await sb.collect()).find((e) => e.template === '/v1/shadow/{id}')!;
    assert.deepEqual([merged.count, merged.statuses['4xx'], merged.statuses['5xx'], merged.clients.sort()], [3, 2, 1, ['192.0.2.1', '192.0.2.9']]);
    assert.equal(mergeEntries([]).length, 0);
    await store.close();
  });
});
