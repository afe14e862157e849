import type { StageFactory, StageMeta } from '../../pipeline/stage.js';
import { AnomalySchema, type AnomalyConfig } from './schema.js';
import { createAnomalyStage, STAGE_ORDER } from './stage.js';

export const meta: StageMeta = {
  name: 'anomaly',
  phases: ['limit', 'respond', 'record'],
  order: STAGE_ORDER,
  status: 'experimental',
  posture: 'Learns per-client and per-operation baselines and detects exfiltration, enumeration, credential sharing, probing and unusual methods or hours.',
};

/** The behavioural anomaly stage factory (configured by `stages.anomaly` of an API or operation). */
export const anomaly: StageFactory<AnomalyConfig> = {
  meta,
  schema: AnomalySchema,
  create: (config, deps) => createAnomalyStage(config, deps),
};
export { createAnomalyStage } from './stage.js';
export { AnomalySchema, type AnomalyConfig } from './schema.js';
