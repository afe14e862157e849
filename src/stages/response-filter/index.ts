import type { StageFactory, StageMeta } from '../../pipeline/stage.js';
import { ResponseFilterSchema, type ResponseFilterConfig } from './schema.js';
import { createResponseFilterStage } from './stage.js';

export const meta: StageMeta = {
  name: 'response-filter',
  phases: ['respond'],
  order: 800,
  status: 'experimental',
  posture: 'Stops excessive data exposure: removes undeclared, writeOnly and role-hidden response properties, or blocks responses that break the contract.',
};

/**
 * The response validation and filtering stage factory (configured as `stages.response-filter`).
 * Needs the gateway to buffer response bodies (bounded by `maxBodySize`).
 *
 * @example
 * registry.register(responseFilter);
 */
export const responseFilter: StageFactory<ResponseFilterConfig> = {
  meta,
  schema: ResponseFilterSchema,
  create: (config, deps) => createResponseFilterStage(config, deps),
};
export { createResponseFilterStage } from './stage.js';
export { ResponseFilterSchema, type ResponseFilterConfig } from './schema.js';
