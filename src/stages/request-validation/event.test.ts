import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { test } from 'node:test';
import { GatewayError } from '../../errors/index.js';
import { CHANNELS, type SecurityEventMessage } from '../../observability/channels.js';
import type { RequestContext } from '../../pipeline/context.js';
import { CONTINUE, reject } from '../../pipeline/stage.js';
import { publishingRejections } from './event.js';
import { validationError } from './violations.js';

const ctx = { id: 'req-7', route: { apiName: 'books', operationId: 'createBook' }, client: { ip: '192.0.2.5' } } as unknown as RequestContext;

test('rejections are published as validation.failed with a bounded reason; passes are not', async (t) => {
  const got: SecurityEventMessage[] = [];
  const fn = (m: unknown) => got.push(m as SecurityEventMessage);
  diagnostics_channel.subscribe(CHANNELS.securityEvent, fn);
  t.after(() => diagnostics_channel.unsubscribe(CHANNELS.securityEvent, fn));
  const body = publishingRejections(() => reject(validationError([{ pointer: '/body/price', reason: 'must be >= 0' }])), true);
  const media = publishingRejections(async () => reject(new GatewayError('PCL_UNSUPPORTED_MEDIA_TYPE', { internal: 'x' })), false);
  const odd = publishingRejections(() => reject(validationError([{ pointer: '/evil\u0000', reason: 'x' }])), true);
  const ok = publishingRejections(() => CONTINUE, true);
  assert.equal((body(ctx) as { kind: string }).kind, 'reject');
  body(ctx);
  await media(ctx);
  odd(ctx);
  ok(ctx);
  assert.deepEqual(got.map((e) => [e.kind, e.reason, e.enforced]), [
    ['validation.failed', 'body', true], ['validation.failed', 'body', true], ['validation.failed', 'media_type', false], ['validation.failed', 'other', true],
  ]);
  assert.equal(got[0]!.excerpt, '/body/price: must be >= 0');
  assert.equal(got[0]!.client, '192.0.2.5');
  assert.equal(got[0]!.stage, 'request-validation');
});
