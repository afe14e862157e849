import type { StageFactory, StageMeta } from '../../pipeline/stage.js';
import { LifecycleSchema, type LifecycleConfig } from './schema.js';
import { createLifecycleStage } from './stage.js';

export const meta: StageMeta = {
  name: 'lifecycle',
  phases: ['pre-auth', 'record'],
  order: 50,
  status: 'stable',
  posture: 'Announces deprecation and sunset (RFC 9745, RFC 8594), retires sunset versions and operations with 410, and records who still calls them (API9).',
};

/** The lifecycle stage factory (`stages.lifecycle`); added by itself to operations marked `deprecated: true`. */
export const lifecycle: StageFactory<LifecycleConfig> = {
  meta,
  schema: LifecycleSchema,
  create: (config, deps) => createLifecycleStage(config, deps.operation),
};
export { LifecycleSchema, type LifecycleConfig } from './schema.js';
export { compileLifecycle, createLifecycleStage, lifecycleWarnings, parseInstant } from './stage.js';
