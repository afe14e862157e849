import diagnostics_channel from 'node:diagnostics_channel';
import { resolve } from 'node:path';
import type pino from 'pino';
import type { Registry } from 'prom-client';
import { kindFilter } from '../audit/subscribe.js';
import { CHANNELS, type SecurityEventMessage } from '../channels.js';
import { createFileTransport } from './file.js';
import { registerDeliveryMetrics } from './metrics.js';
import { createOtlpTransport } from './otlp.js';
import { DeliveryQueue, type DeliveryStats } from './queue.js';
import { sampledOffer } from './sampling.js';
import type { DeliveryConfig, SinksConfig } from './schema.js';
import type { SinkTransport } from './sink.js';
import { createSyslogTransport } from './syslog.js';
import { createWebhookTransport } from './webhook.js';

const SEVERITY_RANK = { info: 0, low: 1, medium: 2, high: 3 } as const;

/** The running SIEM sinks of a process. */
export interface SinkService {
  stats(): Record<string, DeliveryStats>;
  /** Unsubscribes, then delivers what is queued within graceMs. */
  close(graceMs?: number): Promise<void>;
}

interface Running {
  readonly name: string; readonly queue: DeliveryQueue<SecurityEventMessage>; readonly transport: SinkTransport;
  readonly accepts: (e: SecurityEventMessage) => boolean; readonly sampled: ReturnType<typeof sampledOffer>;
}

/** Builds the queue of one sink around its transport, logging failures at most once every 10 s. */
export function sinkQueue(c: DeliveryConfig, transport: SinkTransport, logger: pino.Logger | undefined): DeliveryQueue<SecurityEventMessage> {
  let lastLog = 0;
  return new DeliveryQueue<SecurityEventMessage>({
    send: (b) => transport.send(b), queueLimit: c.queueLimit, batchSize: c.batchSize, flushIntervalMs: c.flushIntervalMs,
    maxRetries: c.maxRetries, backoffMs: c.backoffMs, maxBackoffMs: c.maxBackoffMs, timeoutMs: c.timeoutMs,
    onTimeout: () => transport.reset?.(),
    onError: (err) => {
      const now = Date.now();
      if (now - lastLog < 10_000) return;
      lastLog = now;
      logger?.warn({ sink: c.name, err: err instanceof Error ? err.message : String(err) }, 'SIEM sink delivery failed; retrying');
    },
  });
}

/**
 * Starts every configured sink and subscribes them to `portcullis:security:event`. Each sink
 * has its own bounded queue, so a slow receiver delays (and drops) only its own events.
 * Names must be unique across sinks (they label the metrics).
 *
 * @example
 * const sinks = startSinks(config.sinks, { baseDir, registry: metrics.registry, logger, version });
 * await sinks.close();
 */
export function startSinks(c: SinksConfig, o: { baseDir: string; registry?: Registry; logger?: pino.Logger; version: string }): SinkService {
  const product = { vendor: 'Portcullis', product: 'gateway', version: o.version };
  const built: [DeliveryConfig, SinkTransport][] = [
    ...c.syslog.map((s) => [s, createSyslogTransport(s, o.baseDir, product)] as [DeliveryConfig, SinkTransport]),
    ...c.file.map((s) => [s, createFileTransport({ ...s, path: resolve(o.baseDir, s.path) })] as [DeliveryConfig, SinkTransport]),
    ...c.webhook.map((s) => [s, createWebhookTransport(s)] as [DeliveryConfig, SinkTransport]),
    ...c.otlp.map((s) => [s, createOtlpTransport(s, o.version)] as [DeliveryConfig, SinkTransport]),
  ];
  const names = new Set<string>();
  for (const [s] of built) {
    if (names.has(s.name)) throw new Error(`sinks: the name "${s.name}" is used twice`);
    names.add(s.name);
  }
  const running: Running[] = built.map(([s, transport]) => {
    const kinds = kindFilter(s.kinds);
    const min = SEVERITY_RANK[s.minSeverity];
    const queue = sinkQueue(s, transport, o.logger);
    return { name: s.name, transport, queue, accepts: (e) => (SEVERITY_RANK[e.severity] ?? 0) >= min && kinds(e.kind), sampled: sampledOffer(s, (e) => queue.offer(e)) };
  });
  const onEvent = (msg: unknown) => {
    const e = msg as SecurityEventMessage;
    for (const r of running) if (r.accepts(e)) r.sampled.offer(e);
  };
  if (running.length > 0) diagnostics_channel.subscribe(CHANNELS.securityEvent, onEvent);
  const removeMetrics = o.registry === undefined ? () => {} : registerDeliveryMetrics(o.registry, 'portcullis_sink', 'sink', () => running.map((r) => [r.name, r.queue.stats] as const));
  return {
    stats: () => Object.fromEntries(running.map((r) => [r.name, r.queue.stats])),
    close: async (graceMs = 2_000) => {
      if (running.length > 0) diagnostics_channel.unsubscribe(CHANNELS.securityEvent, onEvent);
      await Promise.all(running.map(async (r) => { r.sampled.close(); await r.queue.close(graceMs); await r.transport.close(); }));
      removeMetrics();
    },
  };
}
