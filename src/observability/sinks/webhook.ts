import type { WebhookSinkConfig } from './schema.js';
import { postJson, signedHeaders } from './sign.js';
import type { SinkTransport } from './sink.js';

/**
 * Webhook transport: each batch is POSTed as `{"events":[...]}`, signed (see sign.ts).
 *
 * @example
 * const t = createWebhookTransport(cfg);
 */
export function createWebhookTransport(c: Pick<WebhookSinkConfig, 'url' | 'secret' | 'headers' | 'timeoutMs'>): SinkTransport {
  return {
    send: async (batch) => {
      const body = JSON.stringify({ events: batch });
      await postJson(c.url, body, signedHeaders(c.secret, body, c.headers), c.timeoutMs);
    },
    close: async () => {},
  };
}
