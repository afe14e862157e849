import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, pathTemplate } from './path-template.js';

// The implementation before ADR 0027's short-segment test: all six kinds tried on every segment that is not a plain name.
function reference(path: string): string {
  const q = path.indexOf('?');
  const bare = q === -1 ? path : path.slice(0, q);
  let seen: Map<string, number> | undefined;
  const out = bare.split('/').map((segment) => {
    if (segment === '') return segment;
    let kind: string | undefined;
    for (const [re, name] of KINDS) if (re.test(segment)) { kind = name; break; }
    if (kind === undefined && (segment.length > 40 || segment.includes('%'))) kind = 'value';
    if (kind === undefined) return segment;
    seen ??= new Map<string, number>();
    const n = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, n);
    return `{${n === 1 ? kind : `${kind}${n}`}}`;
  });
  return out.join('/') || '/';
}

test('values are folded into numbered kinds; names and the query are kept out', () => {
  assert.equal(pathTemplate('/v1/users/42/files/3f2c9b1e-1c4a-4e8f-9a77-0c2d8e1b5a60'), '/v1/users/{id}/files/{uuid}');
  assert.equal(pathTemplate('/pass/v1/tenants/acme/items/42?x=1'), '/pass/v1/tenants/acme/items/{id}');
  assert.equal(pathTemplate('/a/1/b/2'), '/a/{id}/b/{id2}');
  assert.equal(pathTemplate('/u/a@b.io/x%2Fy'), '/u/{email}/{value}');
  assert.equal(pathTemplate(''), '/');
  assert.equal(pathTemplate('?q'), '/');
  assert.equal(pathTemplate('/v1/items'), '/v1/items');
});

test('the short-segment test gives what the six regexes gave, on segments of every kind and length', () => {
  const segments = ['', 'v1', 'v2beta', 'items', '42', '0', '007', '1a', 'a1@', '@', 'a@b.c', 'x%20y', '%', 'é1', 'ab12cd34ef56ab7', 'ab12cd34ef56ab78',
    '3f2c9b1e-1c4a-4e8f-9a77-0c2d8e1b5a60', '01ARZ3NDEKTSV4RRFFQ69G5FAV', 'abcdefghij1234567890', 'abcdefghij123456789', 'a'.repeat(41), 'a'.repeat(40),
    '123456789012345', '1234567890123456', 'user.name+tag@example.org', 'ABCDEF0123456789', 'token_with-dash=1234567890ab', 'a b', 'ü'.repeat(20)];
  for (const a of segments) {
    for (const b of segments) {
      const path = `/${a}/x/${b}/${a}`;
      assert.equal(pathTemplate(path), reference(path), path);
    }
  }
});
