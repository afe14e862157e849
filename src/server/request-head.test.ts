import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { checkRequestHead } from './request-head.js';
import { clientErrorCode } from './client-error.js';

function head(version: '1.0' | '1.1', raw: string[]): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) headers[raw[i]!.toLowerCase()] ??= raw[i + 1]!;
  return { httpVersionMajor: 1, httpVersionMinor: version === '1.0' ? 0 : 1, headers, rawHeaders: raw } as unknown as IncomingMessage;
}

test('sound heads pass', () => {
  for (const host of ['a', 'api.example.com', 'api.example.com:8443', '10.0.0.1', '[::1]:80', 'under_score.local']) {
    assert.equal(checkRequestHead(head('1.1', ['Host', host])), undefined, host);
  }
  assert.equal(checkRequestHead(head('1.0', [])), undefined);
});

test('attack: repeated, missing and malformed Host headers get PCL_BAD_HEADER', () => {
  const cases: [string, IncomingMessage][] = [
    ['two Host', head('1.1', ['Host', 'a', 'host', 'b'])],
    ['missing on 1.1', head('1.1', [])],
    ['path', head('1.1', ['Host', 'evil/x@y'])],
    ['parameter', head('1.1', ['Host', 'a;for=6.6.6.6'])],
    ['empty', head('1.1', ['Host', ''])],
    ['userinfo', head('1.1', ['Host', 'user@a'])],
    ['bad port', head('1.1', ['Host', 'a:x'])],
  ];
  for (const [name, req] of cases) assert.equal(checkRequestHead(req)?.code, 'PCL_BAD_HEADER', name);
});

test('attack: Transfer-Encoding on HTTP/1.0 is PCL_REQUEST_SMUGGLING', () => {
  assert.equal(checkRequestHead(head('1.0', ['Transfer-Encoding', 'chunked']))?.code, 'PCL_REQUEST_SMUGGLING');
});

test('Content-Length with Transfer-Encoding maps to PCL_REQUEST_SMUGGLING whichever llhttp reports', () => {
  const err = (code: string, message: string) => Object.assign(new Error(message), { code });
  assert.equal(clientErrorCode(err('HPE_INVALID_TRANSFER_ENCODING', "Parse Error: Transfer-Encoding can't be present with Content-Length")), 'PCL_REQUEST_SMUGGLING');
  assert.equal(clientErrorCode(err('HPE_INVALID_CONTENT_LENGTH', "Parse Error: Content-Length can't be present with Transfer-Encoding")), 'PCL_REQUEST_SMUGGLING');
  assert.equal(clientErrorCode(err('HPE_INVALID_CONTENT_LENGTH', 'Parse Error: Invalid character in Content-Length')), 'PCL_BAD_CONTENT_LENGTH');
  assert.equal(clientErrorCode(err('HPE_INVALID_METHOD', 'Parse Error: Invalid method encountered')), 'PCL_METHOD_NOT_IMPLEMENTED');
});
