import type { StageFactory, StageMeta } from '../../pipeline/stage.js';
import { RateLimitSchema, type RateLimitConfig } from './schema.js';
import { createRateLimitStage } from './stage.js';

export const meta: StageMeta = {
  name: 'rate-limit',
  phases: ['pre-auth', 'limit', 'record'],
  order: 400,
  status: 'experimental',
  posture: 'Limits requests per client (principal, API key, certificate, IP) with quotas and progressive penalties; memory or Redis.',
};

/** The rate-limit stage factory (configured by `stages.rate-limit` of an API or operation). */
export const rateLimit: StageFactory<RateLimitConfig> = {
  meta,
  schema: RateLimitSchema,
  create: (config, deps) => createRateLimitStage(config, deps),
};
export { createRateLimitStage } from './stage.js';
export { RateLimitSchema, type RateLimitConfig } from './schema.js';
export type { RateLimitStore, CheckRequest, CheckResult } from './stores/store.js';
export { MemoryRateLimitStore } from './stores/memory.js';
export { RedisRateLimitStore } from './stores/redis.js';
