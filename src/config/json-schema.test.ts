import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { configJsonSchema } from './json-schema.js';

describe('configJsonSchema', () => {
  it('is plain draft-07 JSON with the config properties', () => {
    const schema = configJsonSchema() as { $schema: string; title: string; properties: Record<string, unknown> };
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(schema.title, 'Portcullis configuration');
    assert.ok(schema.properties.apis);
    assert.ok(schema.properties.server);
    assert.deepEqual((schema as { required?: string[] }).required, ['apis'], 'keys with defaults are optional to an editor');
    const text = JSON.stringify(schema);
    assert.deepEqual(JSON.parse(text), schema);
    assert.doesNotMatch(text, /http-url/, 'editors do not know the custom format');
    assert.notEqual(configJsonSchema(), configJsonSchema());
  });

  it('validates configs in a stock validator without Portcullis formats', () => {
    const ajv = new Ajv({ strict: false, validateFormats: false });
    const validate = ajv.compile(configJsonSchema());
    assert.equal(validate({ apis: [{ name: 'demo', upstream: 'http://127.0.0.1:3000', prefixes: ['/'] }] }), true);
    assert.equal(validate({ apis: [{ name: 'demo', upstream: 'ftp://127.0.0.1', prefixes: ['/'] }] }), false);
    assert.equal(validate({ apis: [], extra: 1 }), false);
  });
});
