/**
 * The compiled rule set: rules per phase in file order plus engine settings.
 */
import type { Rule, DisruptiveKind } from '../types.js';

/** Engine-wide settings from configuration directives. */
export interface EngineSettings {
  ruleEngine: 'On' | 'DetectionOnly' | 'Off';
  requestBodyAccess: boolean;
  requestBodyLimit: number;
  /** Over the limit: `Reject` (ModSecurity's default; 413 when the engine is On) or `ProcessPartial` (inspect the first bytes). */
  requestBodyLimitAction: 'Reject' | 'ProcessPartial';
  responseBodyAccess: boolean;
  responseBodyLimit: number;
  responseBodyMimeTypes: string[];
  collectionTimeout: number;
  componentSignatures: string[];
}

/** A load-time report about one rule's pattern. */
export interface RegexReport {
  readonly ruleId: number;
  readonly file: string;
  readonly line: number;
  readonly kind: 'disabled' | 'approximated';
  readonly reason: string;
}

/** A loaded, compiled rule set; immutable once `finish()` ran. */
export class RuleSet {
  /** Chain heads and markers in definition order. */
  readonly rules: Rule[] = [];
  readonly settings: EngineSettings = {
    ruleEngine: 'On', requestBodyAccess: false, requestBodyLimit: 13107200, requestBodyLimitAction: 'Reject', responseBodyAccess: false,
    responseBodyLimit: 524288, responseBodyMimeTypes: ['text/plain', 'text/html'], collectionTimeout: 3600, componentSignatures: [],
  };
  /** Default disruptive action per phase (SecDefaultAction), used by `block`. */
  readonly defaultDisruptive = new Map<number, DisruptiveKind>();
  /** Directives that were accepted but have no effect in this engine, with where they were. */
  readonly ignoredDirectives: string[] = [];
  /**
   * Rules whose pattern no linear-time engine can run (`disabled`: the rule never runs)
   * or runs in an approximated form (`approximated`), one entry per rule, in load order.
   */
  readonly regexReports: RegexReport[] = [];
  #byPhase: Rule[][] = [];

  /** Rules (and markers) for one phase, in order. */
  phase(p: number): readonly Rule[] {
    return this.#byPhase[p] ?? [];
  }

  byId(id: number): Rule | undefined {
    return this.rules.find((r) => r.id === id);
  }

  /**
   * This set without the rules `drop` picks in `phases` (a chain goes with its head; markers
   * stay). The settings are copied and the other phases' rule arrays shared, and with them
   * their compiled plans (rules/plan.ts keys a plan by its phase's array).
   *
   * @example
   * const view = rs.without([4], (r) => r.id === 950130); view.phase(4).length // one fewer
   */
  without(phases: readonly number[], drop: (rule: Rule) => boolean): RuleSet {
    const cut = (r: Rule): boolean => r.kind !== 'SecMarker' && phases.includes(r.phase) && drop(r);
    const v = new RuleSet();
    v.rules.push(...this.rules.filter((r) => !cut(r)));
    Object.assign(v.settings, this.settings);
    for (const [p, d] of this.defaultDisruptive) v.defaultDisruptive.set(p, d);
    v.#byPhase = this.#byPhase.map((rules, p) => (phases.includes(p) ? rules.filter((r) => !cut(r)) : rules));
    return v;
  }

  /** Indexes rules per phase; call after the last directive. */
  finish(): this {
    this.#byPhase = [];
    for (let p = 1; p <= 5; p++) this.#byPhase[p] = this.rules.filter((r) => r.kind === 'SecMarker' || r.phase === p);
    return this;
  }
}
