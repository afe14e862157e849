import { Type, type Static } from '@sinclair/typebox';

/**
 * Schema pieces every security stage shares (STYLE 9): an explicit mode and an explicit
 * failure policy. Stage schemas import these; this file imports nothing else.
 */
export const ModeSchema = Type.Union([Type.Literal('off'), Type.Literal('monitor'), Type.Literal('enforce')], {
  default: 'enforce',
  description: 'off: the stage does nothing. monitor: the decision is recorded (event + log) but nothing is blocked. enforce: the decision is applied.',
});

export const OnErrorSchema = Type.Union([Type.Literal('fail-closed'), Type.Literal('fail-open')], {
  default: 'fail-closed',
  description: 'What happens when the stage itself fails (e.g. a store is down): fail-closed rejects the request, fail-open lets it pass and records an event.',
});

export type StageMode = Static<typeof ModeSchema>;
export type StageOnError = Static<typeof OnErrorSchema>;
