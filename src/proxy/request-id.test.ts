import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { acceptOrCreateRequestId, isValidRequestId } from './request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('acceptOrCreateRequestId', () => {
  it('keeps a valid client id', () => {
    for (const id of ['abcdefgh', 'trace:01HV.x_y-z', '0f8fad5b-d9cb-469f-a165-70867728950e', 'a'.repeat(128)]) {
      assert.equal(acceptOrCreateRequestId(id), id);
    }
  });

  it('replaces invalid or dangerous ids with a new UUID (attack: header and log injection)', () => {
    const bad = ['short', '', 'a'.repeat(129), 'abc defgh', 'abcdefgh\r\nSet-Cookie: a=b', 'abcdefgh\n', '<script>alert(1)</script>',
      '../../etc/passwd', 'abcdefgh%0d%0a', 'ａｂｃｄｅｆｇｈ', 'abcdefgh\u0000'];
    for (const id of bad) {
      const out = acceptOrCreateRequestId(id);
      assert.notEqual(out, id, JSON.stringify(id));
      assert.match(out, UUID);
    }
  });

  it('replaces a repeated header (several values) and a missing one', () => {
    assert.match(acceptOrCreateRequestId(['abcdefgh1', 'abcdefgh2']), UUID);
    assert.match(acceptOrCreateRequestId(undefined), UUID);
  });

  it('creates distinct ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => acceptOrCreateRequestId(undefined)));
    assert.equal(ids.size, 1000);
  });

  it('accepts exactly the documented alphabet', () => {
    assert.equal(isValidRequestId('AZaz09._:-'), true);
    for (const c of ['/', '+', '=', '"', '\'', ';', ',', '@', '~']) assert.equal(isValidRequestId(`abcdefgh${c}`), false, c);
  });
});
