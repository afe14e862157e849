import type { ConfigPath } from '../../config/path.js';
import type { OperationInfo } from '../../openapi/types.js';
import type { RuleMeta, Severity } from '../common/finding.js';
import type { LintDocument, Tokens } from './document.js';
import type { GatewayView } from './gateway-config.js';
import type { SchemaVisit } from './schemas.js';

/** What a lint rule sees. */
export interface LintContext {
  readonly doc: LintDocument;
  readonly operations: readonly OperationInfo[];
  /** Every request and response schema, each object once per side. */
  readonly schemas: readonly SchemaVisit[];
  /** The gateway config that fronts the document, when `-c` was given. */
  readonly gateway?: GatewayView;
}

/** One thing a rule found; the runner adds the rule's metadata and the file location. */
export interface RuleHit {
  readonly message: string;
  /** Where in the OpenAPI document (dereferenced paths). */
  readonly at?: Tokens;
  /** Where in the gateway config (wins over `at`). */
  readonly config?: ConfigPath;
  /** A severity other than the rule's default (e.g. lower on a loopback server). */
  readonly severity?: Severity;
  readonly operation?: OperationInfo;
}

/** A lint rule: metadata plus a pure check over the context. */
export interface LintRule extends RuleMeta {
  /** `document` rules need only the OpenAPI document; `config` rules run only with `-c`. */
  readonly needs: 'document' | 'config';
  check(ctx: LintContext): Iterable<RuleHit>;
}

/** `GET /users/{id}`: how findings name an operation. */
export function operationLabel(op: OperationInfo): string {
  return `${op.method} ${op.pathTemplate}`;
}
