import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGatewayProcess } from '../helpers/gateway.js';
import { booksConfig } from '../helpers/config.js';
import { startUpstream } from '../helpers/upstream.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, timeoutMs = 8_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await wait(100);
  }
  return false;
}

describe('hot reload', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => { for (const c of cleanup.reverse()) await c(); });

  test('a changed OpenAPI document is picked up by the file watch; a broken one is refused and the old runtime keeps serving', async () => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const { file, dir } = booksConfig(up.url, { top: '' });
    writeFileSync(file, readFileSync(file, 'utf8').replace('watch: false', 'watch: true'));
    const gw = await startGatewayProcess(file);
    cleanup.push(() => gw.stop());
    assert.equal((await fetch(`${gw.url}/v1/authors`)).status, 404);

    const doc = join(dir, 'books.yaml');
    const original = readFileSync(doc, 'utf8');
    writeFileSync(doc, original.replace('paths:\n', 'paths:\n  /authors:\n    get:\n      operationId: listAuthors\n      responses: { \'200\': { description: ok } }\n'));
    assert.ok(await until(async () => (await fetch(`${gw.url}/v1/authors`)).status === 200), 'new route served after the watch reload');

    // A broken config: reported, and the previous runtime (with /authors) keeps serving.
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace(`upstream: ${up.url}`, 'upstream: not-a-url'));
    const failure = await gw.waitForLog((l) => l.msg === 'config reload failed');
    assert.match(String(failure.error), /portcullis\.yaml:\d+ apis\[0\]\.upstream: must be an http\(s\) URL/);
    assert.equal((await fetch(`${gw.url}/v1/authors`)).status, 200);
    assert.equal((await fetch(`${gw.url}/v1/books`)).status, 200);
  });

  test('SIGHUP reloads; in-flight requests finish on the runtime they started with', async () => {
    const up = await startUpstream((req, res) => {
      if (req.url === '/v1/slow') setTimeout(() => res.end('slow done'), 800);
      else res.end('ok');
    });
    cleanup.push(() => up.close());
    const { file } = booksConfig(up.url);
    const gw = await startGatewayProcess(file);
    cleanup.push(() => gw.stop());

    const inflight = fetch(`${gw.url}/v1/slow`);
    await wait(150);
    // The new config removes /slow entirely.
    const doc = join(gw.dir, 'books.yaml');
    writeFileSync(doc, readFileSync(doc, 'utf8').replace(/  \/slow:\n    get:\n      operationId: slow\n      responses: \{ '200': \{ description: ok \} \}\n/, ''));
    gw.child.kill('SIGHUP');
    await gw.waitForLog((l) => l.msg === 'config reloaded');
    const res = await inflight;
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'slow done');
    assert.equal((await fetch(`${gw.url}/v1/slow`)).status, 404);

    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    assert.match(metrics, /portcullis_config_reloads_total\{result="success"\} 1/);
  });
});
