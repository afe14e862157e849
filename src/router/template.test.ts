import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalLiteral } from './percent.js';
import { parsePrefix, parseTemplate } from './template.js';

describe('parseTemplate', () => {
  it('splits segments into static ones and templated ones with literals between parameters', () => {
    assert.deepEqual(parseTemplate('/files/{name}.{ext}'), {
      segments: [
        { kind: 'static', value: 'files' },
        { kind: 'templated', literals: ['', '.', ''], names: ['name', 'ext'], shape: '{}.{}' },
      ],
      names: ['name', 'ext'],
    });
    assert.deepEqual(parseTemplate('/'), { segments: [{ kind: 'static', value: '' }], names: [] });
    assert.deepEqual(parseTemplate('/r/report-{y}.json/'), {
      segments: [
        { kind: 'static', value: 'r' },
        { kind: 'templated', literals: ['report-', '.json'], names: ['y'], shape: 'report-{}.json' },
        { kind: 'static', value: '' },
      ],
      names: ['y'],
    });
  });

  it('gives equivalent templates the same shape', () => {
    const a = parseTemplate('/p/{id}.%6Ason');
    const b = parseTemplate('/p/{petId}.json');
    assert.ok(!('problem' in a) && !('problem' in b));
    assert.deepEqual(a.segments.map((s) => (s.kind === 'templated' ? s.shape : s.value)), ['p', '{}.json']);
    assert.deepEqual(b.segments.map((s) => (s.kind === 'templated' ? s.shape : s.value)), ['p', '{}.json']);
  });

  it('explains why a template cannot be routed', () => {
    assert.deepEqual(parseTemplate('/a/{x}{y}'), { problem: 'segment "{x}{y}" has two parameters with no literal between them' });
    assert.deepEqual(parseTemplate('/a/{x}/b/{x}'), { problem: 'parameter "x" appears twice' });
    assert.deepEqual(parseTemplate('/a/%2e%2E'), { problem: 'must not contain "." or ".." segments' });
    assert.deepEqual(parseTemplate('/a/b%2fc'), { problem: 'segment "b%2fc" contains an encoded "/" or "\\"' });
  });
});

describe('parsePrefix', () => {
  it('ignores a trailing slash and canonicalises literals', () => {
    assert.deepEqual(parsePrefix('/'), { segments: [] });
    assert.deepEqual(parsePrefix('/%61pi/v1/'), { segments: ['api', 'v1'] });
    assert.deepEqual(parsePrefix('/api/{x}'), { problem: 'must not contain "{" or "}"' });
  });
});

describe('canonicalLiteral', () => {
  it('produces what normalizePath produces for the same text', () => {
    assert.deepEqual(canonicalLiteral('caf\u00e9'), { value: 'caf%C3%A9' });
    assert.deepEqual(canonicalLiteral('caf%c3%a9'), { value: 'caf%C3%A9' });
    assert.deepEqual(canonicalLiteral('%7e%41 |'), { value: '~A%20%7C' });
    assert.deepEqual(canonicalLiteral('\u{1F600}'), { value: '%F0%9F%98%80' });
  });

  it('refuses what no normalised path contains', () => {
    assert.deepEqual(canonicalLiteral('%C0%AE'), { problem: 'contains invalid UTF-8 percent-encoding' });
    assert.deepEqual(canonicalLiteral('%c3'), { problem: 'contains invalid UTF-8 percent-encoding' });
    assert.deepEqual(canonicalLiteral('a%00'), { problem: 'contains an encoded control character' });
    assert.deepEqual(canonicalLiteral('a\\b'), { problem: 'contains a backslash' });
    assert.deepEqual(canonicalLiteral('%zz'), { problem: 'contains an invalid percent-encoding' });
  });
});
