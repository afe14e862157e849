import type { StageFactory, StageMeta } from '../../pipeline/stage.js';
import { CorsSchema, type CorsConfig } from './schema.js';
import { createCorsStage } from './stage.js';

export const meta: StageMeta = {
  name: 'cors',
  phases: ['pre-auth', 'respond'],
  order: 100,
  status: 'stable',
  posture: 'Answers preflights from an exact origin allow-list; never reflects an unlisted origin.',
};

/** The CORS stage factory (configured by an API's `cors` block). */
export const cors: StageFactory<CorsConfig> = {
  meta,
  schema: CorsSchema,
  create: (config) => createCorsStage(config),
};
export { createCorsStage, isPreflight } from './stage.js';
export { CorsSchema, type CorsConfig } from './schema.js';
