/**
 * The match bookkeeping of a transaction (MATCHED_VAR, MATCHED_VAR_NAME, MATCHED_VARS,
 * MATCHED_VARS_NAMES and RULE), written when something reads it instead of on every match
 * (ADR 0036). CRS's ~50 TX gates and score rules match on every request and nothing reads
 * what they matched; each match used to build a name string and make eight collection and
 * scalar writes. A match now stores its four parts here, and the writes happen, as they
 * would have been, when a target, a macro, the log or a caller reads one of these names.
 */
import type { Collection } from './collection.js';
import type { Macro, MacroScope } from './macro.js';
import type { Rule } from './types.js';

/** How a matched value is named: `ARGS:id`, `REQUEST_FILENAME`, `&ARGS`. */
export const TargetKind = { Entry: 0, Scalar: 1, Count: 2 } as const;
export type TargetKind = typeof TargetKind[keyof typeof TargetKind];

/** The names whose value depends on the bookkeeping: reading one settles it first. */
export function isMatchedName(name: string): boolean {
  const c = name.charCodeAt(0);
  if (c !== 77 /* M */ && c !== 82 /* R */) return false;
  return name === 'MATCHED_VAR' || name === 'MATCHED_VAR_NAME' || name === 'MATCHED_VARS' || name === 'MATCHED_VARS_NAMES' || name === 'RULE';
}

/**
 * @example matchName('ARGS', 'id', TargetKind.Entry) // 'ARGS:id'
 */
export function matchName(collection: string, key: string, kind: TargetKind): string {
  if (kind === TargetKind.Count) return `&${collection}`;
  if (kind === TargetKind.Scalar) return collection;
  return `${collection}:${key}`;
}

let eager = false;

/**
 * Test switch: `true` writes the bookkeeping at every match, before the rule's actions, as the
 * engine did before ADR 0036; the conformance test compares both ways on every CRS case.
 */
export function setEagerMatched(on: boolean): void {
  eager = on;
}

/** Whether the engine should settle after each match (setEagerMatched). */
export function eagerMatched(): boolean {
  return eager;
}

/** What settling writes to: the transaction's own scalars and collections, without settling again. */
export interface MatchedSink {
  readonly scalarMap: Map<string, string>;
  rawCollection(name: string): Collection;
}

/**
 * A msg whose macros read only the match it is set for (CRS 920450: `... (%{MATCHED_VAR})`)
 * can be expanded later from the stored match; any other macro reads state that may change
 * before the bookkeeping is settled, so that msg is expanded at the match.
 */
function readsOnlyMatch(m: Macro): boolean {
  for (const c of m.collections) if (c !== 'MATCHED_VAR' && c !== 'MATCHED_VAR_NAME') return false;
  return true;
}
const deferrable = new WeakMap<Macro, boolean>();

export class MatchedState {
  /** Whether anything below is not yet written. */
  pending = false;
  // The last match (MATCHED_VAR, MATCHED_VAR_NAME); it outlives the rule that made it.
  #lastSet = false;
  #lastCol = '';
  #lastKey = '';
  #lastKind: TargetKind = TargetKind.Entry;
  #lastValue = '';
  // Matches of the rule being evaluated not yet in MATCHED_VARS(_NAMES): parallel arrays reused per transaction.
  #n = 0;
  readonly #cols: string[] = [];
  readonly #keys: string[] = [];
  readonly #kinds: TargetKind[] = [];
  readonly #values: string[] = [];
  // RULE.id/msg/severity/logdata of the last matched head, not yet written.
  #rule: Rule | undefined;
  /** The expanded msg, or undefined to expand `#rule.msg` from the stored match (#msgValue...) when settled. */
  #msg: string | undefined;
  #msgCol = '';
  #msgKey = '';
  #msgKind: TargetKind = TargetKind.Entry;
  #msgValue = '';

  /** One matched value of the rule being evaluated. */
  match(collection: string, key: string, kind: TargetKind, value: string): void {
    this.#lastSet = true;
    this.#lastCol = collection;
    this.#lastKey = key;
    this.#lastKind = kind;
    this.#lastValue = value;
    const n = this.#n++;
    this.#cols[n] = collection;
    this.#keys[n] = key;
    this.#kinds[n] = kind;
    this.#values[n] = value;
    this.pending = true;
  }

  /** A new rule is evaluated: its MATCHED_VARS start empty (the written part is cleared by the caller). */
  newRule(): void {
    this.#n = 0;
  }

  /**
   * RULE.* for `rule`, whose head just matched (or a SecAction ran). `scope` expands a msg that
   * cannot wait; it settles the bookkeeping itself when the msg reads a matched name.
   */
  ruleVars(rule: Rule, scope: MacroScope): void {
    const msg = rule.msg;
    let expanded: string | undefined;
    if (msg !== undefined && !msg.isConstant) {
      let d = deferrable.get(msg);
      if (d === undefined) { d = readsOnlyMatch(msg); deferrable.set(msg, d); }
      if (d && this.#lastSet) {
        this.#msgCol = this.#lastCol;
        this.#msgKey = this.#lastKey;
        this.#msgKind = this.#lastKind;
        this.#msgValue = this.#lastValue;
      } else expanded = msg.expand(scope); // before #rule is replaced: this may settle the one pending
    }
    this.#rule = rule;
    this.#msg = expanded;
    this.pending = true;
  }

  /** Writes what is pending. */
  settle(sink: MatchedSink): void {
    if (!this.pending) return;
    this.pending = false;
    if (this.#lastSet) {
      sink.scalarMap.set('MATCHED_VAR', this.#lastValue);
      sink.scalarMap.set('MATCHED_VAR_NAME', matchName(this.#lastCol, this.#lastKey, this.#lastKind));
      this.#lastSet = false;
    }
    const n = this.#n;
    if (n > 0) {
      const mv = sink.rawCollection('MATCHED_VARS');
      const mvn = sink.rawCollection('MATCHED_VARS_NAMES');
      for (let i = 0; i < n; i++) {
        const name = matchName(this.#cols[i]!, this.#keys[i]!, this.#kinds[i]!);
        mv.add(name, this.#values[i]!);
        mvn.add(name, name);
      }
      this.#n = 0;
    }
    const rule = this.#rule;
    if (rule !== undefined) {
      this.#rule = undefined;
      let msg = this.#msg;
      if (msg === undefined) {
        if (rule.msg === undefined) msg = '';
        else if (rule.msg.isConstant) msg = rule.msg.source;
        else {
          // Only MATCHED_VAR(_NAME) are read (readsOnlyMatch): as they were at the rule's match.
          const value = this.#msgValue;
          const name = matchName(this.#msgCol, this.#msgKey, this.#msgKind);
          msg = rule.msg.expand({ resolveMacro: (c) => (c === 'MATCHED_VAR' ? value : name) });
        }
      }
      const r = sink.rawCollection('RULE');
      r.set('id', String(rule.id));
      r.set('msg', msg);
      r.set('severity', rule.severity ?? '');
      r.set('logdata', '');
    }
  }
}
