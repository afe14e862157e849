import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { readPorts } from './run.js';
import { findPackageRoot } from '../../src/util/package-root.js';

// Tests run from examples/ (tsx) or dist/examples/ (compiled); YAML files stay in examples/.
const dir = join(findPackageRoot(import.meta.url), 'examples', 'quickstart');

describe('quickstart files', () => {
  it('the gateway config passes the config schema and says what the quickstart promises', async () => {
    const { config } = await loadConfig(join(dir, 'portcullis.yaml'), {});
    assert.equal(config.server.port, 8080);
    assert.equal(config.admin.host, '127.0.0.1');
    assert.equal(config.admin.port, 9901);
    assert.equal(config.apis.length, 1);
    const api = config.apis[0]!;
    assert.equal(api.name, 'bookstore');
    assert.equal(api.upstream, 'http://127.0.0.1:3000');
    assert.equal(api.openapi, './openapi.yaml');
    assert.equal(api.limits?.maxBodySize, 65_536);
    assert.deepEqual(api.cors?.allowOrigins, ['http://localhost:5173']);
  });

  it('run.ts reads its ports from that config', () => {
    assert.deepEqual(readPorts(join(dir, 'portcullis.yaml')), { publicPort: 8080, adminPort: 9901, upstreamPort: 3000 });
  });

  it('the OpenAPI document lists the five operations and not the admin endpoint', () => {
    const doc = parse(readFileSync(join(dir, 'openapi.yaml'), 'utf8')) as {
      openapi: string; servers: { url: string }[]; paths: Record<string, Record<string, { operationId?: string }>>;
    };
    assert.match(doc.openapi, /^3\.1\./);
    assert.deepEqual(doc.servers, [{ url: '/v1' }]);
    const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).filter(([m]) => m !== 'parameters').map(([m, op]) => `${m.toUpperCase()} ${path} ${op.operationId}`));
    assert.deepEqual(ops.sort(), [
      'DELETE /books/{bookId} deleteBook',
      'GET /books listBooks',
      'GET /books/{bookId} getBook',
      'GET /health health',
      'POST /books createBook',
    ]);
    // The whole point of the demo: the upstream's admin endpoint must stay undocumented.
    assert.ok(!Object.keys(doc.paths).some((p) => p.includes('admin')));
  });
});
