import diagnostics_channel from 'node:diagnostics_channel';
import type pino from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { CHANNELS, type SecurityEventMessage } from '../channels.js';
import { registerDeliveryMetrics } from '../sinks/metrics.js';
import { DeliveryQueue, type DeliveryStats } from '../sinks/queue.js';
import { postJson, signedHeaders } from '../sinks/sign.js';
import { AlertRule, type Alert } from './engine.js';
import { alertPayload, alertSummary } from './payload.js';
import type { AlertsConfig } from './schema.js';

/** Running alert rules. */
export interface AlertService {
  readonly rules: readonly AlertRule[];
  stats(): Record<string, DeliveryStats>;
  close(graceMs?: number): Promise<void>;
}

/**
 * Checks the alerts config (unique names, known webhooks), compiles the rules and subscribes
 * them to the security event stream. Rule evaluation is a filter and a counter update per
 * event; delivery is queued, retried and bounded like the SIEM sinks.
 *
 * @example
 * const alerts = startAlerts(config.alerts, { registry: metrics.registry, logger });
 */
export function startAlerts(c: AlertsConfig, o: { registry?: Registry; logger?: pino.Logger; now?: () => number } = {}): AlertService {
  const hooks = new Map<string, { queue: DeliveryQueue<Alert> }>();
  for (const w of c.webhooks) {
    if (hooks.has(w.name)) throw new Error(`alerts.webhooks: the name "${w.name}" is used twice`);
    let lastLog = 0;
    hooks.set(w.name, {
      queue: new DeliveryQueue<Alert>({
        // One alert per request: receivers like Slack take one message per call.
        send: async (batch) => { for (const a of batch) { const body = JSON.stringify(alertPayload(a, w.format)); await postJson(w.url, body, signedHeaders(w.secret, body, w.headers), w.timeoutMs); } },
        queueLimit: w.queueLimit, batchSize: 1, flushIntervalMs: 1, maxRetries: w.maxRetries, backoffMs: w.backoffMs, maxBackoffMs: 60_000, timeoutMs: w.timeoutMs,
        onError: (err) => {
          const now = Date.now();
          if (now - lastLog >= 10_000) { lastLog = now; o.logger?.warn({ webhook: w.name, err: err instanceof Error ? err.message : String(err) }, 'alert delivery failed; retrying'); }
        },
      }),
    });
  }
  const names = new Set<string>();
  const rules = c.rules.map((r) => {
    if (names.has(r.name)) throw new Error(`alerts.rules: the name "${r.name}" is used twice`);
    names.add(r.name);
    for (const n of r.notify) if (!hooks.has(n)) throw new Error(`alerts.rules.${r.name}.notify: no webhook named "${n}" (have: ${[...hooks.keys()].join(', ') || 'none'})`);
    return new AlertRule(r);
  });
  const now = o.now ?? Date.now;
  const fired = o.registry === undefined ? undefined : new Counter({ name: 'portcullis_alerts_fired_total', help: 'Alerts fired, by rule.', labelNames: ['rule'], registers: [o.registry] });
  const groups = o.registry === undefined ? undefined : new Gauge({
    name: 'portcullis_alert_groups', help: 'Groups tracked per rule (bounded by maxGroups).', labelNames: ['rule'], registers: [o.registry],
    collect() { for (const r of rules) this.set({ rule: r.config.name }, r.groupCount); },
  });
  const onEvent = (msg: unknown) => {
    const e = msg as SecurityEventMessage;
    const t = now();
    for (const r of rules) {
      const a = r.observe(e, t);
      if (a === undefined) continue;
      fired?.inc({ rule: a.rule });
      o.logger?.warn({ alert: a.rule, group: a.group, count: a.count }, alertSummary(a));
      for (const n of r.config.notify) hooks.get(n)!.queue.offer(a);
    }
  };
  if (rules.length > 0) diagnostics_channel.subscribe(CHANNELS.securityEvent, onEvent);
  const removeDelivery = o.registry === undefined ? () => {} : registerDeliveryMetrics(o.registry, 'portcullis_alert_delivery', 'webhook', () => [...hooks].map(([n, h]) => [n, h.queue.stats] as const));
  return {
    rules,
    stats: () => Object.fromEntries([...hooks].map(([n, h]) => [n, h.queue.stats])),
    close: async (graceMs = 2_000) => {
      if (rules.length > 0) diagnostics_channel.unsubscribe(CHANNELS.securityEvent, onEvent);
      await Promise.all([...hooks.values()].map((h) => h.queue.close(graceMs)));
      removeDelivery();
      if (fired !== undefined) o.registry?.removeSingleMetric('portcullis_alerts_fired_total');
      if (groups !== undefined) o.registry?.removeSingleMetric('portcullis_alert_groups');
    },
  };
}
