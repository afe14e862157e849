import type { InventoryApi, InventoryEntry } from './inventory.js';

/** The inventory compared with the documents: what is used, what is never used, what is not documented. */
export interface InventoryReport {
  readonly generatedAt: string;
  /** Documented operations that received traffic. */
  readonly documented: readonly InventoryEntry[];
  /** Documented operations nobody called since the inventory started (candidates for removal). */
  readonly zombies: readonly { api: string; operation: string; method: string; template: string }[];
  /** Traffic to endpoints no document describes (shadow APIs), most called first. */
  readonly shadow: readonly InventoryEntry[];
  /** A draft OpenAPI `paths` fragment for the shadow endpoints, per API, to review and adopt. */
  readonly draft: Readonly<Record<string, { paths: Record<string, Record<string, unknown>> }>>;
}

/** A draft schema of the observed field names (`a.b` nests one level); types are unknown, so none is claimed. */
function bodySchema(names: readonly string[]): Record<string, unknown> {
  const properties: Record<string, { properties?: Record<string, object> }> = {};
  for (const n of names) {
    const [outer, inner] = n.split('.', 2) as [string, string | undefined];
    const p = (properties[outer] ??= {});
    if (inner !== undefined) (p.properties ??= {})[inner] = {};
  }
  return { type: 'object', properties };
}

/**
 * Builds the report: each documented operation is used or a zombie; every undocumented endpoint
 * is shadow, with a draft OpenAPI operation (path parameters from the folded template, the query
 * names seen, the status classes answered).
 *
 * @example
 * inventoryReport(inventory.entries(), apis).zombies; // [{ api: 'shop', operation: 'exportAll', ... }]
 */
export function inventoryReport(entries: readonly InventoryEntry[], apis: readonly InventoryApi[], now = Date.now()): InventoryReport {
  const documented = entries.filter((e) => e.operation !== undefined).sort((a, b) => b.count - a.count);
  const used = new Set(documented.map((e) => `${e.api}\u0000${e.operation}`));
  const zombies = apis.flatMap((a) => a.operations.filter((o) => !used.has(`${a.name}\u0000${o.label}`))
    .map((o) => ({ api: a.name, operation: o.label, method: o.method, template: o.template })));
  const shadow = entries.filter((e) => e.operation === undefined).sort((a, b) => b.count - a.count);
  const draft: Record<string, { paths: Record<string, Record<string, unknown>> }> = {};
  for (const e of shadow) {
    const api = apis.find((a) => a.name === e.api);
    const rel = api !== undefined && api.basePath !== '' && e.template.startsWith(api.basePath) ? e.template.slice(api.basePath.length) || '/' : e.template;
    const doc = (draft[e.api] ??= { paths: {} });
    const item = (doc.paths[rel] ??= {});
    const pathParams = [...rel.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const queryParams = e.query.map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }));
    item[e.method.toLowerCase()] = {
      summary: 'Observed by Portcullis, not documented',
      ...(pathParams.length + queryParams.length > 0 ? { parameters: [...pathParams, ...queryParams] } : {}),
      ...((e.body ?? []).length > 0 ? { requestBody: { content: { 'application/json': { schema: bodySchema(e.body) } } } } : {}),
      responses: Object.fromEntries(Object.keys(e.statuses).sort().map((c) => [c.toUpperCase(), { description: `observed ${e.statuses[c]} time(s)` }])),
      'x-portcullis-observed': { count: e.count, firstSeen: new Date(e.firstSeen).toISOString(), lastSeen: new Date(e.lastSeen).toISOString(), clients: e.clients.length },
    };
  }
  return { generatedAt: new Date(now).toISOString(), documented, zombies, shadow, draft };
}
