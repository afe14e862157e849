/**
 * Dispatches a buffered request body to its processor and fills the transaction.
 */
import type { Transaction } from '../transaction.js';
import { parseUrlEncoded } from './urlencoded.js';
import { flattenJson } from './json.js';
import { parseXmlBody } from './xml.js';
import { parseMultipart } from './multipart.js';

/**
 * What processing produced beyond the collections it filled. Like ModSecurity,
 * REQUEST_BODY is only set for URL-encoded or unprocessed bodies (unless forced by ctl).
 */
export interface BodyResult {
  readonly error: string | undefined;
  readonly exposeRawBody: boolean;
}

/**
 * @example
 * processBody('URLENCODED', 'a=1', 'application/x-www-form-urlencoded', tx) // { error: undefined, exposeRawBody: true }
 */
export function processBody(processor: string | undefined, body: string, contentType: string, tx: Transaction): BodyResult {
  try {
    switch (processor?.toUpperCase()) {
      case 'URLENCODED':
        for (const [k, v] of parseUrlEncoded(body)) tx.addPostArg(k, v);
        return { error: undefined, exposeRawBody: true };
      case 'JSON':
        for (const [k, v] of flattenJson(body)) tx.addPostArg(k, v);
        return { error: undefined, exposeRawBody: false };
      case 'XML': {
        const { texts, attributes } = parseXmlBody(body);
        const xml = tx.collection('XML');
        for (const t of texts) xml.add('/*', t);
        for (const a of attributes) xml.add('//@*', a);
        return { error: undefined, exposeRawBody: false };
      }
      case 'MULTIPART': {
        const r = parseMultipart(body, contentType);
        let total = 0;
        for (const p of r.parts) {
          for (const [hk, hv] of p.headers) tx.collection('MULTIPART_PART_HEADERS').add(p.name, `${hk}: ${hv}`);
          tx.collection('MULTIPART_NAME').add(p.name, p.name);
          if (p.filename !== undefined) {
            tx.collection('FILES').add(p.name, p.filename);
            tx.collection('FILES_NAMES').add(p.name, p.name);
            tx.collection('FILES_SIZES').add(p.name, String(p.value.length));
            tx.collection('MULTIPART_FILENAME').add(p.name, p.filename);
            total += p.value.length;
          } else {
            tx.addPostArg(p.name, p.value);
          }
        }
        tx.scalars.set('FILES_COMBINED_SIZE', String(total));
        tx.scalars.set('MULTIPART_STRICT_ERROR', r.strictError ? '1' : '0');
        tx.scalars.set('MULTIPART_UNMATCHED_BOUNDARY', r.unmatchedBoundary ? '1' : '0');
        return { error: undefined, exposeRawBody: false };
      }
      default:
        return { error: undefined, exposeRawBody: true };
    }
  } catch (e) {
    return { error: (e as Error).message, exposeRawBody: false };
  }
}
