import { hostname } from 'node:os';
import { stringify } from 'yaml';
import type { Runtime } from '../runtime/runtime.js';
import type { KeyValueStore } from '../store/store.js';
import { Inventory, type InventoryApi } from '../observability/inventory/inventory.js';
import { inventoryReport } from '../observability/inventory/report.js';
import { SharedInventory } from '../observability/inventory/shared.js';
import type { AdminGuard } from './guard.js';
import { sendJson, type AdminRoute } from './handler.js';
import { readQuery } from './query.js';

/**
 * The APIs of a runtime as the inventory needs them: base path and documented operations.
 *
 * @example
 * inventoryApis(gateway.runtime())[0].operations[0]; // { label: 'listBooks', method: 'GET', template: '/v1/books' }
 */
export function inventoryApis(rt: Runtime): InventoryApi[] {
  return rt.apis.map((api) => ({
    name: api.name,
    basePath: api.basePath,
    operations: rt.routes.filter((r) => r.api === api && r.operation !== undefined).map((r) => ({ label: r.label, method: r.operation!.method, template: r.template })),
  }));
}

/** A running inventory: recording, shared through the store, flushed on a timer. */
export interface InventoryService {
  readonly inventory: Inventory;
  readonly shared: SharedInventory;
  readonly apis: () => InventoryApi[];
  /** Stops recording and writes a last snapshot. */
  close(): Promise<void>;
}

/**
 * Starts recording the inventory of a gateway and sharing it through its store.
 *
 * @example
 * const inv = startInventory(() => gateway.runtime(), gateway.store, { maxEndpoints: 2000, flushIntervalMs: 10_000 });
 */
export function startInventory(runtime: () => Runtime, store: KeyValueStore, opts: { maxEndpoints: number; flushIntervalMs: number }): InventoryService {
  // The API list changes only on reload: rebuild it when the runtime generation changes.
  let cached: { generation: number; apis: InventoryApi[] } | undefined;
  const apis = (): InventoryApi[] => {
    const rt = runtime();
    if (cached?.generation !== rt.generation) cached = { generation: rt.generation, apis: inventoryApis(rt) };
    return cached.apis;
  };
  const inventory = new Inventory(apis, { maxEndpoints: opts.maxEndpoints });
  const stop = inventory.subscribe();
  const shared = new SharedInventory(inventory, store, `${hostname()}-${process.pid}`);
  const flush = () => shared.flush().catch(() => { /* the store is down: the next flush retries */ });
  const timer = setInterval(() => { void flush(); }, opts.flushIntervalMs);
  timer.unref();
  return { inventory, shared, apis, close: async () => { clearInterval(timer); stop(); await flush(); } };
}

/**
 * `GET /admin/inventory`: the merged inventory of every instance on the store, as the report
 * (documented and used, zombies, shadow endpoints) or, with `?format=openapi`, the draft OpenAPI
 * fragment of the shadow endpoints as YAML.
 */
export function createInventoryRoutes(guard: AdminGuard, service: InventoryService | undefined): AdminRoute[] {
  if (service === undefined) return [];
  return [{
    method: 'GET', path: '/admin/inventory',
    handler: guard('inventory.view', async (req, res) => {
      const q = readQuery(req, { format: { max: 8, pattern: /^(json|openapi)$/ } });
      await service.shared.flush().catch(() => undefined);
      const report = inventoryReport(await service.shared.collect(), service.apis());
      if (q.format === 'openapi') {
        const text = stringify(report.draft);
        res.writeHead(200, { 'content-type': 'application/yaml', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      sendJson(res, 200, { ...report, dropped: service.inventory.dropped });
    }),
  }];
}
