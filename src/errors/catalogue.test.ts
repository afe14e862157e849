import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from '../util/package-root.js';
import { CLIENT_ERRORS, OPERATOR_ERRORS } from './codes.js';
import { GatewayError } from './gateway-error.js';
import { rawProblemResponse, toProblem } from './problem.js';


const doc = readFileSync(join(findPackageRoot(import.meta.url), 'docs', 'reference', 'errors.md'), 'utf8');
const rows = [...doc.matchAll(/^\| `(PCL_[A-Z_]+)` \|(?: (\d{3}) \|)?/gm)].map((m) => ({ code: m[1]!, status: m[2] }));

test('docs/reference/errors.md lists exactly the codes in codes.ts', () => {
  const documented = rows.map((r) => r.code).sort();
  const coded = [...Object.keys(CLIENT_ERRORS), ...Object.keys(OPERATOR_ERRORS)].sort();
  assert.deepEqual(documented, coded);
});

test('documented statuses match the code', () => {
  for (const r of rows.filter((x) => x.status !== undefined)) {
    assert.equal(Number(r.status), CLIENT_ERRORS[r.code as keyof typeof CLIENT_ERRORS].status, r.code);
  }
});

test('a problem document has the RFC 9457 members and the request id as instance', () => {
  const p = toProblem(new GatewayError('PCL_METHOD_NOT_ALLOWED', { detail: 'nope', extensions: { extra: 1 } }), 'abc');
  assert.deepEqual(p, { extra: 1, type: 'https://portcullis.dev/problems/method-not-allowed', title: 'Method Not Allowed', status: 405, code: 'PCL_METHOD_NOT_ALLOWED', detail: 'nope', instance: 'urn:request:abc' });
});

test('extensions cannot override the standard members', () => {
  const p = toProblem(new GatewayError('PCL_ROUTE_NOT_FOUND', { extensions: { status: 200, code: 'X' } }), 'id');
  assert.equal(p.status, 404);
  assert.equal(p.code, 'PCL_ROUTE_NOT_FOUND');
});

test('the raw response is a well-formed HTTP/1.1 message with a matching Content-Length', () => {
  const raw = rawProblemResponse(new GatewayError('PCL_HEADERS_TOO_LARGE'), 'id1');
  const [head, body] = raw.split('\r\n\r\n');
  assert.match(head!, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  assert.match(head!, /\r\nContent-Length: (\d+)/);
  assert.equal(Number(/Content-Length: (\d+)/.exec(head!)![1]), Buffer.byteLength(body!));
  assert.equal(JSON.parse(body!).code, 'PCL_HEADERS_TOO_LARGE');
});
