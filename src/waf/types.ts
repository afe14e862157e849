/**
 * Shared shapes of the WAF engine: compiled rules, operators, transformations.
 */
import type { Macro } from './macro.js';
import type { VariableSpec } from './rules/variables.js';
import type { Transaction } from './transaction.js';

/** A transformation is pure: same input, same output; `changed` drives multiMatch. */
export type Transformation = (input: string) => { value: string; changed: boolean };

/** A compiled operator instance (argument already parsed / compiled at load). */
export interface Operator {
  /**
   * `capture` receives regex groups 0..9 when the rule has the `capture` action. Without
   * `capture` an operator only reads the transaction: the engine probes TX-only rules by
   * calling it and discarding the answer (ADR 0025).
   */
  evaluate(input: string, tx: Transaction, capture: ((groups: readonly string[]) => void) | undefined): boolean;
  /**
   * Strings of which every input this operator matches contains one (lower-case, compared
   * ASCII case-insensitively); absent when no such set is known. The engine's candidate
   * automaton (ADR 0006) skips a rule whose targets contain none of them.
   */
  readonly literals?: ReadonlySet<string>;
  /**
   * `evaluate` depends on its input alone (no macro, no transaction state) and a `false`
   * answer has no effect (no capture): its misses may be remembered across transactions
   * (operators/miss-cache.ts, ADR 0025).
   */
  readonly pure?: boolean;
  /**
   * Like `pure` (the answer depends on the input alone, a `false` has no effect), for operators
   * too cheap to remember per input: the engine remembers a rule's misses per raw value, before
   * its transformations, when its operator is `pure` or `inputOnly` (ADR 0036), and skips a
   * rule whose every input is such a miss (the miss ledger, ADR 0038). Constant patterns,
   * phrases, strings and numbers qualify; an argument with a macro does not.
   */
  readonly inputOnly?: boolean;
}

/** What an operator factory may use at load time. */
export interface OperatorInit {
  readonly argument: string;
  readonly baseDir: string;
  readonly file: string;
  readonly line: number;
}

/** An action bound to one rule, run when the rule (chain) matches. */
export interface BoundAction {
  readonly name: string;
  /**
   * `run` reads nothing but TX and writes nothing but TX and the transaction's ctl state
   * (engine mode, rule and target removals): a `setvar` on TX or such a `ctl` whose macros
   * read only TX. The rule-set fold may run it once per rule set instead of once per request
   * (ADR 0030).
   */
  readonly requestIndependent?: boolean;
  /**
   * The collection the action writes to, upper case (setvar: any name the rule gives, even
   * `response_body`): what a rule can read is not only what the request and response fill.
   */
  readonly writes?: string;
  run(tx: Transaction, rule: Rule): void;
}

/** Disruptive outcome a rule asks for. `block` defers to SecDefaultAction. */
export type DisruptiveKind = 'deny' | 'drop' | 'block' | 'pass' | 'allow' | 'redirect';

/** A rule after loading: everything compiled, nothing parsed per request. */
export interface Rule {
  id: number;
  phase: number;
  readonly file: string;
  readonly line: number;
  targets: VariableSpec[];
  exclusions: VariableSpec[];
  operator: Operator;
  operatorName: string;
  operatorArgument: string;
  negated: boolean;
  transforms: Array<{ readonly name: string; readonly fn: Transformation }>;
  actions: BoundAction[];
  disruptive: DisruptiveKind | undefined;
  status: number | undefined;
  msg: Macro | undefined;
  logdata: Macro | undefined;
  tags: string[];
  severity: string | undefined;
  ver: string | undefined;
  rev: string | undefined;
  maturity: string | undefined;
  accuracy: string | undefined;
  capture: boolean;
  multiMatch: boolean;
  log: boolean | undefined;
  auditlog: boolean | undefined;
  hasChainAction: boolean;
  chain: Rule | undefined;
  skip: number;
  skipAfter: string | undefined;
  /** Why this rule never runs (its pattern has no linear-time form); reported at load. */
  unsupported: string | undefined;
  /** SecMarker rules have no operator and only mark a position. */
  marker: string | undefined;
  /** 'SecRule' | 'SecAction' | 'SecMarker' */
  readonly kind: 'SecRule' | 'SecAction' | 'SecMarker';
}
