import type { IncomingHttpHeaders } from 'node:http';
import type { RequestContext, ResponseContext } from '../src/pipeline/context.js';

// The benign requests of the WAF benches (bench/waf.ts through the gateway, bench/waf-engine.ts
// the engine alone, bench/waf-stage.ts the stage's handlers): one definition, so their numbers
// describe the same traffic.

/** About 1 KB of ordinary JSON that CRS at PL1 lets through. */
export const ITEM = {
  id: 'b6c1f2e0-5d7a-4c1b-9d1e-2f0a3b4c5d6e', title: 'The Hobbit', author: 'J. R. R. Tolkien', year: 1937, price: 12.5, currency: 'EUR',
  description: 'Bilbo Baggins, a hobbit who enjoys a quiet life at home, is swept into an adventure by the wizard Gandalf and thirteen dwarves who want to reclaim their mountain home and its treasure from the dragon Smaug. Along the way he finds a ring, outwits a creature named Gollum in a game of riddles and discovers a courage of his own. The tale follows the company through forests, caves and rivers.',
  tags: ['fantasy', 'classic', 'adventure', 'dragons'], stock: { warehouse: 'north', count: 42, reorder: false },
  reviews: [{ user: 'alice', stars: 5, text: 'A wonderful story for every age.' }, { user: 'bob', stars: 4, text: 'Slow start, great ending.' }],
  notes: 'First published in 1937 to wide acclaim, the book was nominated for the Carnegie Medal and has never been out of print since. Later editions revised the chapter about the riddle game to fit the sequel.',
};
export const BODY = JSON.stringify(ITEM);

let serial = 0;
/**
 * The same item with every value unseen before (a serial number appended to each string,
 * added to each number): what the engine pays when nothing repeats but the field names, which
 * the cross-request caches (ADR 0025) cannot help with.
 */
export function freshBody(): string {
  const n = ++serial;
  const fresh = (v: unknown): unknown => typeof v === 'string' ? `${v}${n}` : typeof v === 'number' ? v + n
    : Array.isArray(v) ? v.map(fresh) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fresh(x)])) : v;
  return JSON.stringify(fresh(ITEM));
}

export const HEADERS = { host: 'localhost', 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'portcullis-bench/1.0' };
/** A browser-like GET: the headers Firefox sends for a navigation, and a 5-parameter query. */
export const GET_PATH = '/v1/items?q=hobbit+tolkien&page=2&sort=title&lang=en-GB&limit=20';
export const GET_HEADERS = {
  host: 'localhost', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8', 'accept-language': 'en-GB,en;q=0.5',
  'accept-encoding': 'gzip, deflate, br', referer: 'http://localhost/v1/', cookie: 'session=3f2a9c1e7b4d; theme=dark',
  'upgrade-insecure-requests': '1', 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'same-origin',
};

let ids = 0;
/**
 * A request context as the server builds it (raw header lines, a new id per request), for the
 * benches that drive the WAF stage's handlers without sockets (waf-stage.ts, waf-first-requests.ts).
 */
export function stageContext(method: string, path: string, query: string, headers: Record<string, string>, body?: string): RequestContext {
  const all: Record<string, string> = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  return {
    id: `bench-${++ids}`, startedAt: process.hrtime.bigint(), method, path, query, headers: all as IncomingHttpHeaders,
    rawHeaders: Object.entries(all).flat(), httpVersion: '1.1',
    client: { ip: '127.0.0.1', peer: '127.0.0.1', port: 40_000 + (ids % 10), tls: false, proto: 'http', host: 'localhost' },
    route: { apiName: 'bench', operationId: undefined, pathTemplate: path, tags: [], params: {} },
    principal: undefined, body: body === undefined ? undefined : Buffer.from(body), findings: [], timings: {}, responseHeaders: {}, credentialed: false,
  } as RequestContext;
}

/** What the fixed upstream of bench/waf.ts answers: a small JSON document, not buffered (no stage reads it). */
export const stageResponse = (): ResponseContext => ({
  status: 200, generated: false, body: undefined,
  headers: { 'content-type': 'application/json', 'content-length': '11', date: 'Thu, 03 Dec 2026 15:00:00 GMT', connection: 'keep-alive', 'keep-alive': 'timeout=5' },
});
