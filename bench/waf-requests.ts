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
