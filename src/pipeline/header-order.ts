import { createHash } from 'node:crypto';
import type { RequestContext } from './context.js';

const cache = new WeakMap<RequestContext, string>();
/** Headers whose presence depends on state (a first visit, a link), not on the client software. */
const SKIP = new Set(['cookie', 'referer']);

/**
 * The HTTP header-order fingerprint of a request: the header names in the order the client sent
 * them, lower case, without Cookie and Referer (as JA4H leaves them out), comma-joined, SHA-256,
 * first 12 hex characters. Libraries and browsers each send their headers in their own order, so
 * a client claiming to be Chrome with curl's order stands out. Computed once per request, on first
 * use (CEL `request.headerOrder`, key part `headerOrder`, the bot stage's lists).
 *
 * @example
 * headerOrderOf(ctx); // 'a6f1b2c3d4e5'
 */
export function headerOrderOf(ctx: RequestContext): string {
  const hit = cache.get(ctx);
  if (hit !== undefined) return hit;
  const raw = ctx.rawHeaders ?? Object.keys(ctx.headers).flatMap((k) => [k, '']);
  const names: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!.toLowerCase();
    if (!SKIP.has(n)) names.push(n);
  }
  const fp = createHash('sha256').update(names.join(',')).digest('hex').slice(0, 12);
  cache.set(ctx, fp);
  return fp;
}
