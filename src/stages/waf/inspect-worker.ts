/**
 * Entry point of a WAF inspection worker (worker_threads): loads the rule set named by a job
 * (the same inputs the stage compiled; the pool sends a `load` job when the configuration
 * loads, so the first large request finds it ready), inspects requests whose body is large
 * enough to hold the event loop (ADR 0006) and runs the response phases over large buffered
 * response bodies (ADR 0026). Holds no HTTP objects: requests and responses arrive as plain
 * values; matches and the transaction's state go back as plain data (ADR 0017).
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { restoreTransaction, snapshotTransaction, type ResponseInput, type RuleSet, type TransactionInput, type TransactionState, type WafMatch } from '../../waf/index.js';
import { MAX_EXCERPT } from './events.js';
import { inspectRequest, inspectResponse } from './inspect.js';
import { compileInSlices } from './cache.js';
import type { RuleSetInputs } from './rules.js';

interface JobBase {
  readonly seq: number;
  /** Identifies the rule set (JSON of `inputs`). */
  readonly key: string;
  readonly inputs: RuleSetInputs;
}

/** Phases 1-2 over a request. */
export interface InspectJob extends JobBase {
  readonly kind: 'request';
  readonly input: TransactionInput;
  readonly id: string;
  readonly engineMode: 'On' | 'DetectionOnly';
  /** Send the transaction's state back (its response phases run later). */
  readonly wantState: boolean;
}

/** Phases 3-4 over a response, continuing the request's transaction from its state. */
export interface RespondJob extends JobBase {
  readonly kind: 'response';
  /** The request without its body (restoreTransaction rebuilds the request collections from it). */
  readonly input: TransactionInput;
  readonly id: string;
  readonly state: TransactionState;
  readonly response: ResponseInput;
}

/** Load (compile) the rule set now, so no request waits for it; no answer unless it fails. */
export interface LoadJob extends JobBase {
  readonly kind: 'load';
}

export type WorkerJob = InspectJob | RespondJob | LoadJob;

/** The answer to one job. */
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

/** Rule sets kept, most recently loaded last: every distinct WAF setting of a config (and the previous config's). */
const MAX_RULE_SETS = 8;
const ruleSets = new Map<string, RuleSet>();
/** Compiles under way, by key: a request for a set being compiled waits for it instead of compiling it again. */
const loading = new Map<string, Promise<RuleSet>>();
/** Requests waiting for a compile: while any does, the `load` jobs' compiles hold still between slices. */
let urgent = 0;
let urgentDone: Promise<void> = Promise.resolve();
let releaseUrgent = (): void => {};
/** `load` jobs compile one after another, behind requests. */
let warmChain: Promise<unknown> = Promise.resolve();

function ruleSetOf(job: JobBase, between?: () => Promise<void>): Promise<RuleSet> {
  const have = ruleSets.get(job.key);
  if (have !== undefined) return Promise.resolve(have);
  let p = loading.get(job.key);
  if (p === undefined) {
    p = compileInSlices(job.inputs, 10, between).then((rs) => {
      if (ruleSets.size >= MAX_RULE_SETS) ruleSets.delete(ruleSets.keys().next().value as string);
      ruleSets.set(job.key, rs);
      return rs;
    }).finally(() => loading.delete(job.key));
    loading.set(job.key, p);
  }
  return p;
}

/** Between two slices of a `load` compile: a turn for incoming jobs, then no progress while a request waits for a compile. */
async function afterRequests(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  while (urgent > 0) await urgentDone;
}

/**
 * A match as the event loop needs it: events show at most MAX_EXCERPT characters of the
 * matched data (matchExcerpt), so a 128 KiB matched value is not copied back whole.
 */
function trimmed(m: WafMatch): WafMatch {
  return m.data.length <= MAX_EXCERPT + 1 ? m : { ...m, data: m.data.slice(0, MAX_EXCERPT + 1) };
}

function answer(job: InspectJob | RespondJob, rules: RuleSet): InspectReply {
  if (job.kind === 'response') {
    const r = inspectResponse(rules, restoreTransaction(job.input, job.id, job.state), job.response);
    return { seq: job.seq, matches: r.matches.map(trimmed), interrupted: r.interrupted, ...(r.ruleId === undefined ? {} : { ruleId: r.ruleId }) };
  }
  const r = inspectRequest(rules, job.input, job.id, job.engineMode);
  // The transaction stays here: only plain data crosses the thread boundary.
  return {
    seq: job.seq, matches: r.matches.map(trimmed), interrupted: r.interrupted,
    ...(r.ruleId === undefined ? {} : { ruleId: r.ruleId }),
    ...(r.bodyError === undefined ? {} : { bodyError: r.bodyError }),
    ...(job.wantState && !r.interrupted && r.tx !== undefined ? { state: snapshotTransaction(r.tx) } : {}),
  };
}

function fail(seq: number, err: unknown): void {
  parentPort?.postMessage({ seq, error: err instanceof Error ? err.message : String(err) } satisfies InspectReply);
}

parentPort?.on('message', (job: WorkerJob) => {
  if (job.kind === 'load') {
    warmChain = warmChain.then(() => ruleSetOf(job, afterRequests)).catch((err: unknown) => fail(job.seq, err));
    return;
  }
  const have = ruleSets.get(job.key);
  if (have !== undefined) {
    try { parentPort?.postMessage(answer(job, have)); } catch (err) { fail(job.seq, err); }
    return;
  }
  const reply = (p: Promise<RuleSet>): Promise<void> => p.then((rs) => { parentPort?.postMessage(answer(job, rs)); }).catch((err: unknown) => fail(job.seq, err));
  // Being compiled by a `load` job: wait for it (holding that compile would wait forever).
  const under = loading.get(job.key);
  if (under !== undefined) { void reply(under); return; }
  // Not compiled yet (a set the pool was not told about, or one whose turn has not come): compile
  // it now, while the `load` jobs' compiles hold still.
  if (urgent++ === 0) urgentDone = new Promise((r) => { releaseUrgent = r; });
  void reply(ruleSetOf(job)).finally(() => {
    if (--urgent === 0) releaseUrgent();
  });
});
