import type { StageFactory, StageMeta } from '../../pipeline/stage.js';
import { SensitiveDataSchema, type SensitiveDataConfig } from './schema.js';
import { createSensitiveDataStage } from './stage.js';

export const meta: StageMeta = {
  name: 'sensitive-data',
  phases: ['respond'],
  order: 850,
  status: 'experimental',
  posture: 'Keeps sensitive data (cards, IBANs, SSNs, tokens, keys, your own patterns) out of responses: masks or removes it per role, and withholds bulk leaks (API3).',
};

/** The sensitive-data stage factory (`stages.sensitive-data`). Needs the response body buffered (bounded by maxBodySize). */
export const sensitiveData: StageFactory<SensitiveDataConfig> = {
  meta,
  schema: SensitiveDataSchema,
  create: (config) => createSensitiveDataStage(config),
};
export { SensitiveDataSchema, type SensitiveDataConfig } from './schema.js';
export { createSensitiveDataStage } from './stage.js';
