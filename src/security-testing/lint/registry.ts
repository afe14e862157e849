import { PortcullisError } from '../../errors/index.js';
import type { LintRule } from './rule.js';

/**
 * The lint rules by id. Filled from an explicit table (builtins.ts); an unknown id is an error
 * listing the known ones.
 *
 * @example
 * const registry = new LintRuleRegistry(BUILTIN_LINT_RULES);
 * registry.get('http-server').owasp; // 'API8:2023'
 */
export class LintRuleRegistry {
  readonly #rules = new Map<string, LintRule>();

  constructor(rules: readonly LintRule[] = []) {
    for (const r of rules) this.register(r);
  }

  register(rule: LintRule): void {
    if (this.#rules.has(rule.id)) throw new PortcullisError('PCL_ERR_LINT_RULE', `lint rule "${rule.id}" is registered twice`);
    this.#rules.set(rule.id, rule);
  }

  get(id: string): LintRule {
    const rule = this.#rules.get(id);
    if (rule === undefined) throw new PortcullisError('PCL_ERR_LINT_RULE', `unknown lint rule "${id}"; known rules: ${[...this.#rules.keys()].join(', ')}`);
    return rule;
  }

  list(): LintRule[] {
    return [...this.#rules.values()];
  }
}
