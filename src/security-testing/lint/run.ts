import { loadConfig } from '../../config/load.js';
import { PortcullisError } from '../../errors/index.js';
import { sortFindings, type Finding } from '../common/finding.js';
import { BUILTIN_LINT_RULES } from './builtins.js';
import { loadLintDocument } from './document.js';
import { gatewayView } from './gateway-config.js';
import { LintRuleRegistry } from './registry.js';
import { operationLabel, type LintContext, type LintRule } from './rule.js';
import { walkSchemas } from './schemas.js';

/** What to lint and which rules to run. */
export interface LintOptions {
  /** The OpenAPI document. */
  readonly document: string;
  /** The gateway config that fronts it (enables the config rules and mitigations). */
  readonly config?: string;
  /** Run only these rule ids. */
  readonly only?: readonly string[];
  /** Skip these rule ids. */
  readonly disable?: readonly string[];
  readonly registry?: LintRuleRegistry;
}

/** The result of a lint run. */
export interface LintReport {
  readonly document: string;
  readonly config?: string;
  readonly openapi: '3.0' | '3.1';
  readonly operations: number;
  /** The rules that ran. */
  readonly rules: readonly LintRule[];
  readonly findings: readonly Finding[];
}

/**
 * Lints an OpenAPI document (and the gateway config in front of it): runs each rule, places each
 * finding at file:line, drops duplicates (a shared schema is reported once) and sorts worst first.
 * Load failures throw the loaders' errors (`PCL_ERR_OPENAPI_INVALID`, `ConfigError`).
 *
 * @example
 * const report = await lint({ document: 'openapi.yaml', config: 'portcullis.yaml' });
 * report.findings.filter((f) => f.severity === 'high').length;
 */
export async function lint(options: LintOptions): Promise<LintReport> {
  const registry = options.registry ?? new LintRuleRegistry(BUILTIN_LINT_RULES);
  const selected = select(registry, options);
  const doc = await loadLintDocument(options.document);
  let gateway: LintContext['gateway'];
  if (options.config !== undefined) {
    const view = gatewayView(await loadConfig(options.config), options.document);
    if (typeof view === 'string') throw new PortcullisError('PCL_ERR_CONFIG_INVALID', view);
    gateway = view;
  }
  const ctx: LintContext = {
    doc,
    operations: doc.api.operations,
    schemas: walkSchemas(doc.api.raw, doc.api.operations),
    ...(gateway !== undefined ? { gateway } : {}),
  };
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const rule of selected) {
    if (rule.needs === 'config' && gateway === undefined) continue;
    for (const hit of rule.check(ctx)) {
      const location = hit.config !== undefined ? gateway!.locate(hit.config) : hit.at !== undefined ? doc.locate(hit.at) : { file: options.document };
      // A schema shared by several operations is written once: one finding at its definition.
      const key = `${rule.id}\0${location.file}\0${location.path ?? ''}\0${hit.config !== undefined && hit.operation !== undefined ? operationLabel(hit.operation) : ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push({
        ruleId: rule.id,
        severity: hit.severity ?? rule.severity,
        owasp: rule.owasp,
        message: hit.message,
        fix: rule.fix,
        location,
        ...(hit.operation !== undefined ? { operation: operationLabel(hit.operation) } : {}),
      });
    }
  }
  return {
    document: options.document,
    ...(options.config !== undefined ? { config: options.config } : {}),
    openapi: doc.api.version,
    operations: doc.api.operations.length,
    rules: selected.filter((r) => r.needs === 'document' || gateway !== undefined),
    findings: sortFindings(findings),
  };
}

function select(registry: LintRuleRegistry, options: LintOptions): LintRule[] {
  const only = options.only?.map((id) => registry.get(id));
  const disabled = new Set(options.disable?.map((id) => registry.get(id).id) ?? []);
  return (only ?? registry.list()).filter((r) => !disabled.has(r.id));
}
