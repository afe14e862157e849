/**
 * Entry point of a WAF inspection worker (worker_threads): loads the rule set named by the
 * first request for it (the same inputs the stage compiled) and inspects requests whose
 * body is large enough to hold the event loop (ADR 0006). Holds no HTTP objects: requests
 * arrive as TransactionInput values and matches go back as plain data.
 */
import { parentPort } from 'node:worker_threads';
import type { RuleSet, TransactionInput } from '../../waf/index.js';
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
}

const ruleSets = new Map<string, RuleSet>();

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
    parentPort?.postMessage({ seq: job.seq, matches: r.matches, interrupted: r.interrupted, ruleId: r.ruleId, bodyError: r.bodyError });
  } catch (err) {
    parentPort?.postMessage({ seq: job.seq, error: err instanceof Error ? err.message : String(err) });
  }
});
