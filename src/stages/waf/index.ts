import type { StageFactory, StageMeta } from '../../pipeline/stage.js';
import { WafSchema, type WafConfig } from './schema.js';
import { createWafStage } from './stage.js';

export const meta: StageMeta = {
  name: 'waf',
  phases: ['inspect'],
  order: 550,
  status: 'experimental',
  posture: 'Runs the OWASP Core Rule Set (or any SecLang rules) over the request: SQL injection, XSS, command injection, LFI/RFI, protocol attacks; anomaly scoring with paranoia levels.',
};

/**
 * The WAF stage factory (configured as `stages.waf` of an API or operation).
 *
 * @example
 * registry.register(waf);
 */
export const waf: StageFactory<WafConfig> = {
  meta,
  schema: WafSchema,
  create: (config, deps) => createWafStage(config, deps),
};
export { createWafStage } from './stage.js';
export { WafSchema, type WafConfig } from './schema.js';
export { matchExcerpt } from './events.js';
