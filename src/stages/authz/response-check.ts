import type { CelInput } from '@bufbuild/cel';
import { responseJson, type RequestContext, type ResponseContext } from '../../pipeline/context.js';
import { allHold } from '../../policy/cel.js';
import type { CompiledResponseRule } from './policy.js';
import { responseVar } from '../../policy/variables.js';

/** What the response checks concluded. */
export type ResponseOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'filtered'; readonly value: unknown; readonly removed: number; readonly ruleIds: readonly string[] }
  | { readonly kind: 'block'; readonly ruleIds: readonly string[]; readonly message: string };

const OK: ResponseOutcome = Object.freeze({ kind: 'ok' });

/**
 * Runs ownership checks over a response. Only 2xx responses are checked; a 2xx body that
 * cannot be read as JSON (not buffered, encoded, another media type, invalid) is blocked:
 * ownership that cannot be verified is not granted.
 *
 * @example
 * const out = checkResponse(rules, res, ctx, () => ({ principal, request }));
 */
export function checkResponse(
  rules: readonly CompiledResponseRule[], res: ResponseContext, ctx: RequestContext, requestVars: () => { principal: CelInput; request: CelInput },
): ResponseOutcome {
  if (res.status < 200 || res.status > 299) return OK;
  const ids = rules.map((r) => r.id);
  const block = (message: string, ruleIds: readonly string[] = ids): ResponseOutcome => ({ kind: 'block', ruleIds, message });
  if (res.body === undefined) {
    // Larger than the buffering limit (or not buffered at all while framing announces a body).
    const len = res.headers['content-length'];
    const hasBody = res.oversize === true || (len !== undefined && String(len) !== '0') || res.headers['transfer-encoding'] !== undefined;
    return hasBody ? block('response body was not buffered (larger than maxResponseBodySize)') : OK;
  }
  if (res.body.length === 0) return OK;
  const enc = res.headers['content-encoding'];
  if (enc !== undefined && enc !== 'identity') return block('encoded response body cannot be checked');
  const ct = res.headers['content-type'];
  const essence = typeof ct === 'string' ? ct.split(';')[0]!.trim().toLowerCase() : '';
  if (essence !== 'application/json' && !essence.endsWith('+json')) return block(`response is not JSON (${essence.slice(0, 60) || 'no content type'})`);
  const parsed = responseJson(res as ResponseContext & { body: Buffer });
  if (!parsed.ok) return block('response body is not valid JSON');
  const body = parsed.value;
  // The CEL activation is built only for a condition the fast path cannot settle.
  let built: Record<string, CelInput> | undefined;
  const vars = () => (built ??= { ...requestVars(), response: responseVar(res, body) });
  let removed = 0;
  const filteredBy: string[] = [];
  for (const rule of rules) {
    if (rule.items === undefined) {
      const r = allHold(rule.when, { ctx, body }, vars);
      if (r !== true) return block(r === false ? 'ownership check failed' : `ownership check failed to evaluate (${r})`, [rule.id]);
      continue;
    }
    const list = resolve(body, rule.items);
    if (!Array.isArray(list)) return block('items pointer does not lead to an array', [rule.id]);
    const kept: unknown[] = [];
    for (const item of list) {
      if (allHold(rule.when, { ctx, body, item }, () => ({ ...vars(), item: item as CelInput })) === true) { kept.push(item); continue; }
      if (rule.action === 'block') return block('a list element failed the ownership check', [rule.id]);
      removed++;
      if (!filteredBy.includes(rule.id)) filteredBy.push(rule.id);
    }
    if (kept.length !== list.length) {
      // Edit in place so later rules (and the rewritten body) see the filtered list; the caller
      // then replaces the body or forgets the shared parse, which no longer matches it.
      list.length = kept.length;
      for (let i = 0; i < kept.length; i++) list[i] = kept[i];
    }
  }
  if (removed === 0) return OK;
  return { kind: 'filtered', value: body, removed, ruleIds: filteredBy };
}

function resolve(value: unknown, tokens: readonly string[]): unknown {
  let v = value;
  for (const t of tokens) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, t)) return undefined;
    v = (v as Record<string, unknown>)[t];
  }
  return v;
}
