import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDemoUpstream, type Book, type DemoUpstream } from './upstream.js';

describe('quickstart demo upstream', () => {
  let up: DemoUpstream;
  let base: string;
  before(async () => {
    up = await startDemoUpstream(0);
    base = `http://127.0.0.1:${up.port}`;
  });
  after(() => up.close());

  it('lists the seeded books and leaks its fingerprint headers', async () => {
    const res = await fetch(`${base}/v1/books`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    // The quickstart relies on these two being present so the gateway visibly strips them.
    assert.equal(res.headers.get('server'), 'demo/1.0');
    assert.equal(res.headers.get('x-powered-by'), 'node');
    const books = await res.json() as Book[];
    assert.ok(books.length >= 3);
    assert.deepEqual(books[0], { id: '1', title: 'The Left Hand of Darkness', author: 'Ursula K. Le Guin', year: 1969 });
  });

  it('creates a book with POST, returns 201 + Location, then serves and deletes it', async () => {
    const res = await fetch(`${base}/v1/books`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Dune', author: 'Frank Herbert', year: 1965 }),
    });
    assert.equal(res.status, 201);
    const created = await res.json() as Book;
    assert.equal(created.title, 'Dune');
    assert.equal(created.year, 1965);
    assert.match(created.id, /^[0-9]+$/);
    assert.equal(res.headers.get('location'), `/v1/books/${created.id}`);

    const got = await fetch(`${base}/v1/books/${created.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(await got.json(), created);

    const del = await fetch(`${base}/v1/books/${created.id}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    const gone = await fetch(`${base}/v1/books/${created.id}`);
    assert.equal(gone.status, 404);
    assert.deepEqual(await gone.json(), { error: 'book not found' });
  });

  it('rejects a POST with malformed JSON or missing fields with 400', async () => {
    const bad = await fetch(`${base}/v1/books`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":' });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: 'body is not valid JSON' });
    const missing = await fetch(`${base}/v1/books`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"x"}' });
    assert.equal(missing.status, 400);
    assert.deepEqual(await missing.json(), { error: 'author is required' });
    const notObject = await fetch(`${base}/v1/books`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,2]' });
    assert.equal(notObject.status, 400);
  });

  it('answers unknown paths and unknown books with 404', async () => {
    const unknown = await fetch(`${base}/v1/nope`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { error: 'not found' });
    const missing = await fetch(`${base}/v1/books/999999`);
    assert.equal(missing.status, 404);
    const delMissing = await fetch(`${base}/v1/books/999999`, { method: 'DELETE' });
    assert.equal(delMissing.status, 404);
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const res = await fetch(`${base}/v1/books/1`, { method: 'PUT', body: '{}' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD, DELETE');
  });

  it('exposes the undocumented admin endpoint (the flaw the gateway hides)', async () => {
    const res = await fetch(`${base}/v1/admin/users`);
    assert.equal(res.status, 200);
    const users = await res.json() as { email: string }[];
    assert.ok(users.some((u) => u.email === 'root@bookstore.example'));
  });

  it('reports health', async () => {
    const res = await fetch(`${base}/v1/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('keeps data per instance', async () => {
    const other = await startDemoUpstream(0);
    try {
      await fetch(`${base}/v1/books`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"A","author":"B"}' });
      const res = await fetch(`http://127.0.0.1:${other.port}/v1/books`);
      assert.equal((await res.json() as Book[]).length, 3);
    } finally {
      await other.close();
    }
  });
});
