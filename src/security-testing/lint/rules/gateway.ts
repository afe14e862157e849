import type { ConfigPath } from '../../../config/path.js';
import type { LintRule, RuleHit } from '../rule.js';
import { isRecord } from '../schemas.js';

/** API8: CORS that allows any origin and credentials at once. */
export const corsWildcardCredentials: LintRule = {
  id: 'cors-wildcard-credentials',
  title: 'CORS allows any origin with credentials',
  severity: 'high',
  owasp: 'API8:2023',
  fix: 'List the exact origins that may call the API with credentials (cors.allowOrigins); keep "*" for public, credential-free APIs only.',
  needs: 'config',
  *check(ctx): Iterable<RuleHit> {
    const g = ctx.gateway!;
    const cors = g.api.cors;
    if (cors === undefined || cors.mode === 'off') return;
    const wildcard = cors.allowOrigins.findIndex((o) => o === '*' || o === 'null');
    if (wildcard >= 0 && cors.allowCredentials) {
      yield {
        config: [...g.apiPath, 'cors', 'allowOrigins', wildcard],
        message: `API "${g.api.name}" allows origin ${JSON.stringify(cors.allowOrigins[wildcard])} with allowCredentials: true (the gateway drops credentials for "*" at run time, but the intent is unsafe and a listed "null" origin is not dropped).`,
      };
    }
    const plain = cors.allowOrigins.findIndex((o) => /^http:\/\//i.test(o) && !/^http:\/\/(localhost|127\.)/i.test(o));
    if (plain >= 0 && cors.allowCredentials) {
      yield { config: [...g.apiPath, 'cors', 'allowOrigins', plain], severity: 'medium', message: `API "${g.api.name}" allows credentials from plain-HTTP origin ${cors.allowOrigins[plain]}.` };
    }
  },
};

/** API8: a security stage in monitor mode (records, blocks nothing) or switched off. */
export const stageNotEnforcing: LintRule = {
  id: 'stage-not-enforcing',
  title: 'Security stage in monitor mode or off',
  severity: 'medium',
  owasp: 'API8:2023',
  fix: 'Switch the stage to mode: enforce once its monitor-mode events show no false positives; monitor mode blocks nothing.',
  needs: 'config',
  *check(ctx): Iterable<RuleHit> {
    const g = ctx.gateway!;
    const blocks: { at: ConfigPath; name: string; mode: unknown }[] = [];
    for (const [name, cfg] of Object.entries(g.api.stages ?? {})) blocks.push({ at: [...g.apiPath, 'stages', name, 'mode'], name, mode: cfg.mode });
    for (const [key, o] of Object.entries(g.api.operations ?? {})) {
      for (const [name, cfg] of Object.entries(o.stages ?? {})) blocks.push({ at: [...g.apiPath, 'operations', key, 'stages', name, 'mode'], name: `${name} (operations["${key}"])`, mode: cfg.mode });
    }
    if (g.api.cors !== undefined) blocks.push({ at: [...g.apiPath, 'cors', 'mode'], name: 'cors', mode: g.api.cors.mode });
    if (isRecord(g.loaded.config.securityHeaders)) blocks.push({ at: ['securityHeaders', 'mode'], name: 'securityHeaders', mode: g.loaded.config.securityHeaders.mode });
    for (const b of blocks) {
      if (b.mode === 'monitor') yield { config: b.at, message: `Stage ${b.name} is in monitor mode: it records but blocks nothing.` };
      else if (b.mode === 'off') yield { config: b.at, severity: 'low', message: `Stage ${b.name} is configured but off.` };
    }
  },
};
