import type { KeyObject } from 'node:crypto';
import type pino from 'pino';
import { auditLocation, createAuditStore, openSigner } from './open.js';
import { applyRetention } from './retention.js';
import type { AuditConfig } from './schema.js';
import type { AuditStore } from './store.js';
import { subscribeAudit } from './subscribe.js';
import { AuditWriter } from './writer.js';

/** A running audit trail: the writer, subscribed to the event channels. */
export interface AuditService {
  readonly writer: AuditWriter;
  readonly instance: string;
  /** The store and the checkpoint key, for the admin API's search and verify. */
  readonly store: AuditStore;
  readonly publicKey: KeyObject;
  /** Unsubscribes, flushes, writes a final checkpoint and closes the store. */
  close(): Promise<void>;
}

const RETENTION_EVERY_MS = 3_600_000;

/**
 * Starts the audit trail of a gateway process: opens the store and key, resumes the chain,
 * subscribes to security events and config reloads, and applies retention at start and hourly.
 *
 * @example
 * const audit = config.audit.enabled ? await startAudit(config.audit, loaded.baseDir, logger) : undefined;
 * // at shutdown:
 * await audit?.close();
 */
export async function startAudit(c: AuditConfig, baseDir: string, logger: pino.Logger, opts: { instanceSuffix?: string } = {}): Promise<AuditService> {
  const loc = auditLocation(c, baseDir, opts.instanceSuffix);
  const signer = openSigner(c, loc, { create: true });
  const store = createAuditStore(c, loc);
  let lastDropLog = 0;
  const writer = await AuditWriter.open({
    store, instance: loc.instance, signer, batchSize: c.batchSize, flushIntervalMs: c.flushIntervalMs,
    queueLimit: c.queueLimit, checkpointEvery: c.checkpointEvery, checkpointIntervalMs: c.checkpointIntervalMs, redactKeys: c.redact,
    onProblem: (what, info) => {
      if (what === 'write-failed') { logger.error({ err: info.error, records: info.count }, 'audit write failed'); return; }
      // A flood of drops must not become a flood of log lines: at most one a second.
      const now = Date.now();
      if (now - lastDropLog >= 1000) { lastDropLog = now; logger.warn({ dropped: info.count }, 'audit queue full: record dropped'); }
    },
  });
  const retain = async () => {
    try {
      const n = await applyRetention(store, loc.instance, signer, c.retentionDays);
      if (n > 0) logger.info({ deleted: n, retentionDays: c.retentionDays }, 'audit retention applied');
    } catch (err) {
      logger.error({ err }, 'audit retention failed');
    }
  };
  await retain();
  const timer = c.retentionDays > 0 ? setInterval(() => { void retain(); }, RETENTION_EVERY_MS) : undefined;
  timer?.unref();
  const unsubscribe = subscribeAudit(writer, c.kinds);
  logger.info({ backend: c.backend, instance: loc.instance, seq: writer.stats.seq }, 'audit trail started');
  return {
    writer,
    instance: loc.instance,
    store,
    publicKey: signer.publicKey,
    close: async () => {
      unsubscribe();
      if (timer !== undefined) clearInterval(timer);
      await writer.close();
    },
  };
}
