import type { StageFactory, StageMeta } from '../../pipeline/stage.js';
import { RequestValidationSchema, type RequestValidationConfig } from './schema.js';
import { createRequestValidationStage } from './stage.js';

export const meta: StageMeta = {
  name: 'request-validation',
  phases: ['inspect'],
  order: 500,
  status: 'experimental',
  posture: 'Rejects requests that break the OpenAPI contract: parameters, content type, body schema, mass assignment, duplicate and prototype keys, XXE.',
};

/**
 * The OpenAPI request-validation stage factory (configured as `stages.request-validation`).
 *
 * @example
 * registry.register(requestValidation);
 */
export const requestValidation: StageFactory<RequestValidationConfig> = {
  meta,
  schema: RequestValidationSchema,
  create: (config, deps) => createRequestValidationStage(config, deps),
};
export { createRequestValidationStage } from './stage.js';
export { RequestValidationSchema, type RequestValidationConfig } from './schema.js';
export type { UploadedPart } from './bodies.js';
export { toJsonSchema, type ConvertOptions } from '../../openapi/json-schema.js';
