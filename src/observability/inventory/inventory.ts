import diagnostics_channel from 'node:diagnostics_channel';
import { CHANNELS, type RequestEndMessage } from '../channels.js';
import { bodyFieldNames } from './body-fields.js';
import { pathTemplate, queryNames } from './path-template.js';

/** One endpoint as observed: documented (an operation) or not (a normalised path template). */
export interface InventoryEntry {
  api: string;
  method: string;
  /** The operation's template when documented, else the normalised path. */
  template: string;
  /** operationId (or `METHOD template`) when documented; undefined for traffic no operation covers. */
  operation: string | undefined;
  count: number;
  firstSeen: number;
  lastSeen: number;
  /** Responses by status class: `2xx`, `4xx`, ... (`0xx` when the client left before a status). */
  statuses: Record<string, number>;
  /** Distinct client addresses seen (bounded). */
  clients: string[];
  /** Query parameter names seen (never values, bounded). */
  query: string[];
  /** Request body field names seen (JSON and form bodies; never values, bounded). */
  body: string[];
}

/** Where an API's routes live, to attribute unmatched traffic and to list unused operations. */
export interface InventoryApi {
  readonly name: string;
  readonly basePath: string;
  /** Documented operations: label (operationId or `METHOD template`), method and full template. */
  readonly operations: readonly { readonly label: string; readonly method: string; readonly template: string }[];
}

const MAX_CLIENTS = 20;
const MAX_QUERY = 20;
const MAX_BODY_FIELDS = 30;
/** Bodies of an endpoint's first requests are sampled for field names; later ones cost nothing. */
const BODY_SAMPLE = 50;
const MAX_SAMPLED_BODY = 65_536;

/**
 * The endpoints an API's traffic actually reaches, documented or not, in bounded memory (OWASP API9:
 * improper inventory). A record-phase subscriber of the request-end channel: it never slows a
 * request. Unmatched requests are attributed to the API whose base path is the longest prefix of
 * the path; paths are folded into templates (`/users/{id}`), and only parameter names are kept.
 *
 * @example
 * const inv = new Inventory(() => apis, { maxEndpoints: 2000 });
 * const stop = inv.subscribe();
 */
export class Inventory {
  readonly #entries = new Map<string, InventoryEntry>();
  readonly #apis: () => readonly InventoryApi[];
  readonly #max: number;
  #dropped = 0;
  /** Lookups built once per list of APIs (the list changes only with the runtime generation). */
  #index: ApiIndex | undefined;

  constructor(apis: () => readonly InventoryApi[], opts: { maxEndpoints: number }) {
    this.#apis = apis;
    this.#max = opts.maxEndpoints;
  }

  /** Requests whose endpoint was new once the bound was reached: counted, not kept. */
  get dropped(): number {
    return this.#dropped;
  }

  record(m: RequestEndMessage, now = Date.now()): void {
    const apis = this.#apis();
    let index = this.#index;
    if (index?.apis !== apis) index = this.#index = indexApis(apis);
    const routed = index.byName.get(m.api);
    const op = routed?.get(m.operationId);
    let api: string;
    let template: string;
    let operation: string | undefined;
    if (op !== undefined) {
      api = m.api; template = op.template; operation = op.label;
    } else {
      api = routed === undefined ? apiByPath(index.byBase, m.path) ?? '(none)' : m.api;
      template = pathTemplate(m.path);
      operation = undefined;
    }
    const method = m.method.length <= 16 ? m.method : 'OTHER';
    const key = `${api}\u0000${method}\u0000${template}`;
    let e = this.#entries.get(key);
    if (e === undefined) {
      if (this.#entries.size >= this.#max) { this.#dropped += 1; return; }
      e = { api, method, template, operation, count: 0, firstSeen: now, lastSeen: now, statuses: {}, clients: [], query: [], body: [] };
      this.#entries.set(key, e);
    }
    e.count += 1;
    e.lastSeen = now;
    const cls = `${Math.floor(m.status / 100)}xx`;
    e.statuses[cls] = (e.statuses[cls] ?? 0) + 1;
    if (e.clients.length < MAX_CLIENTS && m.client !== '' && !e.clients.includes(m.client)) e.clients.push(m.client);
    if (m.path.includes('?')) for (const n of queryNames(m.path)) if (e.query.length < MAX_QUERY && !e.query.includes(n)) e.query.push(n);
    const body = m.requestBody;
    if (body !== undefined && body.length > 0 && body.length <= MAX_SAMPLED_BODY && e.count <= BODY_SAMPLE && e.body.length < MAX_BODY_FIELDS) {
      const entry = e;
      const contentType = m.headers['content-type'];
      // Parsed after the request's tick: the inventory never slows the exchange it records.
      setImmediate(() => {
        for (const n of bodyFieldNames(body, typeof contentType === 'string' ? contentType : undefined)) {
          if (entry.body.length < MAX_BODY_FIELDS && !entry.body.includes(n)) entry.body.push(n);
        }
      });
    }
  }

  /** A copy of every entry. */
  entries(): InventoryEntry[] {
    return [...this.#entries.values()].map((e) => ({ ...e, statuses: { ...e.statuses }, clients: [...e.clients], query: [...e.query], body: [...e.body] }));
  }

  /** Subscribes to request ends; returns the unsubscribe function. */
  subscribe(): () => void {
    const on = (msg: unknown): void => { try { this.record(msg as RequestEndMessage); } catch { /* never break the publisher */ } };
    diagnostics_channel.subscribe(CHANNELS.requestEnd, on);
    return () => { diagnostics_channel.unsubscribe(CHANNELS.requestEnd, on); };
  }
}

type Operation = InventoryApi['operations'][number];

interface ApiIndex {
  readonly apis: readonly InventoryApi[];
  /** API name → operation label → operation. */
  readonly byName: ReadonlyMap<string, ReadonlyMap<string, Operation>>;
  /** Longest base path first, so the first match is the longest prefix. */
  readonly byBase: readonly InventoryApi[];
}

function indexApis(apis: readonly InventoryApi[]): ApiIndex {
  const byName = new Map<string, Map<string, Operation>>();
  for (const a of apis) {
    if (byName.has(a.name)) continue;
    const ops = new Map<string, Operation>();
    for (const o of a.operations) if (!ops.has(o.label)) ops.set(o.label, o);
    byName.set(a.name, ops);
  }
  // A stable sort keeps the first of two APIs with the same base path first, as the linear scan did.
  return { apis, byName, byBase: [...apis].sort((x, y) => y.basePath.length - x.basePath.length) };
}

function apiByPath(byBase: readonly InventoryApi[], path: string): string | undefined {
  const q = path.indexOf('?');
  const bare = q === -1 ? path : path.slice(0, q);
  for (const a of byBase) {
    const base = a.basePath;
    if (base === '' || bare === base || bare.startsWith(`${base}/`)) return a.name;
  }
  return undefined;
}

/**
 * Merges entries from several instances (the same endpoint seen by each): counts and status classes
 * add up, first/last seen widen, bounded lists are unioned within their bounds.
 */
export function mergeEntries(lists: readonly (readonly InventoryEntry[])[]): InventoryEntry[] {
  const out = new Map<string, InventoryEntry>();
  for (const list of lists) {
    for (const e of list) {
      const key = `${e.api}\u0000${e.method}\u0000${e.template}`;
      const m = out.get(key);
      if (m === undefined) { out.set(key, { ...e, statuses: { ...e.statuses }, clients: [...e.clients], query: [...e.query], body: [...(e.body ?? [])] }); continue; }
      m.count += e.count;
      m.firstSeen = Math.min(m.firstSeen, e.firstSeen);
      m.lastSeen = Math.max(m.lastSeen, e.lastSeen);
      m.operation ??= e.operation;
      for (const [k, v] of Object.entries(e.statuses)) m.statuses[k] = (m.statuses[k] ?? 0) + v;
      for (const c of e.clients) if (m.clients.length < MAX_CLIENTS && !m.clients.includes(c)) m.clients.push(c);
      for (const q of e.query) if (m.query.length < MAX_QUERY && !m.query.includes(q)) m.query.push(q);
      // Snapshots written before body names were recorded have none.
      for (const b of e.body ?? []) if (m.body.length < MAX_BODY_FIELDS && !m.body.includes(b)) m.body.push(b);
    }
  }
  return [...out.values()];
}
