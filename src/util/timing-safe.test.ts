import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { timingSafeEqualString } from './timing-safe.js';

describe('timingSafeEqualString', () => {
  it('is true only for identical strings', () => {
    assert.equal(timingSafeEqualString('s3cret-key', 's3cret-key'), true);
    assert.equal(timingSafeEqualString('s3cret-key', 's3cret-kez'), false);
    assert.equal(timingSafeEqualString('', ''), true);
  });

  it('handles length mismatches without throwing (prefixes are not equal)', () => {
    assert.equal(timingSafeEqualString('s3cret', 's3cret-key'), false);
    assert.equal(timingSafeEqualString('s3cret-key', ''), false);
    assert.equal(timingSafeEqualString('a'.repeat(10_000), 'a'), false);
  });

  it('compares by UTF-8 content, not UTF-16 quirks', () => {
    assert.equal(timingSafeEqualString('clé', 'clé'), true);
    assert.equal(timingSafeEqualString('clé', 'cle\u0301'), false);
    assert.equal(timingSafeEqualString('a\u0000', 'a'), false);
  });
});
