import type { StageFactory, StageMeta } from '../../pipeline/stage.js';
import { BotSchema, type BotConfig } from './schema.js';
import { createBotStage, STAGE_ORDER } from './stage.js';

export const meta: StageMeta = {
  name: 'bot',
  phases: ['pre-auth', 'limit', 'inspect', 'record'],
  order: STAGE_ORDER,
  status: 'experimental',
  posture: 'Scores automation signals (user agents, headless markers, cadence, id enumeration) and throttles credential stuffing on login operations.',
};

/** The bot and credential-stuffing stage factory (configured by `stages.bot` of an API or operation). */
export const bot: StageFactory<BotConfig> = {
  meta,
  schema: BotSchema,
  create: (config, deps) => createBotStage(config, deps),
};
export { createBotStage } from './stage.js';
export { BotSchema, type BotConfig } from './schema.js';
