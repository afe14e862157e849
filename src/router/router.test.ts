import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PortcullisError } from '../errors/index.js';
import { normalizePath } from './normalize.js';
import { Router, type RouteMatch } from './router.js';

function found<T>(match: RouteMatch<T>): { value: T; params: Record<string, string>; template: string } {
  assert.equal(match.kind, 'found', `expected found, got ${JSON.stringify(match)}`);
  const { value, params, template } = match as Extract<RouteMatch<T>, { kind: 'found' }>;
  return { value, params, template };
}

function conflict(fn: () => void, code = 'PCL_ERR_ROUTE_CONFLICT'): string {
  let message = '';
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PortcullisError);
    assert.equal(err.code, code);
    message = err.message;
    return true;
  });
  return message;
}

describe('Router: priority', () => {
  const router = new Router<string>();
  router.add('GET', '/pets/{petId}', 'getPet');
  router.add('GET', '/pets/mine', 'getMine');
  router.add('GET', '/pets', 'listPets');
  router.add('GET', '/pets/{petId}/toys/{toyId}', 'getToy');
  router.add('GET', '/pets/mine/toys/special', 'getSpecial');
  router.add('DELETE', '/pets/{petId}', 'deletePet');
  router.add('GET', '/', 'root');

  it('prefers a static segment over a templated one', () => {
    assert.deepEqual(found(router.find('GET', '/pets/mine')), { value: 'getMine', params: {}, template: '/pets/mine' });
    assert.deepEqual(found(router.find('GET', '/pets/42')), { value: 'getPet', params: { petId: '42' }, template: '/pets/{petId}' });
  });

  it('falls back to the templated branch when the static one fails deeper', () => {
    assert.deepEqual(found(router.find('GET', '/pets/mine/toys/7')).params, { petId: 'mine', toyId: '7' });
    assert.equal(found(router.find('GET', '/pets/mine/toys/special')).value, 'getSpecial');
  });

  it('falls back to the templated branch for a method only it documents', () => {
    assert.deepEqual(found(router.find('DELETE', '/pets/mine')), { value: 'deletePet', params: { petId: 'mine' }, template: '/pets/{petId}' });
  });

  it('matches the root and keeps trailing slashes distinct', () => {
    assert.equal(found(router.find('GET', '/')).value, 'root');
    assert.deepEqual(router.find('GET', '/pets/'), { kind: 'not-found' });
    assert.deepEqual(router.find('GET', '/pets/42/'), { kind: 'not-found' });
  });

  it('never lets a parameter match an empty segment or a slash', () => {
    assert.deepEqual(router.find('GET', '/pets//toys/1'), { kind: 'not-found' });
    assert.deepEqual(router.find('GET', '/pets/1/2'), { kind: 'not-found' });
  });

  it('compares methods case-sensitively but upper-cases in add', () => {
    const r = new Router<string>();
    r.add('get', '/x', 'x');
    assert.equal(found(r.find('GET', '/x')).value, 'x');
    assert.deepEqual(r.find('get', '/x'), { kind: 'method-not-allowed', allow: ['GET'] });
  });
});

describe('Router: templated segments with several parameters', () => {
  const router = new Router<string>();
  router.add('GET', '/files/{name}.{ext}', 'file');
  router.add('GET', '/files/{id}', 'byId');
  router.add('GET', '/v{major}-{minor}/x', 'versioned');
  router.add('GET', '/reports/report-{year}.json', 'report');

  it('splits on literals, shortest run first, the last parameter taking the rest', () => {
    assert.deepEqual(found(router.find('GET', '/files/a.txt')).params, { name: 'a', ext: 'txt' });
    assert.deepEqual(found(router.find('GET', '/files/a.tar.gz')).params, { name: 'a', ext: 'tar.gz' });
    assert.deepEqual(found(router.find('GET', '/v1-2/x')).params, { major: '1', minor: '2' });
    assert.deepEqual(found(router.find('GET', '/reports/report-2024.json')).params, { year: '2024' });
  });

  it('needs at least one character per parameter, else tries the next candidate', () => {
    assert.deepEqual(found(router.find('GET', '/files/.txt')), { value: 'byId', params: { id: '.txt' }, template: '/files/{id}' });
    assert.deepEqual(found(router.find('GET', '/files/a.')).params, { id: 'a.' });
    assert.deepEqual(found(router.find('GET', '/files/abc')).params, { id: 'abc' });
    assert.deepEqual(router.find('GET', '/reports/report-.json'), { kind: 'not-found' });
    assert.deepEqual(router.find('GET', '/v1/x'), { kind: 'not-found' });
  });

  it('never matches a literal inside a %XX triplet', () => {
    const r = new Router<string>();
    r.add('GET', '/t/{a}A{b}', 'split');
    r.add('GET', '/t/{a}', 'whole');
    // the "A" of %A9 is part of an encoded byte, not the literal
    assert.deepEqual(found(r.find('GET', '/t/x%C3%A9y')), { value: 'whole', params: { a: 'x\u00e9y' }, template: '/t/{a}' });
    assert.deepEqual(found(r.find('GET', '/t/x%C3%A9Ay')).params, { a: 'x\u00e9', b: 'y' });
    const s = new Router<string>();
    s.add('GET', '/s/{a}9', 'suffix');
    assert.deepEqual(s.find('GET', '/s/x%A9'), { kind: 'not-found' });
  });

  it('matches a long hostile segment and a long hostile path', () => {
    const dots = 'x.'.repeat(10_000) + 'y';
    const { name, ext } = found(router.find('GET', `/files/${dots}`)).params;
    assert.equal(name, 'x');
    assert.ok(ext === dots.slice(2), 'ext is everything after the first dot');
    const dashes = '/v' + '-'.repeat(10_000) + '/x';
    const { major, minor } = found(router.find('GET', dashes)).params;
    assert.equal(major, '-');
    assert.equal(minor, '-'.repeat(9_998));
    assert.deepEqual(router.find('GET', '/files' + '/a'.repeat(10_000)), { kind: 'not-found' });
    const r = new Router<string>();
    r.add('GET', '/{a}/{b}/{c}', 'abc');
    r.add('GET', '/{a}.{b}/{c}/{d}', 'abcd');
    assert.deepEqual(r.find('GET', '/' + 'a.'.repeat(5_000) + '/b'.repeat(10_000)), { kind: 'not-found' });
  });
});

describe('Router: parameters', () => {
  const router = new Router<string>();
  router.add('GET', '/users/{user}/files/{file}', 'f');

  it('percent-decodes parameter values after normalisation', () => {
    const { path } = normalizePath('/users/j%C3%B6rg/files/my%20file%3B1');
    assert.deepEqual(found(router.find('GET', path)).params, { user: 'j\u00f6rg', file: 'my file;1' });
    assert.deepEqual(found(router.find('GET', normalizePath('/users/%61%62/files/x%7Cy').path)).params, { user: 'ab', file: 'x|y' });
  });

  it('matches template literals written in any spelling', () => {
    const r = new Router<string>();
    r.add('GET', '/caf\u00e9/%7euser/%41', 'cafe');
    assert.equal(found(r.find('GET', normalizePath('/caf%c3%a9/~user/A').path)).value, 'cafe');
  });

  it('answers not-found when a parameter is not valid UTF-8 (not normalised input)', () => {
    assert.deepEqual(router.find('GET', '/users/%C3/files/x'), { kind: 'not-found' });
  });
});

describe('Router: 405', () => {
  const router = new Router<string>();
  router.add('GET', '/pets/{id}', 'get');
  router.add('PUT', '/pets/{petId}', 'put');
  router.add('POST', '/pets/special', 'special');
  router.add('DELETE', '/pets/{id}.json', 'json');

  it('lists every documented method of every matching template, sorted', () => {
    assert.deepEqual(router.find('PATCH', '/pets/1'), { kind: 'method-not-allowed', allow: ['GET', 'PUT'] });
    assert.deepEqual(router.find('PATCH', '/pets/special'), { kind: 'method-not-allowed', allow: ['GET', 'POST', 'PUT'] });
    assert.deepEqual(router.find('PATCH', '/pets/1.json'), { kind: 'method-not-allowed', allow: ['DELETE', 'GET', 'PUT'] });
  });

  it('does not imply HEAD or OPTIONS', () => {
    assert.equal(router.find('HEAD', '/pets/1').kind, 'method-not-allowed');
    assert.equal(router.find('OPTIONS', '/pets/1').kind, 'method-not-allowed');
  });

  it('answers not-found when no template matches', () => {
    assert.deepEqual(router.find('GET', '/cats/1'), { kind: 'not-found' });
    assert.deepEqual(router.find('GET', '/pets'), { kind: 'not-found' });
    assert.deepEqual(router.find('GET', 'pets'), { kind: 'not-found' });
  });
});

describe('Router: conflicts and invalid templates', () => {
  it('refuses the same method on an equivalent template, naming both', () => {
    const r = new Router<string>();
    r.add('GET', '/pets/{id}', 'a');
    const message = conflict(() => r.add('get', '/pets/{petId}', 'b'));
    assert.match(message, /GET \/pets\/\{petId\} conflicts with GET \/pets\/\{id\}/);
    conflict(() => r.add('GET', '/pets/{id}', 'c'));
    r.add('POST', '/pets/{petId}', 'd');
    const s = new Router<string>();
    s.add('GET', '/f/{a}.{b}', 'x');
    conflict(() => s.add('GET', '/f/{n}.{e}', 'y'));
    s.add('GET', '/f/{a}-{b}', 'z');
    s.add('GET', '/f/{a}', 'w');
  });

  it('treats literals in different spellings as the same template', () => {
    const r = new Router<string>();
    r.add('GET', '/%70ets', 'a');
    conflict(() => r.add('GET', '/pets', 'b'));
  });

  it('refuses templates that can never match a normalised path', () => {
    const bad = ['pets', '/a//b', '/a/../b', '/a/%2e', '/{a}{b}', '/{}', '/{a', '/a}', '/{a}/{a}', '/a%2Fb', '/a\\b', '/a?b', '/{__proto__}', '/%zz', '/{a{b}}'];
    for (const template of bad) conflict(() => new Router<string>().add('GET', template, 'x'), 'PCL_ERR_OPENAPI_INVALID');
    conflict(() => new Router<string>().add('GE T', '/a', 'x'), 'PCL_ERR_OPENAPI_INVALID');
  });
});

describe('Router: prefixes', () => {
  const router = new Router<string>();
  router.addPrefix('/api', 'api');
  router.addPrefix('/api/v2/', 'v2');
  router.addPrefix('/', 'catch-all');
  router.add('GET', '/api/v2/pets/{id}', 'getPet');

  it('matches at segment boundaries, longest prefix first, any method', () => {
    assert.deepEqual(found(router.find('DELETE', '/api')), { value: 'api', params: {}, template: '/api' });
    assert.equal(found(router.find('GET', '/api/')).value, 'api');
    assert.equal(found(router.find('PATCH', '/api/x/y')).value, 'api');
    assert.equal(found(router.find('GET', '/apix')).value, 'catch-all');
    assert.equal(found(router.find('GET', '/api/v2')).value, 'v2');
    assert.equal(found(router.find('GET', '/api/v2/pets')).value, 'v2');
    assert.equal(found(router.find('GET', '/api/v22')).value, 'api');
    assert.equal(found(router.find('GET', '/')).value, 'catch-all');
  });

  it('lets documented operations beat prefixes, including for 405', () => {
    assert.deepEqual(found(router.find('GET', '/api/v2/pets/1')).params, { id: '1' });
    assert.deepEqual(router.find('DELETE', '/api/v2/pets/1'), { kind: 'method-not-allowed', allow: ['GET'] });
    assert.equal(found(router.find('GET', '/api/v2/pets/1/x')).value, 'v2');
  });

  it('refuses an equal prefix and malformed ones', () => {
    conflict(() => router.addPrefix('/api/', 'again'));
    conflict(() => router.addPrefix('/%61pi', 'again'));
    conflict(() => router.addPrefix('/', 'again'));
    for (const prefix of ['api', '/api/{x}', '/a//b', '/a/..']) {
      conflict(() => new Router<string>().addPrefix(prefix, 'x'), 'PCL_ERR_CONFIG_INVALID');
    }
  });

  it('answers not-found without a matching prefix', () => {
    const r = new Router<string>();
    r.addPrefix('/api', 'api');
    assert.deepEqual(r.find('GET', '/other'), { kind: 'not-found' });
    assert.deepEqual(r.find('GET', '/'), { kind: 'not-found' });
  });
});

describe('Router: many routes', () => {
  it('switches to a map lookup past a few static children and still matches', () => {
    const r = new Router<number>();
    for (let i = 0; i < 50; i++) r.add('GET', `/r${i}/{id}`, i);
    for (const i of [0, 7, 8, 9, 49]) assert.deepEqual(found(r.find('GET', `/r${i}/x`)), { value: i, params: { id: 'x' }, template: `/r${i}/{id}` });
    assert.deepEqual(r.find('GET', '/r50/x'), { kind: 'not-found' });
    conflict(() => r.add('GET', '/r9/{other}', 0));
  });
});
