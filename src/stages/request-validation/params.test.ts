import { test } from 'node:test';
import assert from 'node:assert/strict';
import { config, outcome, run, stageFor } from './test-support.js';

const F = 'validation/shop-3.1.yaml';

async function check(op: string, req: Parameters<typeof run>[1], over = {}) {
  return outcome(await run(await stageFor(F, op, over), req));
}

function bad(o: ReturnType<typeof outcome> | Awaited<ReturnType<typeof check>>, pointer: string) {
  assert.notEqual(o, 'continue', `expected a rejection at ${pointer}`);
  if (o === 'continue') return;
  assert.equal(o.status, 400);
  assert.equal(o.code, 'PCL_VALIDATION_FAILED');
  assert.ok(o.errors.some((e) => e.pointer === pointer), `${pointer} in ${JSON.stringify(o.errors)}`);
}

test('config defaults are filled', () => {
  const c = config();
  assert.equal(c.json.maxDepth, 32);
  assert.equal(c.multipart.maxFiles, 10);
  assert.equal(c.allowUnknownQueryParameters, false);
});

test('form explode=true (default): scalar and repeated array', async () => {
  assert.equal(await check('listItems', { query: 'limit=5&tags=a&tags=b' }), 'continue');
  bad(await check('listItems', { query: 'limit=abc' }), '/query/limit');
  bad(await check('listItems', { query: 'limit=500' }), '/query/limit');
  bad(await check('listItems', { query: 'tags=aaaaaaaaaaaaaaa' }), '/query/tags/0');
});

test('a repeated scalar query parameter is refused (parameter pollution)', async () => {
  bad(await check('listItems', { query: 'limit=5&limit=6' }), '/query/limit');
});

test('form explode=false: comma-separated array and object', async () => {
  assert.equal(await check('listItems', { query: 'ids=1,2,3&fo=a,5' }), 'continue');
  bad(await check('listItems', { query: 'ids=1,x,3' }), '/query/ids/1');
  bad(await check('listItems', { query: 'fo=a' }), '/query/fo');
  bad(await check('listItems', { query: 'fo=a,x' }), '/query/fo/a');
});

test('deepObject', async () => {
  assert.equal(await check('listItems', { query: 'filter[color]=red&filter[size]=3' }), 'continue');
  bad(await check('listItems', { query: 'filter[color]=green' }), '/query/filter/color');
  bad(await check('listItems', { query: 'filter[size]=big' }), '/query/filter/size');
  bad(await check('listItems', { query: 'filter[owner]=me' }), '/query/filter/owner');
  bad(await check('listItems', { query: 'filter[a][b]=1' }), '/query/filter');
});

test('spaceDelimited and pipeDelimited', async () => {
  assert.equal(await check('listItems', { query: 'sp=1%202%203&pp=4|5' }), 'continue');
  bad(await check('listItems', { query: 'sp=1%20x' }), '/query/sp/1');
  bad(await check('listItems', { query: 'pp=4|y' }), '/query/pp/1');
});

test('a JSON-content query parameter', async () => {
  assert.equal(await check('listItems', { query: `q=${encodeURIComponent('{"n":1}')}` }), 'continue');
  bad(await check('listItems', { query: `q=${encodeURIComponent('{"m":1}')}` }), '/query/q/n');
  bad(await check('listItems', { query: `q=${encodeURIComponent('{"n":1,"n":2}')}` }), '/query/q');
});

test('unknown query parameters are refused unless allowed', async () => {
  bad(await check('listItems', { query: 'debug=1' }), '/query/debug');
  assert.equal(await check('listItems', { query: 'debug=1' }, { allowUnknownQueryParameters: true }), 'continue');
});

test('malformed percent-encoding and too many pairs', async () => {
  bad(await check('listItems', { query: 'limit=%zz' }), '/query');
  bad(await check('listItems', { query: Array.from({ length: 101 }, (_, i) => `t${i}=1`).join('&') }), '/query');
});

test('header and cookie parameters', async () => {
  assert.equal(await check('listItems', { headers: { 'x-trace': '42', cookie: 'session=abc; other=1' } }), 'continue');
  bad(await check('listItems', { headers: { 'x-trace': 'nope' } }), '/header/x-trace');
  bad(await check('listItems', { headers: { cookie: 'session=ABC1' } }), '/cookie/session');
});

test('a required header parameter', async () => {
  const o = await check('createItem', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"a"}' });
  bad(o, '/header/x-tenant');
});

test('path: simple scalar with coercion', async () => {
  assert.equal(await check('getItem', { params: { id: '7' } }), 'continue');
  bad(await check('getItem', { params: { id: '0' } }), '/path/id');
  bad(await check('getItem', { params: { id: '7abc' } }), '/path/id');
});

test('path: label explode=true', async () => {
  assert.equal(await check('labelIds', { params: { ids: '.1.2.3' } }), 'continue');
  bad(await check('labelIds', { params: { ids: '1.2' } }), '/path/ids');
  bad(await check('labelIds', { params: { ids: '.1.x' } }), '/path/ids/1');
});

test('path: matrix explode=false', async () => {
  assert.equal(await check('matrixIds', { params: { ids: ';ids=1,2' } }), 'continue');
  bad(await check('matrixIds', { params: { ids: ';other=1' } }), '/path/ids');
  bad(await check('matrixIds', { params: { ids: ';ids=1,b' } }), '/path/ids/1');
});

test('path: simple explode=true object', async () => {
  assert.equal(await check('simpleObject', { params: { point: 'x=1,y=2' } }), 'continue');
  bad(await check('simpleObject', { params: { point: 'x=1' } }), '/path/point/y');
  bad(await check('simpleObject', { params: { point: 'x1' } }), '/path/point');
});
