import type { Tokens } from '../document.js';
import type { LintRule, RuleHit } from '../rule.js';
import { isRecord } from '../schemas.js';
import { OPERATION_METHODS } from '../../../openapi/types.js';

const LOOPBACK = /^http:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/i;

function* servers(source: unknown): Iterable<{ url: string; at: Tokens }> {
  if (!isRecord(source)) return;
  const list = function* (v: unknown, at: Tokens): Iterable<{ url: string; at: Tokens }> {
    if (!Array.isArray(v)) return;
    for (const [i, s] of v.entries()) if (isRecord(s) && typeof s.url === 'string') yield { url: s.url, at: [...at, i, 'url'] };
  };
  yield* list(source.servers, ['servers']);
  if (!isRecord(source.paths)) return;
  for (const [path, item] of Object.entries(source.paths)) {
    if (!isRecord(item)) continue;
    yield* list(item.servers, ['paths', path, 'servers']);
    for (const m of OPERATION_METHODS) if (isRecord(item[m])) yield* list((item[m] as Record<string, unknown>).servers, ['paths', path, m, 'servers']);
  }
}

/** API8: a server URL over plain HTTP. */
export const httpServer: LintRule = {
  id: 'http-server',
  title: 'Server URL over plain HTTP',
  severity: 'high',
  owasp: 'API8:2023',
  fix: 'Serve the API over https:// only (the gateway terminates TLS 1.2+: server.tls); keep http:// for loopback development servers at most.',
  needs: 'document',
  *check(ctx): Iterable<RuleHit> {
    for (const s of servers(ctx.doc.source)) {
      if (!/^http:\/\//i.test(s.url)) continue;
      const loopback = LOOPBACK.test(s.url);
      yield { at: s.at, ...(loopback ? { severity: 'low' as const } : {}), message: `Server ${s.url} uses plain HTTP${loopback ? ' (loopback)' : ''}.` };
    }
  },
};
