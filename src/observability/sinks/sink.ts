import type { SecurityEventMessage } from '../channels.js';

/** One receiver of security event batches; wrapped in a DeliveryQueue by the sink service. */
export interface SinkTransport {
  /** Delivers one batch; rejects to have it retried. */
  send(batch: readonly SecurityEventMessage[]): Promise<void>;
  /** Drops a connection that an attempt timed out on, so the retry starts afresh. */
  reset?(): void;
  close(): Promise<void>;
}
