import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../config/load.js';
import { compileRuntime } from './compile.js';

const DOC = `openapi: 3.0.3
info: { title: t, version: '1' }
paths:
  /plain: { post: { operationId: plain, responses: { '200': { description: ok } } } }
  /big: { put: { operationId: big, responses: { '200': { description: ok } } } }
  /small: { put: { operationId: small, responses: { '200': { description: ok } } } }
  /clamped: { put: { operationId: clamped, responses: { '200': { description: ok } } } }
  /tuned: { put: { operationId: tuned, responses: { '200': { description: ok } } } }
`;

// Issue 12, item 1: by default a body is buffered whole (nginx's request buffering) when the
// operation's maxBodySize is at most 1 MiB; a larger limit buffers 1 MiB and streams the rest.
test('request buffering defaults follow each operation\'s maxBodySize; explicit values win, clamped to maxBodySize', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-bodypolicy-'));
  writeFileSync(join(dir, 'doc.yaml'), DOC);
  writeFileSync(join(dir, 'portcullis.yaml'), `apis:
  - name: a
    upstream: http://127.0.0.1:1
    openapi: ./doc.yaml
    operations:
      big: { limits: { maxBodySize: 10485760 } }
      small: { limits: { maxBodySize: 1000 } }
      clamped: { limits: { maxBodySize: 1000, requestBufferSize: 5000 } }
      tuned: { limits: { requestBufferSize: 100, minBodyRate: 0, minBodyRateWindowMs: 2000 } }
`);
  const runtime = await compileRuntime(await loadConfig(join(dir, 'portcullis.yaml')));
  const body = (id: string) => runtime.routes.find((r) => r.operationId === id)!.body;
  assert.deepEqual(body('plain'), { maxBodySize: 1_048_576, bufferSize: 1_048_576, minRate: 1024, rateWindowMs: 10_000 });
  assert.deepEqual(body('big'), { maxBodySize: 10_485_760, bufferSize: 1_048_576, minRate: 1024, rateWindowMs: 10_000 });
  assert.deepEqual(body('small'), { maxBodySize: 1000, bufferSize: 1000, minRate: 1024, rateWindowMs: 10_000 });
  assert.deepEqual(body('clamped'), { maxBodySize: 1000, bufferSize: 1000, minRate: 1024, rateWindowMs: 10_000 });
  assert.deepEqual(body('tuned'), { maxBodySize: 1_048_576, bufferSize: 100, minRate: 0, rateWindowMs: 2000 });
});
