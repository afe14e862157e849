import type { Config } from '../../config/schema.js';
import type { OwaspCategory } from '../common/finding.js';

/** One security control the gateway can provide, and the frameworks it serves as evidence for. */
export interface Control {
  readonly id: string;
  readonly title: string;
  /** Where in the config it is switched on, for the operator. */
  readonly configuredBy: string;
  /** True when the config enables it (for an API: any API). */
  enabled(config: Config): boolean;
  /** Security event kinds that show it working (`*` suffix: prefix match). */
  readonly events: readonly string[];
  readonly owasp: readonly OwaspCategory[];
  /** PCI DSS 4.0 requirements (4, 6.4, 8, 10). */
  readonly pci: readonly string[];
  /** HIPAA Security Rule technical safeguards (45 CFR 164.312). */
  readonly hipaa: readonly string[];
  /** GDPR article 32 paragraphs. */
  readonly gdpr: readonly string[];
}

type Stages = Record<string, { mode?: string } | undefined>;

function stageOn(config: Config, name: string): boolean {
  return config.apis.some((api) => {
    const stages: Stages[] = [api.stages as Stages ?? {}, ...Object.values(api.operations ?? {}).map((o) => o.stages as Stages ?? {})];
    return stages.some((s) => s[name] !== undefined && s[name]!.mode !== 'off');
  });
}

/**
 * The controls `portcullis report` evaluates, as data. The mappings are the requirement each
 * control helps meet; they are evidence for an assessor, not a certification.
 */
export const CONTROLS: readonly Control[] = Object.freeze([
  {
    id: 'tls', title: 'TLS 1.2+ on the public listener', configuredBy: 'server.tls',
    enabled: (c) => c.server.tls !== undefined, events: [],
    owasp: ['API8:2023'], pci: ['4.2.1'], hipaa: ['164.312(e)(1) transmission security', '164.312(e)(2)(ii) encryption'], gdpr: ['32(1)(a) encryption'],
  },
  {
    id: 'authentication', title: 'Authentication of every caller (JWT, OAuth introspection, API keys, mTLS, signatures)', configuredBy: 'apis[].stages.authn',
    enabled: (c) => stageOn(c, 'authn'), events: ['authn.failure', 'authn.success', 'credential-stuffing.detected'],
    owasp: ['API2:2023'], pci: ['8.2.1', '8.3.1', '8.3.2'], hipaa: ['164.312(d) person or entity authentication'], gdpr: ['32(1)(b) confidentiality'],
  },
  {
    id: 'client-certificates', title: 'Client certificates (mTLS) on the listener', configuredBy: 'server.tls.clientCa',
    enabled: (c) => c.server.tls?.clientCa !== undefined, events: [],
    owasp: ['API2:2023'], pci: ['8.3.1', '4.2.1'], hipaa: ['164.312(d) person or entity authentication'], gdpr: ['32(1)(b) confidentiality'],
  },
  {
    id: 'authorization', title: 'Object- and function-level authorization (RBAC, CEL rules, response ownership)', configuredBy: 'apis[].stages.authz',
    enabled: (c) => stageOn(c, 'authz'), events: ['authz.denied'],
    owasp: ['API1:2023', 'API5:2023'], pci: ['8.2.2'], hipaa: ['164.312(a)(1) access control'], gdpr: ['32(1)(b) confidentiality'],
  },
  {
    id: 'request-validation', title: 'Requests validated against the OpenAPI contract (mass assignment, bounds)', configuredBy: 'apis[].stages.request-validation',
    enabled: (c) => stageOn(c, 'request-validation'), events: ['validation.failed'],
    owasp: ['API3:2023', 'API4:2023', 'API8:2023'], pci: ['6.4.1', '6.4.2'], hipaa: ['164.312(c)(1) integrity'], gdpr: ['32(1)(b) integrity'],
  },
  {
    id: 'waf', title: 'Web application firewall (injection and attack patterns)', configuredBy: 'apis[].stages.waf',
    enabled: (c) => stageOn(c, 'waf'), events: ['waf.block', 'waf.match'],
    owasp: ['API8:2023', 'API10:2023'], pci: ['6.4.1', '6.4.2'], hipaa: ['164.312(c)(1) integrity'], gdpr: ['32(1)(b) integrity'],
  },
  {
    id: 'rate-limit', title: 'Rate limits, quotas and penalties', configuredBy: 'apis[].stages.rate-limit',
    enabled: (c) => stageOn(c, 'rate-limit'), events: ['ratelimit.exceeded', 'ratelimit.penalty'],
    owasp: ['API4:2023', 'API6:2023'], pci: ['8.3.4', '6.4.2'], hipaa: ['164.312(a)(1) access control'], gdpr: ['32(1)(b) availability and resilience'],
  },
  {
    id: 'bot-defence', title: 'Bot and automation defence', configuredBy: 'apis[].stages.bot',
    enabled: (c) => stageOn(c, 'bot'), events: ['bot.*'],
    owasp: ['API6:2023'], pci: ['6.4.2'], hipaa: [], gdpr: ['32(1)(b) availability and resilience'],
  },
  {
    id: 'response-filter', title: 'Responses filtered to the contract (excessive data exposure)', configuredBy: 'apis[].stages.response-filter',
    enabled: (c) => stageOn(c, 'response-filter'), events: ['response.*'],
    owasp: ['API3:2023'], pci: [], hipaa: ['164.312(a)(1) access control'], gdpr: ['32(1)(b) confidentiality', '32(1)(a) pseudonymisation'],
  },
  {
    id: 'security-headers', title: 'Security headers on every response', configuredBy: 'securityHeaders',
    enabled: (c) => c.securityHeaders.mode === 'enforce', events: [],
    owasp: ['API8:2023'], pci: ['6.4.1'], hipaa: [], gdpr: ['32(1)(b) confidentiality'],
  },
  {
    id: 'audit-trail', title: 'Tamper-evident audit trail (hash-chained, signed)', configuredBy: 'audit.enabled',
    enabled: (c) => c.audit.enabled, events: ['admin.*', 'config.reload', 'key.change', 'revocation.change'],
    owasp: ['API9:2023'], pci: ['10.2.1', '10.2.2', '10.3.2', '10.3.4'], hipaa: ['164.312(b) audit controls', '164.312(c)(1) integrity'], gdpr: ['32(1)(d) testing, assessing and evaluating'],
  },
  {
    id: 'security-event-export', title: 'Security events exported (SIEM, syslog, files, webhooks)', configuredBy: 'sinks',
    enabled: (c) => Object.values(c.sinks as Record<string, unknown>).some((v) => Array.isArray(v) && v.length > 0), events: ['*'],
    owasp: ['API9:2023'], pci: ['10.2.1', '10.4.1', '10.7.1'], hipaa: ['164.312(b) audit controls'], gdpr: ['32(1)(d) testing, assessing and evaluating'],
  },
  {
    id: 'admin-protected', title: 'Admin API on loopback and behind a token or client certificate', configuredBy: 'admin.token / admin.tls.clientCa / admin.host',
    // Without a token or client CA the admin API is off (metrics and health only); with one, it must stay on loopback.
    enabled: (c) => !c.admin.enabled || (c.admin.token === undefined && c.admin.tls?.clientCa === undefined) || /^(127\.|::1$|localhost$)/.test(c.admin.host), events: ['admin.login', 'admin.action'],
    owasp: ['API5:2023', 'API8:2023'], pci: ['8.2.2', '8.3.1'], hipaa: ['164.312(a)(1) access control'], gdpr: ['32(1)(b) confidentiality'],
  },
]);

/** True when an event kind counts for a control's pattern list. */
export function kindMatches(kind: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => p === '*' || p === kind || (p.endsWith('*') && kind.startsWith(p.slice(0, -1))));
}
