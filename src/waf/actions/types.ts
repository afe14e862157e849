/**
 * Action definitions: each shapes the rule at load (`init`) and may return a
 * bound action that runs when the rule matches.
 */
import type { BoundAction, Rule } from '../types.js';

/** Coraza/ModSecurity action classes. */
export type ActionKind = 'metadata' | 'disruptive' | 'flow' | 'nondisruptive' | 'data';

/** Where the action was written, for load errors. */
export interface ActionSite {
  readonly file: string;
  readonly line: number;
}

/** One action vocabulary entry. */
export interface ActionDef {
  readonly kind: ActionKind;
  init(rule: Rule, value: string | undefined, site: ActionSite): BoundAction | undefined;
}
