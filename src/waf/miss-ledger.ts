/**
 * The miss ledger (ADR 0038): per raw request value, across transactions, the rules of a phase
 * whose head is known not to match it, one bit per rule. A rule whose every input value is a
 * known miss is skipped without resolving its targets, transforming or testing anything.
 */
import type { Transaction } from './transaction.js';
import type { Rule } from './types.js';
import { ValueCache } from './rules/value-cache.js';
import { droppedByCtl, selects } from './resolve.js';
import type { Selector } from './rules/variables.js';

/**
 * Variables whose values cannot change while one phase runs (request data, filled before
 * phase 1 or when the body is processed before phase 2): TX, MATCHED_*, RULE and the persistent
 * collections change as rules run, DURATION and TIME_* by the clock, REQBODY_PROCESSOR by ctl.
 */
export const STABLE_VARIABLES: ReadonlySet<string> = new Set([
  'ARGS', 'ARGS_GET', 'ARGS_POST', 'ARGS_NAMES', 'ARGS_GET_NAMES', 'ARGS_POST_NAMES',
  'REQUEST_HEADERS', 'REQUEST_HEADERS_NAMES', 'REQUEST_COOKIES', 'REQUEST_COOKIES_NAMES',
  'REQUEST_URI', 'REQUEST_URI_RAW', 'REQUEST_FILENAME', 'REQUEST_BASENAME', 'REQUEST_LINE',
  'REQUEST_METHOD', 'REQUEST_PROTOCOL', 'QUERY_STRING', 'REQUEST_BODY',
  'FILES', 'FILES_NAMES', 'MULTIPART_PART_HEADERS', 'MULTIPART_FILENAME', 'MULTIPART_NAME', 'XML',
]);

/**
 * Characters of values per generation (each entry charged its length plus 32), and the longest
 * value remembered; longer values are evaluated on every request.
 */
export const LEDGER_BUDGET = 128 * 1024;
export const LEDGER_MAX_VALUE = 4096;

/**
 * Whether a rule's misses are a function of the raw value alone, whatever variable it comes
 * from: a head (chain children run only after their head matched) testing stable request data
 * as values (no `&` count), with an operator that reads only its input and has no effect when
 * the rule does not match (`pure` / `inputOnly`: an operator captures when it matches, which for
 * a negated rule is its miss, so a negated rule must not capture), and pure transformations
 * (all are).
 */
export function remembersMisses(rule: Rule): boolean {
  if (!readsStableValues(rule) || (rule.negated && rule.capture)) return false;
  const op = rule.operator;
  return op.pure === true || op.inputOnly === true;
}

/**
 * A `SecRule` that runs (its pattern compiled) and reads only stable request data as values (no
 * `&` count): what can be decided from the values before it runs (here and by the candidate
 * automaton, rules/plan.ts).
 */
export function readsStableValues(rule: Rule): boolean {
  if (rule.kind !== 'SecRule' || rule.unsupported !== undefined) return false;
  return rule.targets.length > 0 && rule.targets.every((t) => !t.count && STABLE_VARIABLES.has(t.collection));
}

/** A phase's ledger layout, compiled with its plan. */
export interface Ledger {
  /** Per rule position: its bit, or -1 when its misses are not remembered. */
  readonly bitOf: Int32Array;
  /** Per rule position: per target, its index into `sources` (empty without a bit). */
  readonly sourcesOf: ReadonlyArray<Int32Array>;
  /**
   * Variables read by rules with a bit: a collection with the key a target names
   * (`REQUEST_HEADERS:user-agent`), or all of it (no key) for a target that reads all of it or
   * selects keys by a regex, less the entries the rule's own exclusions drop.
   */
  readonly sources: ReadonlyArray<LedgerSource>;
  /** 32-bit words per value. */
  readonly words: number;
  /** Raw value → known misses (bit set: that rule's head does not match the value). */
  readonly misses: ValueCache<Int32Array>;
}

/** A variable a rule with a bit reads: a collection or scalar, and the one key named, if any. */
export interface LedgerSource {
  readonly name: string;
  readonly key: string | undefined;
  /**
   * The rule's exclusions of this collection (CRS v4's XSS rules read every header but
   * `!REQUEST_HEADERS:Cookie`): an entry they drop is never read, so never recorded as a miss.
   */
  readonly drops: readonly Selector[];
}

const selectorId = (s: Selector): string => s.kind === 'key' ? `k:${s.key}` : s.kind === 'regex' ? `r:${s.source}` : '*';

const NO_SOURCES = new Int32Array(0);
const NO_WORDS = new Int32Array(0);
const NO_FLAGS = new Uint8Array(0);
const NO_VALUES: Array<readonly string[] | undefined> = [];

/** @example const l = ledgerOf(rules); l.bitOf[i] // -1 or the rule's bit */
export function ledgerOf(rules: readonly Rule[]): Ledger {
  const bitOf = new Int32Array(rules.length).fill(-1);
  const sources: LedgerSource[] = [];
  const index = new Map<string, number>();
  const sourcesOf: Int32Array[] = [];
  let bits = 0;
  rules.forEach((rule, i) => {
    if (!remembersMisses(rule)) { sourcesOf.push(NO_SOURCES); return; }
    bitOf[i] = bits++;
    const mine: number[] = [];
    for (const t of rule.targets) {
      const key = t.selector.kind === 'key' ? t.selector.key : undefined;
      const drops = rule.exclusions.filter((e) => e.collection === t.collection).map((e) => e.selector);
      const id = `${t.collection}:${key ?? '*'}|${drops.map(selectorId).join('|')}`;
      let s = index.get(id);
      if (s === undefined) { s = sources.length; sources.push({ name: t.collection, key, drops }); index.set(id, s); }
      mine.push(s);
    }
    sourcesOf.push(Int32Array.from(mine));
  });
  return { bitOf, sourcesOf, sources, words: Math.max(1, Math.ceil(bits / 32)), misses: new ValueCache(LEDGER_BUDGET, LEDGER_MAX_VALUE) };
}

/**
 * One phase's view of the ledger: per source, the rules that some value of it may still match
 * (computed on first need: the values cannot change while the phase runs), and each value's
 * bits looked up once.
 */
export class LedgerScan {
  readonly #tx: Transaction;
  readonly #ledger: Ledger;
  readonly #rules: readonly Rule[];
  /** Per source, `words` words: bit set when some value of the source is not a known miss. */
  readonly #open: Int32Array;
  readonly #done: Uint8Array;
  readonly #bits = new Map<string, Int32Array | null>();
  readonly #values: Array<readonly string[] | undefined>;

  constructor(tx: Transaction, ledger: Ledger, rules: readonly Rule[]) {
    this.#tx = tx;
    this.#ledger = ledger;
    this.#rules = rules;
    // A phase without eligible rules (CRS's response phases) reads none of these: shared empties.
    const n = ledger.sources.length;
    this.#open = n === 0 ? NO_WORDS : new Int32Array(n * ledger.words);
    this.#done = n === 0 ? NO_FLAGS : new Uint8Array(n);
    this.#values = n === 0 ? NO_VALUES : new Array<readonly string[] | undefined>(n);
  }

  /** The known misses of `value`, or null when none is known. */
  bitsOf(value: string): Int32Array | null {
    let b = this.#bits.get(value);
    if (b === undefined) {
      b = this.#ledger.misses.get(value) ?? null;
      this.#bits.set(value, b);
    }
    return b;
  }

  /**
   * Whether the head of the rule at `pos` (bit `bit`) is a known miss on every value it could
   * read. A target a ctl removal drops for this request reads nothing: CRS 941's setup drops
   * REQUEST_FILENAME from its XSS rules on every request, so the path would never be recorded.
   */
  allKnownMisses(pos: number, bit: number): boolean {
    const srcs = this.#ledger.sourcesOf[pos]!;
    const word = bit >>> 5;
    const mask = 1 << (bit & 31);
    const words = this.#ledger.words;
    const tx = this.#tx;
    const removals = tx.removedTargets.size > 0 || tx.removedTargetsByTag.length > 0;
    for (let i = 0; i < srcs.length; i++) {
      const s = srcs[i]!;
      if (this.#done[s] === 0) this.#fill(s);
      if ((this.#open[s * words + word]! & mask) === 0) continue;
      if (removals) { const rule = this.#rules[pos]!; if (droppedByCtl(tx, rule.targets[i]!, rule)) continue; }
      return false;
    }
    return true;
  }

  /** Records that the rule with `bit` does not match `value`. */
  miss(value: string, bit: number): void {
    let b = this.bitsOf(value);
    if (b === null) {
      const misses = this.#ledger.misses;
      if (!misses.accepts(value)) return;
      b = new Int32Array(this.#ledger.words);
      misses.set(value, b);
      this.#bits.set(value, b);
    }
    b[bit >>> 5]! |= 1 << (bit & 31);
  }

  /** Whether `value` is a known miss of the rule with `bit`. */
  known(value: string, bit: number): boolean {
    const b = this.bitsOf(value);
    return b !== null && (b[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  /**
   * Records that the head of the rule at `pos` (bit `bit`) misses every value it could read:
   * the candidate automaton proved none of them holds one of its literals, so the rule was
   * skipped without an evaluation that would have recorded them one by one.
   */
  missAll(pos: number, bit: number): void {
    const srcs = this.#ledger.sourcesOf[pos]!;
    for (let i = 0; i < srcs.length; i++) {
      const vals = this.#valuesOf(srcs[i]!);
      for (let j = 0; j < vals.length; j++) this.miss(vals[j]!, bit);
    }
  }

  #fill(s: number): void {
    this.#done[s] = 1;
    const words = this.#ledger.words;
    const at = s * words;
    const vals = this.#valuesOf(s);
    for (let j = 0; j < vals.length; j++) if (!this.#or(at, words, vals[j]!)) return;
  }

  // Same lookup as resolveTarget: a scalar of that name first, else the key's entries or every
  // entry of the collection (a superset of what a regex selector or ctl removal leaves), less
  // the entries the rule's own exclusions drop. A value a rule never reads (a cookie a ctl
  // removal drops) is never recorded as its miss, so such a rule is evaluated as before.
  #valuesOf(s: number): readonly string[] {
    let vals = this.#values[s];
    if (vals !== undefined) return vals;
    const { name, key, drops } = this.#ledger.sources[s]!;
    const tx = this.#tx;
    const scalar = tx.scalarMap.get(name);
    if (scalar !== undefined) {
      // A single value has no key: only `!NAME` drops it (as resolveTarget).
      vals = drops.some((d) => d.kind === 'all') ? [] : [scalar];
    } else {
      const col = tx.rawCollection(name);
      const es = key === undefined ? col.all() : col.getLower(key);
      const kept: string[] = [];
      for (let j = 0; j < es.length; j++) {
        const e = es[j]!;
        if (drops.length === 0 || !drops.some((d) => selects(d, e.key, e.lkey))) kept.push(e.value);
      }
      vals = kept;
    }
    this.#values[s] = vals;
    return vals;
  }

  /** ORs the value's unknown bits into the source's; false once every bit is open. */
  #or(at: number, words: number, value: string): boolean {
    const open = this.#open;
    const b = this.bitsOf(value);
    if (b === null) { open.fill(-1, at, at + words); return false; }
    for (let w = 0; w < words; w++) open[at + w]! |= ~b[w]!;
    return true;
  }
}
