import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { fixture } from './paths.js';

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

/**
 * Checks a SARIF log against the required fields of the SARIF 2.1.0 schema
 * (test/fixtures/sarif/sarif-2.1.0-required.json); returns Ajv's error text, '' when valid.
 */
export function sarifProblems(log: unknown): string {
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
  const validate = ajv.compile(JSON.parse(readFileSync(fixture('sarif', 'sarif-2.1.0-required.json'), 'utf8')) as object);
  return validate(log) ? '' : ajv.errorsText(validate.errors);
}
