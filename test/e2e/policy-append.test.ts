import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { booksConfig } from '../helpers/config.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

// Issue 14 item 5: an operation adds to the API's lists instead of replacing them, at the top of a
// stage's block (rate-limit limits) and inside a nested block (waf exclusions.removeById).
const api = `    stages:
      waf:
        customRules: |
          SecRule ARGS:q "@contains evil" "id:10030,phase:2,deny,log,msg:'evil'"
          SecRule ARGS:q "@contains bad" "id:10031,phase:2,deny,log,msg:'bad'"
        exclusions: { removeById: [10030], removeByTag: [none-such] }
      rate-limit:
        limits: [{ name: per-client, limit: 1000, window: 1h }]
    operations:
      getBook:
        stages:
          waf:
            exclusions:
              removeById: { append: [10031] }
          rate-limit:
            limits:
              append: [{ name: per-book, limit: 2, window: 1h, key: ['param:bookId'] }]
`;

describe('per-operation { append: [...] } through a real gateway', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startUpstream();
    gw = await startGatewayProcess(booksConfig(up.url, { apiExtra: api }).file, { timeoutMs: 60_000 });
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  const get = async (path: string): Promise<{ status: number; code: unknown; policy: string | null }> => {
    const res = await fetch(`${gw.url}${path}`);
    const text = await res.text();
    let code: unknown;
    try { code = (JSON.parse(text) as { code?: unknown }).code; } catch { /* not JSON */ }
    return { status: res.status, code, policy: res.headers.get('ratelimit-policy') };
  };

  test('a nested list appended to: the operation excludes its rule and keeps the API\'s exclusion', async () => {
    assert.equal((await get('/v1/books?q=evil')).status, 200, 'the API excludes 10030');
    const bad = await get('/v1/books?q=bad');
    assert.equal(bad.status, 403);
    assert.equal(bad.code, 'PCL_WAF_BLOCKED');
    assert.equal((await get('/v1/books/1?q=bad')).status, 200, 'getBook appends 10031');
    assert.equal((await get('/v1/books/1?q=evil')).status, 200, 'and still excludes 10030 (a replace would have dropped it)');
  });

  test('a top-level list appended to: the operation\'s own limit and the API\'s both apply', async () => {
    const first = await get('/v1/books/7');
    assert.equal(first.status, 200);
    assert.match(first.policy ?? '', /"per-client";q=1000/, 'the API\'s limit still counts on getBook');
    assert.match(first.policy ?? '', /"per-book";q=2/);
    assert.equal((await get('/v1/books/7')).status, 200);
    const third = await get('/v1/books/7');
    assert.equal(third.status, 429);
    assert.equal(third.code, 'PCL_RATE_LIMITED');
    assert.equal((await get('/v1/books/8')).status, 200, 'another book is another key');
    assert.doesNotMatch((await get('/v1/books')).policy ?? '', /per-book/, 'the appended limit is getBook\'s only');
  });
});
