import type { StageFactory, StageMeta } from '../../pipeline/stage.js';
import { AuthzSchema, type AuthzConfig } from './schema.js';
import { createAuthzStage } from './stage.js';

export const meta: StageMeta = {
  name: 'authz',
  phases: ['authorize', 'respond'],
  order: 600,
  status: 'experimental',
  posture: 'Stops broken object- and function-level authorization: RBAC grants, CEL rules over principal and request, admin operations denied by default, ownership checks on responses; uniform 403.',
};

/**
 * The authorization stage factory (configured as `stages.authz`).
 *
 * @example
 * registry.register(authz);
 */
export const authz: StageFactory<AuthzConfig> = {
  meta,
  schema: AuthzSchema,
  create: (config, deps) => createAuthzStage(config, deps),
};
export { createAuthzStage, type DenyReason } from './stage.js';
export { compileCondition, type CompiledCondition } from '../../policy/cel.js';
export { AuthzSchema, type AuthzConfig, type AuthzRule, type AuthzResponseRule } from './schema.js';
