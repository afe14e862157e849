import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findPackageRoot } from '../util/package-root.js';
import { PortcullisError } from '../errors/index.js';
import { Router } from '../router/index.js';
import { loadOpenApi } from './load.js';
import type { OperationInfo } from './types.js';

const FIXTURES = resolve(findPackageRoot(import.meta.url), 'test/fixtures/openapi');
const fixture = (name: string) => join(FIXTURES, name);

async function failure(file: string): Promise<string> {
  let message = '';
  await assert.rejects(loadOpenApi(file), (err: unknown) => {
    assert.ok(err instanceof PortcullisError);
    assert.equal(err.code, 'PCL_ERR_OPENAPI_INVALID');
    message = err.message;
    return true;
  });
  return message;
}

function op(ops: readonly OperationInfo[], method: string, template: string): OperationInfo {
  const found = ops.find((o) => o.method === method && o.pathTemplate === template);
  assert.ok(found, `${method} ${template} is listed`);
  return found;
}

describe('loadOpenApi: valid documents', () => {
  it('loads the 3.0 petstore with a relative-file $ref and local $refs', async () => {
    const doc = await loadOpenApi(fixture('petstore.yaml'));
    assert.equal(doc.version, '3.0');
    assert.equal(doc.file, fixture('petstore.yaml'));
    assert.equal(doc.basePath, '/v1');
    assert.equal(doc.circular, false);
    assert.deepEqual([...doc.files].sort(), [fixture('petstore.yaml'), fixture('schemas/pet.yaml')]);
    assert.deepEqual(doc.operations.map((o) => `${o.method} ${o.pathTemplate} ${o.operationId ?? '-'} ${o.pointer}`), [
      'GET /pets listPets #/paths/~1pets/get',
      'POST /pets createPet #/paths/~1pets/post',
      'GET /pets/{petId} showPetById #/paths/~1pets~1{petId}/get',
      'DELETE /pets/{petId} - #/paths/~1pets~1{petId}/delete',
      'GET /files/{name}.{ext} getFile #/paths/~1files~1{name}.{ext}/get',
    ]);

    const list = op(doc.operations, 'GET', '/pets');
    const items = (list.responses as any)['200'].content['application/json'].schema.items;
    assert.deepEqual(items.required, ['id', 'name']);
    assert.deepEqual(items.properties.tag, { type: 'string', pattern: '^[a-z]+$' }, 'a local $ref inside the referenced file');
    assert.deepEqual(list.parameters, [{ name: 'limit', in: 'query', schema: { type: 'integer', maximum: 100 } }]);
    assert.deepEqual(list.tags, ['pets']);

    const create = op(doc.operations, 'POST', '/pets');
    assert.equal((create.requestBody as any).content['application/json'].schema.additionalProperties, false);
    assert.deepEqual(create.tags, ['pets', 'write']);

    const show = op(doc.operations, 'GET', '/pets/{petId}');
    assert.deepEqual((show.responses as any)['200'].content['application/json'].schema.required, ['id', 'name']);
  });

  it('merges path-item and operation parameters, the operation winning by in + name', async () => {
    const doc = await loadOpenApi(fixture('petstore.yaml'));
    const show = op(doc.operations, 'GET', '/pets/{petId}');
    assert.deepEqual(show.parameters.map((p) => `${p.in}:${p.name}`), ['path:petId', 'header:X-Trace']);
    assert.equal(show.parameters[0]?.description, 'operation-level override');
    assert.deepEqual(show.parameters[0]?.schema, { type: 'integer' });
    const remove = op(doc.operations, 'DELETE', '/pets/{petId}');
    assert.deepEqual(remove.parameters[0]?.schema, { type: 'string' });
  });

  it('takes operation-level security, else the document-level one', async () => {
    const doc = await loadOpenApi(fixture('petstore.yaml'));
    assert.deepEqual(op(doc.operations, 'GET', '/pets').security, [{ apiKey: [] }]);
    assert.deepEqual(op(doc.operations, 'POST', '/pets').security, [{ oauth: ['pets:write'] }]);
    assert.deepEqual(op(doc.operations, 'DELETE', '/pets/{petId}').security, [], 'an explicit [] removes security');
    const doc31 = await loadOpenApi(fixture('bookshop-3.1.json'));
    assert.equal(op(doc31.operations, 'GET', '/books').security, undefined);
  });

  it('loads a 3.1 JSON document and ignores webhooks', async () => {
    const doc = await loadOpenApi(fixture('bookshop-3.1.json'));
    assert.equal(doc.version, '3.1');
    assert.equal(doc.basePath, '/api/v2');
    assert.deepEqual(doc.operations.map((o) => o.operationId), ['listBooks', 'getBook']);
    const schema = (op(doc.operations, 'GET', '/books/{isbn}').responses as any)['200'].content['application/json'].schema;
    assert.deepEqual(schema.properties.title.type, ['string', 'null']);
  });

  it('keeps circular schemas as object cycles', async () => {
    const doc = await loadOpenApi(fixture('circular.yaml'));
    assert.equal(doc.circular, true);
    const node = (doc.raw as any).components.schemas.Node;
    assert.equal(node.properties.children.items, node);
    assert.equal(node.properties.owner.properties.pets.items, node);
    const schema = (doc.operations[0]!.responses as any)['200'].content['application/json'].schema;
    assert.equal(schema, node);
  });

  it('routes every operation of the fixtures without conflict', async () => {
    const doc = await loadOpenApi(fixture('petstore.yaml'));
    const router = new Router<OperationInfo>();
    for (const o of doc.operations) router.add(o.method, doc.basePath + o.pathTemplate, o);
    const match = router.find('GET', '/v1/files/report.pdf');
    assert.equal(match.kind, 'found');
    assert.deepEqual(match.kind === 'found' && match.params, { name: 'report', ext: 'pdf' });
    assert.deepEqual(router.find('PUT', '/v1/pets/1'), { kind: 'method-not-allowed', allow: ['DELETE', 'GET'] });
  });
});

describe('loadOpenApi: invalid fixtures', () => {
  it('refuses Swagger 2.0', async () => {
    assert.equal(await failure(fixture('invalid-version.yaml')),
      `${fixture('invalid-version.yaml')}#/swagger: Swagger 2.0 documents are not supported; convert the document to OpenAPI 3.0 or 3.1`);
  });

  it('names the unresolvable $ref and where it is', async () => {
    assert.equal(await failure(fixture('invalid-ref.yaml')),
      `${fixture('invalid-ref.yaml')}: unresolvable $ref "./missing.yaml#/X" at #/paths/~1pets/get/responses/200/content/application~1json/schema: file not found`);
    assert.equal(await failure(fixture('invalid-local-ref.yaml')),
      `${fixture('invalid-local-ref.yaml')}: unresolvable $ref "#/components/schemas/Nope" at #/paths/~1pets/get/responses/200/content/application~1json/schema: the target does not exist`);
  });

  it('refuses an operation that is not an object', async () => {
    assert.equal(await failure(fixture('invalid-operation.yaml')),
      `${fixture('invalid-operation.yaml')}#/paths/~1pets/get: must be an object (an Operation)`);
  });

  it('refuses a duplicate operationId, naming both operations', async () => {
    assert.equal(await failure(fixture('invalid-duplicate-id.yaml')),
      `${fixture('invalid-duplicate-id.yaml')}#/paths/~1pets~1{id}/get/operationId: "pets" is already the operationId of #/paths/~1pets/get`);
  });
});

describe('loadOpenApi: structure checks', () => {
  let dir = '';
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'pcl-openapi-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  let n = 0;
  async function write(text: string, name = `doc${++n}.yaml`): Promise<string> {
    const file = join(dir, name);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
    return file;
  }
  const HEAD = "openapi: 3.0.3\ninfo: { title: t, version: '1' }\n";
  const ok = "{ '200': { description: ok } }";

  const CASES: readonly [string, string, string][] = [
    ['a version other than 3.0/3.1', "openapi: 2.0.0\npaths: {}\n", '#/openapi: version "2.0.0" is not supported: use 3.0.x or 3.1.x'],
    ['a 4.x version', "openapi: 4.0.0\npaths: {}\n", '#/openapi: version "4.0.0" is not supported: use 3.0.x or 3.1.x'],
    ['an unquoted number version', 'openapi: 3.1\npaths: {}\n', '#/openapi: must be a string such as "3.0.3" or "3.1.0" (quote it in YAML), not 3.1'],
    ['no openapi field', 'paths: {}\n', ': is not an OpenAPI document: "openapi" is missing'],
    ['a document that is not an object', '- a\n- b\n', ': must be an OpenAPI document (a YAML or JSON object)'],
    ['missing paths', HEAD, '#/paths: must be an object'],
    ['paths as an array', HEAD + 'paths: []\n', '#/paths: must be an object'],
    ['responses that are not an object', HEAD + 'paths:\n  /pets:\n    get: { responses: [] }\n', '#/paths/~1pets/get/responses: must be an object'],
    ['missing responses in 3.0', HEAD + 'paths:\n  /pets:\n    get: { operationId: x }\n', '#/paths/~1pets/get: "responses" is required in OpenAPI 3.0'],
    ['parameters that are not an array', HEAD + `paths:\n  /pets:\n    parameters: { name: a }\n    get: { responses: ${ok} }\n`, '#/paths/~1pets/parameters: must be an array'],
    ['a parameter with a bad "in"', HEAD + `paths:\n  /pets:\n    get:\n      parameters: [{ name: a, in: body }]\n      responses: ${ok}\n`, '#/paths/~1pets/get/parameters/0/in: must be one of "query", "header", "path", "cookie"'],
    ['a parameter without a name', HEAD + `paths:\n  /pets:\n    get:\n      parameters: [{ in: query }]\n      responses: ${ok}\n`, '#/paths/~1pets/get/parameters/0/name: must be a non-empty string'],
    ['duplicate parameters (header names ignore case)', HEAD + `paths:\n  /pets:\n    get:\n      parameters: [{ name: X-A, in: header }, { name: x-a, in: header }]\n      responses: ${ok}\n`, '#/paths/~1pets/get/parameters/1: duplicates parameter "x-a" in header'],
    ['tags that are not strings', HEAD + `paths:\n  /pets:\n    get: { tags: [1], responses: ${ok} }\n`, '#/paths/~1pets/get/tags/0: must be a string'],
    ['security that is not an array', HEAD + `paths:\n  /pets:\n    get: { security: {}, responses: ${ok} }\n`, '#/paths/~1pets/get/security: must be an array'],
    ['document security that is not an array', HEAD + 'security: yes\npaths: {}\n', '#/security: must be an array'],
    ['a requestBody that is not an object', HEAD + `paths:\n  /pets:\n    post: { requestBody: x, responses: ${ok} }\n`, '#/paths/~1pets/post/requestBody: must be an object'],
    ['a path item that is not an object', HEAD + 'paths:\n  /pets: 1\n', '#/paths/~1pets: must be an object (a Path Item)'],
    ['a path without a leading slash', HEAD + 'paths:\n  pets: {}\n', '#/paths/pets: a path must start with "/"'],
    ['an unroutable template', HEAD + 'paths:\n  /f/{a}{b}: {}\n', '#/paths/~1f~1{a}{b}: path template segment "{a}{b}" has two parameters with no literal between them'],
    ['a server url that is not a string', HEAD + 'servers: [{ url: 1 }]\npaths: {}\n', '#/servers/0/url: must be a string'],
    ['an operation server url that is not a string', HEAD + `paths:\n  /pets:\n    get: { servers: [{}], responses: ${ok} }\n`, '#/paths/~1pets/get/servers/0/url: must be a string'],
    ['an undefined server variable', HEAD + "servers: [{ url: 'https://x/{v}' }]\npaths: {}\n", '#/servers/0/url: uses variable "v" that "variables" does not define'],
    ['a server variable without a default', HEAD + "servers: [{ url: 'https://x/{v}', variables: { v: { enum: [a] } } }]\npaths: {}\n", '#/servers/0/variables/v/default: must be a string'],
    ['a $ref to a URL', HEAD + "paths:\n  /pets:\n    get:\n      responses: { '200': { $ref: 'http://127.0.0.1:9/r.yaml#/R' } }\n", ': unresolvable $ref "http://127.0.0.1:9/r.yaml#/R" at #/paths/~1pets/get/responses/200: only local files can be referenced (URLs are not fetched)'],
    ['a malformed local $ref', HEAD + "paths:\n  /pets:\n    get:\n      responses: { '200': { $ref: '#components' } }\ncomponents: {}\n", ': unresolvable $ref "#components" at #/paths/~1pets/get/responses/200'],
    ['a duplicate key', HEAD + 'paths: {}\npaths: {}\n', ': cannot parse YAML/JSON: Map keys must be unique (line 4, column 1)'],
  ];

  for (const [name, text, expected] of CASES) {
    it(`refuses ${name}`, async () => {
      const file = await write(text);
      assert.equal(await failure(file), file + expected);
    });
  }

  it('refuses a missing file and invalid YAML with its line', async () => {
    assert.equal(await failure(join(dir, 'nope.yaml')), `${join(dir, 'nope.yaml')}: file not found`);
    const file = await write(HEAD + 'paths: {\n');
    assert.match(await failure(file), /: cannot parse YAML\/JSON: .+ \(line \d+, column \d+\)$/);
  });

  it('bounds alias expansion (billion laughs)', async () => {
    const lines = [HEAD + 'paths: {}', 'x-a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) lines.push(`x-${i}: &b${i} [${Array(10).fill(i === 0 ? '*a' : `*b${i - 1}`).join(', ')}]`);
    assert.match(await failure(await write(lines.join('\n'))), /cannot parse YAML\/JSON: .*alias/i);
  });

  it('names the referenced file and pointer when the broken $ref is inside it', async () => {
    await write("Pet:\n  type: object\n  properties:\n    tag: { $ref: '#/Tag' }\n", 'schemas/broken.yaml');
    const file = await write(HEAD + `paths:\n  /pets:\n    get:\n      responses:\n        '200':\n          description: ok\n          content: { application/json: { schema: { $ref: './schemas/broken.yaml#/Pet' } } }\n`);
    assert.equal(await failure(file), 'schemas/broken.yaml: unresolvable $ref "#/Tag" at #/Pet/properties/tag: the target does not exist');
  });

  it('refuses a referenced file that does not parse', async () => {
    await write('A: [unclosed\n', 'bad.yaml');
    const file = await write(HEAD + "paths:\n  /pets:\n    get:\n      responses: { '200': { $ref: './bad.yaml#/A' } }\n");
    assert.match(await failure(file), /: unresolvable \$ref "\.\/bad\.yaml#\/A" at #\/paths\/~1pets\/get\/responses\/200: /);
  });

  it('computes the base path from servers[0]', async () => {
    const base = async (servers: string) => (await loadOpenApi(await write(HEAD + `servers: ${servers}\npaths: {}\n`))).basePath;
    assert.equal(await base("[{ url: 'https://api.example.com' }]"), '');
    assert.equal(await base("[{ url: 'https://api.example.com/' }]"), '');
    assert.equal(await base("[{ url: '/' }]"), '');
    assert.equal(await base("[{ url: '/v1' }, { url: '/v2' }]"), '/v1');
    assert.equal(await base("[{ url: 'v1/' }]"), '/v1');
    assert.equal(await base("[{ url: '//cdn.example/a/b' }]"), '/a/b');
    assert.equal(await base("[{ url: 'https://{host}/{base}/x', variables: { host: { default: 'h.example' }, base: { default: 'api/v3' } } }]"), '/api/v3/x');
    assert.equal((await loadOpenApi(await write(HEAD + 'paths: {}\n'))).basePath, '');
  });

  it('skips x- extension keys in paths and allows responses to be absent in 3.1', async () => {
    const file = await write("openapi: 3.1.0\ninfo: { title: t, version: '1' }\npaths:\n  x-note: hello\n  /a:\n    get: { operationId: a }\n");
    const doc = await loadOpenApi(file);
    assert.deepEqual(doc.operations.map((o) => [o.method, o.pathTemplate, o.responses]), [['GET', '/a', undefined]]);
  });
});
