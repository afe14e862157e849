import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequestValidationStage } from './stage.js';
import { config, ctx, doc, outcome, run, stageFor, type Req } from './test-support.js';
import { MemoryStore } from '../../store/index.js';

const F = 'validation/shop-3.1.yaml';
const P = 'validation/pets-3.0.yaml';
const JSON_CT = { 'content-type': 'application/json', 'x-tenant': 't1' };

async function post(op: string, body: string | Buffer, headers: Record<string, string> = JSON_CT, file = F, over = {}) {
  const req: Req = { method: 'POST', headers, body };
  return outcome(await run(await stageFor(file, op, over), req));
}

function rejected(o: ReturnType<typeof outcome>, status: number, code: string, pointer?: string, reason?: RegExp) {
  assert.notEqual(o, 'continue', 'expected a rejection');
  if (o === 'continue') return;
  assert.equal(o.status, status);
  assert.equal(o.code, code);
  if (pointer !== undefined) {
    const hit = o.errors.find((e) => e.pointer === pointer);
    assert.ok(hit !== undefined, `${pointer} in ${JSON.stringify(o.errors)}`);
    if (reason !== undefined) assert.match(hit.reason, reason);
  }
}

test('a valid JSON body passes', async () => {
  assert.equal(await post('createItem', JSON.stringify({ name: 'pen', price: 1.5, email: 'a@b.example', note: null, lines: [{ price: 0 }] })), 'continue');
});

test('schema violations give pointers and reasons, never the values', async () => {
  const o = await post('createItem', JSON.stringify({ name: 'x'.repeat(60), price: -1, email: 'SECRET-not-an-email', lines: [{ price: -5 }] }));
  rejected(o, 400, 'PCL_VALIDATION_FAILED', '/body/lines/0/price', /must be >= 0/);
  rejected(o, 400, 'PCL_VALIDATION_FAILED', '/body/price');
  rejected(o, 400, 'PCL_VALIDATION_FAILED', '/body/email');
  assert.ok(!JSON.stringify(o).includes('SECRET'));
});

test('at most 10 violations are returned', async () => {
  const lines = Array.from({ length: 30 }, () => ({ price: -1 }));
  const o = await post('createItem', JSON.stringify({ name: 'a', lines }));
  assert.ok(o !== 'continue' && o.errors.length === 10);
});

test('mass assignment: an undeclared property is refused', async () => {
  rejected(await post('createItem', JSON.stringify({ name: 'a', isAdmin: true })), 400, 'PCL_VALIDATION_FAILED', '/body/isAdmin', /not a declared property/);
  rejected(await post('createItem', JSON.stringify({ name: 'a', lines: [{ price: 1, owner: 'x' }] })), 400, 'PCL_VALIDATION_FAILED', '/body/lines/0/owner');
});

test('strictBodies: false lets undeclared properties through', async () => {
  assert.equal(await post('createItem', JSON.stringify({ name: 'a', isAdmin: true }), JSON_CT, F, { strictBodies: false }), 'continue');
});

test('additionalProperties: true in the document is honoured', async () => {
  assert.equal(await post('loose', JSON.stringify({ a: 'x', extra: 1 })), 'continue');
});

test('allOf compositions see the properties of every member', async () => {
  assert.equal(await post('composed', JSON.stringify({ a: 'x', b: 1 })), 'continue');
  rejected(await post('composed', JSON.stringify({ a: 'x', b: 1, c: 2 })), 400, 'PCL_VALIDATION_FAILED', '/body/c');
});

test('a readOnly property sent in a request is refused; required readOnly is not required', async () => {
  rejected(await post('createItem', JSON.stringify({ id: 5, name: 'a' })), 400, 'PCL_VALIDATION_FAILED', '/body/id');
});

test('circular schemas compile and validate recursively', async () => {
  assert.equal(await post('createNode', JSON.stringify({ name: 'a', children: [{ name: 'b', children: [{ name: 'c' }] }] })), 'continue');
  rejected(await post('createNode', JSON.stringify({ name: 'a', children: [{ children: [{ name: 5 }] }] })), 400, 'PCL_VALIDATION_FAILED', '/body/children/0/children/0/name');
  rejected(await post('createNode', JSON.stringify({ children: [{ evil: 1 }] })), 400, 'PCL_VALIDATION_FAILED', '/body/children/0/evil');
});

test('the shared circular.yaml fixture compiles', async () => {
  const d = await doc('openapi/circular.yaml');
  for (const operation of d.operations) {
    createRequestValidationStage(config(), { apiName: 'a', operationId: operation.operationId, baseDir: '.', store: new MemoryStore({ maxKeys: 1 }), operation, openapiVersion: d.version });
  }
});

test('prototype pollution keys are refused, also when escaped', async () => {
  for (const body of ['{"name":"a","__proto__":{"isAdmin":true}}', '{"name":"a","constructor":{"prototype":{}}}', '{"name":"a","lines":[{"prototype":1}]}', '{"name":"a","\\u005f_proto__":{}}']) {
    rejected(await post('createItem', body), 400, 'PCL_VALIDATION_FAILED', undefined);
    const o = await post('createItem', body);
    assert.ok(o !== 'continue' && o.errors[0]!.reason === 'forbidden key', body);
  }
});

test('duplicate keys are refused (JSON.parse would keep the last)', async () => {
  rejected(await post('createItem', '{"name":"a","price":1,"price":-1}'), 400, 'PCL_VALIDATION_FAILED', '/body/price', /duplicate key/);
  rejected(await post('createItem', '{"name":"a","na\\u006de":"b"}'), 400, 'PCL_VALIDATION_FAILED', '/body/name', /duplicate key/);
});

test('10,000-deep nesting is refused by the pre-scan', async () => {
  const deep = '{"name":"a","lines":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}';
  rejected(await post('createItem', deep), 400, 'PCL_VALIDATION_FAILED', undefined);
  const o = await post('createItem', deep);
  assert.ok(o !== 'continue' && o.errors[0]!.reason === 'nesting too deep');
});

test('string, array and property-count limits', async () => {
  const reason = async (body: string) => { const o = await post('loose', body, JSON_CT, F, { json: { maxDepth: 32, maxStringLength: 100, maxArrayLength: 5, maxProperties: 3 } }); return o === 'continue' ? 'continue' : o.errors[0]!.reason; };
  assert.equal(await reason(JSON.stringify({ a: 'x'.repeat(101) })), 'string too long');
  assert.equal(await reason(JSON.stringify({ a: 'x', b: [1, 2, 3, 4, 5, 6] })), 'array too long');
  assert.equal(await reason(JSON.stringify({ a: 'x', b: 1, c: 2, d: 3 })), 'too many properties');
  assert.equal(await reason(JSON.stringify({ a: 'x'.repeat(100) })), 'continue');
});

test('malformed JSON and invalid UTF-8', async () => {
  for (const body of ['{"name":', '{"name":"a"} x', "{'name':'a'}", '{"name":"a",}', '[01]', 'NaN']) {
    rejected(await post('createItem', body), 400, 'PCL_VALIDATION_FAILED', '/body');
  }
  rejected(await post('createItem', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])), 400, 'PCL_VALIDATION_FAILED', '/body', /UTF-8/);
});

test('a missing required body and a body sent to an operation without one', async () => {
  rejected(await post('createItem', ''), 400, 'PCL_VALIDATION_FAILED', '/body', /required/);
  const s = await stageFor(F, 'ping');
  rejected(outcome(await s.handlers.inspect!(ctx({ method: 'POST', headers: { 'content-length': '5' } }))), 400, 'PCL_VALIDATION_FAILED', '/body');
  assert.equal(s.needsRequestBody, false);
});

test('undeclared content types, charset tricks and lookalikes get 415', async () => {
  for (const ct of ['text/plain', 'application/json;charset=utf-7', 'application/json; charset=iso-8859-1', 'application/jsonx', 'application/json-patch+json', 'application/x-json', 'json', 'application/json; charset', '']) {
    rejected(await post('createItem', '{"name":"a"}', { 'content-type': ct, 'x-tenant': 't' }), 415, 'PCL_UNSUPPORTED_MEDIA_TYPE');
  }
  rejected(await post('createItem', '{"name":"a"}', { 'x-tenant': 't' }), 415, 'PCL_UNSUPPORTED_MEDIA_TYPE');
  assert.equal(await post('createItem', '{"name":"a"}', { 'content-type': 'Application/JSON; charset="UTF-8"', 'x-tenant': 't' }), 'continue');
});

test('urlencoded bodies are coerced and validated strictly', async () => {
  const h = { 'content-type': 'application/x-www-form-urlencoded', 'x-tenant': 't' };
  assert.equal(await post('createItem', 'name=pen&qty=2', h), 'continue');
  rejected(await post('createItem', 'name=pen&qty=0', h), 400, 'PCL_VALIDATION_FAILED', '/body/qty');
  rejected(await post('createItem', 'name=pen&isAdmin=true', h), 400, 'PCL_VALIDATION_FAILED', '/body/isAdmin');
  rejected(await post('createItem', 'name=pen&__proto__=x', h), 400, 'PCL_VALIDATION_FAILED', '/body');
});

function multipart(parts: { name: string; filename?: string; data: string }[]): { body: Buffer; ct: string } {
  const b = 'XyZbOuNdArY';
  const chunks = parts.map((p) => `--${b}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"\r\nContent-Type: text/plain` : ''}\r\n\r\n${p.data}\r\n`);
  return { body: Buffer.from(chunks.join('') + `--${b}--\r\n`), ct: `multipart/form-data; boundary=${b}` };
}

test('multipart bodies: fields validated, file parts recorded for upload checks', async () => {
  const { body, ct } = multipart([{ name: 'name', data: 'pen' }, { name: 'file', filename: 'a.txt', data: 'hello' }]);
  const s = await stageFor(F, 'createItem');
  const c = ctx({ method: 'POST', headers: { 'content-type': ct, 'x-tenant': 't' }, body });
  assert.equal(outcome(await s.handlers.inspect!(c)), 'continue');
  assert.equal(c.uploads?.length, 1);
  assert.equal(c.uploads[0]!.filename, 'a.txt');
  assert.equal(c.uploads[0]!.data.toString(), 'hello');
  const noFile = multipart([{ name: 'name', data: 'pen' }]);
  rejected(await post('createItem', noFile.body, { 'content-type': noFile.ct, 'x-tenant': 't' }), 400, 'PCL_VALIDATION_FAILED', '/body/file');
  const extra = multipart([{ name: 'file', filename: 'a', data: 'x' }, { name: 'isAdmin', data: 'true' }]);
  rejected(await post('createItem', extra.body, { 'content-type': extra.ct, 'x-tenant': 't' }), 400, 'PCL_VALIDATION_FAILED', '/body/isAdmin');
});

test('multipart per-part limits', async () => {
  const big = multipart([{ name: 'file', filename: 'a', data: 'x'.repeat(2000) }]);
  const h = { 'content-type': big.ct, 'x-tenant': 't' };
  const lim = { multipart: { maxParts: 3, maxFiles: 1, maxFileSize: 1000, maxFieldSize: 100 } };
  rejected(await post('createItem', big.body, h, F, lim), 400, 'PCL_VALIDATION_FAILED', '/body', /file too large/);
  const many = multipart([{ name: 'file', filename: 'a', data: 'x' }, { name: 'file', filename: 'b', data: 'y' }]);
  rejected(await post('createItem', many.body, { 'content-type': many.ct, 'x-tenant': 't' }, F, lim), 400, 'PCL_VALIDATION_FAILED', '/body', /too many files/);
  const field = multipart([{ name: 'file', filename: 'a', data: 'x' }, { name: 'name', data: 'n'.repeat(200) }]);
  rejected(await post('createItem', field.body, { 'content-type': field.ct, 'x-tenant': 't' }, F, lim), 400, 'PCL_VALIDATION_FAILED', '/body', /field too large/);
  rejected(await post('createItem', Buffer.from('garbage'), { 'content-type': 'multipart/form-data', 'x-tenant': 't' }), 400, 'PCL_VALIDATION_FAILED', '/body');
});

test('XML: valid body passes; DTDs and entities (XXE) are refused', async () => {
  const h = { 'content-type': 'application/xml', 'x-tenant': 't' };
  assert.equal(await post('createItem', '<?xml version="1.0"?><item><name>pen</name><price>2</price></item>', h), 'continue');
  rejected(await post('createItem', '<item><name>pen</name><price>-2</price></item>', h), 400, 'PCL_VALIDATION_FAILED', '/body/price');
  const xxe = '<?xml version="1.0"?><!DOCTYPE item [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><item><name>&xxe;</name></item>';
  rejected(await post('createItem', xxe, h), 400, 'PCL_VALIDATION_FAILED', '/body', /not allowed/);
  const laughs = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><item><name>&lol2;</name></item>';
  rejected(await post('createItem', laughs, h), 400, 'PCL_VALIDATION_FAILED', '/body', /not allowed/);
  rejected(await post('createItem', '<item><name>pen</item>', h), 400, 'PCL_VALIDATION_FAILED', '/body', /malformed/);
  rejected(await post('createItem', '<a>'.repeat(100) + '</a>'.repeat(100), h), 400, 'PCL_VALIDATION_FAILED', '/body', /too deep/);
});

test('OpenAPI 3.0: nullable, exclusiveMinimum boolean, readOnly, charset-qualified media type', async () => {
  const h = { 'content-type': 'application/json' };
  assert.equal(await post('createPet', JSON.stringify({ name: 'Rex', tag: null, age: 30 }), h, P), 'continue');
  rejected(await post('createPet', JSON.stringify({ name: 'Rex', age: 0 }), h, P), 400, 'PCL_VALIDATION_FAILED', '/body/age');
  rejected(await post('createPet', JSON.stringify({ name: 'Rex', id: 1 }), h, P), 400, 'PCL_VALIDATION_FAILED', '/body/id');
  rejected(await post('createPet', JSON.stringify({ name: 'Rex', extra: 1 }), h, P), 400, 'PCL_VALIDATION_FAILED', '/body/extra');
  rejected(await post('createPet', JSON.stringify({ name: null }), h, P), 400, 'PCL_VALIDATION_FAILED', '/body/name');
});

test('OpenAPI 3.0: oneOf with a discriminator', async () => {
  const h = { 'content-type': 'application/json' };
  assert.equal(await post('createAnimal', JSON.stringify({ kind: 'cat', hunts: true }), h, P), 'continue');
  rejected(await post('createAnimal', JSON.stringify({ kind: 'cat', barks: true }), h, P), 400, 'PCL_VALIDATION_FAILED');
  rejected(await post('createAnimal', JSON.stringify({ kind: 'cow' }), h, P), 400, 'PCL_VALIDATION_FAILED');
});

test('OpenAPI 3.0: int32 path parameter', async () => {
  assert.equal(outcome(await run(await stageFor(P, 'getPet'), { params: { petId: '12' } })), 'continue');
  rejected(outcome(await run(await stageFor(P, 'getPet'), { params: { petId: '99999999999' } })), 400, 'PCL_VALIDATION_FAILED', '/path/petId');
});

test('a request-validation stage without an OpenAPI operation is a config error', () => {
  assert.throws(() => createRequestValidationStage(config(), { apiName: 'a', operationId: undefined, baseDir: '.', store: new MemoryStore({ maxKeys: 1 }) }), /OpenAPI/);
});

test('a schema Ajv cannot compile fails the load with the operation pointer', () => {
  const operation = {
    method: 'POST', pathTemplate: '/x', tags: [], parameters: [], responses: {}, pointer: '#/paths/~1x/post', extensions: {},
    requestBody: { content: { 'application/json': { schema: { type: 'frobnicate' } } } },
  };
  assert.throws(
    () => createRequestValidationStage(config(), { apiName: 'a', operationId: undefined, baseDir: '.', store: new MemoryStore({ maxKeys: 1 }), operation, openapiVersion: '3.1' }),
    /#\/paths\/~1x\/post\/requestBody\/content\/application\/json: schema cannot be compiled/,
  );
});

test('an invalid parameter style fails the load', () => {
  const operation = {
    method: 'GET', pathTemplate: '/x', tags: [], responses: {}, pointer: '#/paths/~1x/get', extensions: {},
    parameters: [{ name: 'a', in: 'header' as const, style: 'deepObject', schema: { type: 'object' } }],
  };
  assert.throws(
    () => createRequestValidationStage(config(), { apiName: 'a', operationId: undefined, baseDir: '.', store: new MemoryStore({ maxKeys: 1 }), operation, openapiVersion: '3.1' }),
    /style "deepObject" is not allowed/,
  );
});
