/**
 * What a transaction's request phases leave behind for its response phases, as plain data
 * that can cross a thread boundary: a request inspected on a worker (ADR 0006) continues on
 * the event loop with the same TX (anomaly scores, paranoia level, captures), matched data,
 * ctl changes and flags, without running phase 1 again (ADR 0017).
 */
import { Transaction, type TransactionInput } from './transaction.js';

/**
 * Collections the event loop rebuilds itself (request line, query and headers: the
 * Transaction constructor) or that come from the request body, whose arguments may number
 * in the thousands: sending and re-indexing those would put back on the event loop the work
 * the worker took off it. Response-phase rules (CRS RESPONSE-95x) read TX and RESPONSE_*.
 */
const NOT_CARRIED: ReadonlySet<string> = new Set([
  'ARGS', 'ARGS_GET', 'ARGS_POST', 'ARGS_NAMES', 'ARGS_GET_NAMES', 'ARGS_POST_NAMES',
  'REQUEST_HEADERS', 'REQUEST_HEADERS_NAMES', 'REQUEST_COOKIES', 'REQUEST_COOKIES_NAMES',
  'FILES', 'FILES_NAMES', 'FILES_SIZES', 'FILES_TMPNAMES', 'MULTIPART_PART_HEADERS', 'MULTIPART_FILENAME', 'MULTIPART_NAME', 'XML',
  'RESPONSE_HEADERS', 'RESPONSE_HEADERS_NAMES',
]);

/** A transaction after its request phases, as structured-clone-safe data. */
export interface TransactionState {
  /** Every scalar (MATCHED_VAR, REQBODY_ERROR, REQUEST_BODY_LENGTH...), in insertion order. */
  readonly scalars: ReadonlyArray<readonly [string, string]>;
  /** TX, RULE, MATCHED_VARS, IP, GLOBAL... as [name, [key, value][]]: every collection but NOT_CARRIED's. */
  readonly collections: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, string]>]>;
  readonly removedRuleIds: ReadonlyArray<readonly [number, number]>;
  readonly removedTags: readonly string[];
  readonly removedTargets: ReadonlyArray<readonly [number, ReadonlyArray<{ readonly collection: string; readonly key: string | undefined }>]>;
  readonly removedTargetsByTag: ReadonlyArray<{ readonly tag: string; readonly collection: string; readonly key: string | undefined }>;
  readonly engineMode: 'On' | 'DetectionOnly' | 'Off' | undefined;
  readonly bodyProcessor: string | undefined;
  readonly initialised: boolean;
  readonly forceRequestBodyVariable: boolean;
  readonly allowed: boolean;
  readonly requestBodyAccess: boolean;
  readonly requestBodyLimit: number;
}

/**
 * The state of `tx` after its request phases.
 *
 * @example
 * parentPort.postMessage({ state: snapshotTransaction(tx) });
 */
export function snapshotTransaction(tx: Transaction): TransactionState {
  const collections: Array<readonly [string, Array<readonly [string, string]>]> = [];
  for (const name of tx.collectionNames()) {
    if (NOT_CARRIED.has(name)) continue;
    const entries = tx.collection(name).all();
    if (entries.length === 0) continue;
    collections.push([name, entries.map((e) => [e.key, e.value] as const)]);
  }
  return {
    scalars: [...tx.scalars],
    collections,
    removedRuleIds: tx.removedRuleIds.map(([a, b]) => [a, b] as const),
    removedTags: [...tx.removedTags],
    removedTargets: [...tx.removedTargets].map(([id, list]) => [id, list.map((t) => ({ ...t }))] as const),
    removedTargetsByTag: tx.removedTargetsByTag.map((t) => ({ ...t })),
    engineMode: tx.engineMode,
    bodyProcessor: tx.bodyProcessor,
    initialised: tx.initialised,
    forceRequestBodyVariable: tx.forceRequestBodyVariable,
    allowed: tx.allowed,
    requestBodyAccess: tx.requestBodyAccess,
    requestBodyLimit: tx.requestBodyLimit,
  };
}

/**
 * A transaction on this thread that continues where `state` left off: the request line and
 * headers are rebuilt from `input` (its body is not parsed again: the request phases are
 * over), the carried collections, scalars, ctl changes and flags are put back.
 *
 * @example
 * const tx = restoreTransaction(input, ctx.id, reply.state);
 * tx.setResponse(res); evaluate(rules, tx, 3);
 */
export function restoreTransaction(input: TransactionInput, id: string, state: TransactionState): Transaction {
  const { body: _body, ...head } = input;
  const tx = new Transaction(head, id);
  tx.bodyProcessor = state.bodyProcessor;
  // The request body was processed (or refused) where the request phases ran.
  tx.bodyProcessed = true;
  for (const [k, v] of state.scalars) tx.scalars.set(k, v);
  for (const [name, entries] of state.collections) {
    const c = tx.collection(name);
    c.clear();
    for (const [k, v] of entries) c.add(k, v);
  }
  tx.removedRuleIds.push(...state.removedRuleIds.map(([a, b]) => [a, b] as [number, number]));
  tx.removedTags.push(...state.removedTags);
  for (const [ruleId, list] of state.removedTargets) tx.removedTargets.set(ruleId, list.map((t) => ({ ...t })));
  tx.removedTargetsByTag.push(...state.removedTargetsByTag.map((t) => ({ ...t })));
  tx.engineMode = state.engineMode;
  tx.initialised = state.initialised;
  tx.forceRequestBodyVariable = state.forceRequestBodyVariable;
  tx.allowed = state.allowed;
  tx.requestBodyAccess = state.requestBodyAccess;
  tx.requestBodyLimit = state.requestBodyLimit;
  return tx;
}
