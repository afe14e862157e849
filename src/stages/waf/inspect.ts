import { evaluate, releaseTransformMemo, Transaction, withoutBodyRules, type ResponseInput, type RuleSet, type TransactionInput, type TransactionState, type WafMatch } from '../../waf/index.js';

/** What inspecting one request found: the logged matches and whether a rule refused it. */
export interface InspectResult {
  readonly matches: WafMatch[];
  readonly interrupted: boolean;
  /** The rule that interrupted, when one did. */
  readonly ruleId?: number;
  /** REQBODY_ERROR_MSG when the body failed to parse. */
  readonly bodyError?: string;
  /** The transaction, when inspected on this thread: its response phases run over it (TX scores carry over). */
  readonly tx?: Transaction;
  /** The transaction's state, when inspected on a worker and asked for: its response phases continue from it (ADR 0017). */
  readonly state?: TransactionState;
}

/**
 * Runs request phases 1 and 2 over a fresh Transaction: the one inspection both the
 * event-loop thread and the inspection workers run (worker-pool.ts).
 *
 * @example
 * const r = inspectRequest(rules, { method: 'GET', uri: '/?q=1', headers: [] }, 'req-1', 'On');
 */
export function inspectRequest(rules: RuleSet, input: TransactionInput, id: string, engineMode: 'On' | 'DetectionOnly'): InspectResult {
  const tx = new Transaction(input, id);
  tx.engineMode = engineMode;
  const matches: WafMatch[] = [];
  const bodyError = () => { const m = tx.scalars.get('REQBODY_ERROR_MSG'); return m === undefined || m === '' ? {} : { bodyError: String(m) }; };
  let ruleId: number | undefined;
  for (const phase of [1, 2]) {
    const r = evaluate(rules, tx, phase);
    matches.push(...r.matches);
    if (r.interrupted) { ruleId = r.interrupted.ruleId; break; }
  }
  // The transaction may wait for its response phases across the upstream call: its memo of
  // request values must not (ADR 0026: it is most of what young-generation GCs copy meanwhile).
  releaseTransformMemo(tx);
  return ruleId === undefined ? { matches, interrupted: false, ...bodyError(), tx } : { matches, interrupted: true, ruleId, ...bodyError(), tx };
}

/**
 * Runs response phases 3 and 4 over a request's transaction (inspected on this thread, or
 * restored from a worker's state): the one response inspection both the event loop and the
 * inspection workers run (ADR 0026).
 *
 * @example
 * const r = inspectResponse(rules, tx, { status: 200, headers: [['Content-Type', 'text/html']] });
 */
export function inspectResponse(rules: RuleSet, tx: Transaction, response: ResponseInput): InspectResult {
  tx.setResponse(response);
  // Most responses reach the rules without a body (not buffered, or a media type they skip):
  // the rules that read only the body cannot match them (ADR 0029).
  const rs = response.body === undefined ? withoutBodyRules(rules) : rules;
  const matches: WafMatch[] = [];
  for (const phase of [3, 4]) {
    const r = evaluate(rs, tx, phase);
    matches.push(...r.matches);
    if (r.interrupted) return { matches, interrupted: true, ruleId: r.interrupted.ruleId };
  }
  return { matches, interrupted: false };
}
