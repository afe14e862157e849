/**
 * Entry point of a WAF inspection worker (worker_threads): loads the rule set named by the
 * first request for it (the same inputs the stage compiled) and inspects requests whose
 * body is large enough to hold the event loop (ADR 0006). Holds no HTTP objects: requests
 * arrive as TransactionInput values; matches and the transaction's state go back as plain
 * data (ADR 0017).
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { snapshotTransaction, type RuleSet, type TransactionInput, type TransactionState, type WafMatch } from '../../waf/index.js';
import { MAX_EXCERPT } from './events.js';
import { inspectRequest } from './inspect.js';
import { loadWafRuleSet, type RuleSetInputs } from './rules.js';

/** A request to inspect; `key` identifies the rule set (JSON of `inputs`). */
export interface InspectJob {
  readonly seq: number;
  readonly key: string;
  readonly inputs: RuleSetInputs;
  readonly input: TransactionInput;
  readonly id: string;
  readonly engineMode: 'On' | 'DetectionOnly';
  /** Send the transaction's state back (its response phases run on the event loop). */
  readonly wantState: boolean;
}

/** The answer to one InspectJob. */
export type InspectReply =
  | { seq: number; matches: WafMatch[]; interrupted: boolean; ruleId?: number; bodyError?: string; state?: TransactionState }
  | { seq: number; error: string };

// Inspection is bulk work and the event loop is what answers every other request: when the
// two compete for a core, the event loop must win (ADR 0017). On Linux a thread has its own
// nice value, so this lowers this thread only (10 below the gateway's); elsewhere it would lower
// the whole process.
if (process.platform === 'linux') {
  try {
    setPriority(Math.min(19, getPriority() + 10));
  } catch {
    // Not permitted (some sandboxes): the worker then runs at the gateway's priority.
  }
}

const ruleSets = new Map<string, RuleSet>();

/**
 * A match as the event loop needs it: events show at most MAX_EXCERPT characters of the
 * matched data (matchExcerpt), so a 128 KiB matched value is not copied back whole.
 */
function trimmed(m: WafMatch): WafMatch {
  return m.data.length <= MAX_EXCERPT + 1 ? m : { ...m, data: m.data.slice(0, MAX_EXCERPT + 1) };
}

parentPort?.on('message', (job: InspectJob) => {
  try {
    let rules = ruleSets.get(job.key);
    if (rules === undefined) {
      rules = loadWafRuleSet(job.inputs);
      // Only the sets of the current and the previous config are worth keeping.
      if (ruleSets.size >= 2) ruleSets.delete(ruleSets.keys().next().value as string);
      ruleSets.set(job.key, rules);
    }
    const r = inspectRequest(rules, job.input, job.id, job.engineMode);
    // The transaction stays here: only plain data crosses the thread boundary.
    const reply: InspectReply = {
      seq: job.seq, matches: r.matches.map(trimmed), interrupted: r.interrupted,
      ...(r.ruleId === undefined ? {} : { ruleId: r.ruleId }),
      ...(r.bodyError === undefined ? {} : { bodyError: r.bodyError }),
      ...(job.wantState && !r.interrupted && r.tx !== undefined ? { state: snapshotTransaction(r.tx) } : {}),
    };
    parentPort?.postMessage(reply);
  } catch (err) {
    parentPort?.postMessage({ seq: job.seq, error: err instanceof Error ? err.message : String(err) } satisfies InspectReply);
  }
});
