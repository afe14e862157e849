import type { StageFactory, StageMeta } from '../../pipeline/stage.js';
import { ResponseRulesSchema, type ResponseRulesConfig } from './schema.js';
import { createResponseRulesStage, STAGE_ORDER } from './stage.js';

export const meta: StageMeta = {
  name: 'response-rules',
  phases: ['respond'],
  order: STAGE_ORDER,
  status: 'experimental',
  posture: 'Rewrites upstream responses by declarative rules: uniform login failures (user enumeration), masked 5xx bodies, undeclared statuses mapped to declared ones.',
};

/**
 * The response-rules stage factory (configured as `stages.response-rules`).
 *
 * @example
 * registry.register(responseRules);
 */
export const responseRules: StageFactory<ResponseRulesConfig> = {
  meta,
  schema: ResponseRulesSchema,
  create: (config, deps) => createResponseRulesStage(config, deps),
};
export { createResponseRulesStage } from './stage.js';
export { ResponseRulesSchema, type ResponseRulesConfig } from './schema.js';
