import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from '../util/package-root.js';
import type { SecurityEventMessage } from './channels.js';

// Issue 14 item 6: docs/reference/observability.md lists every field of the event model. The
// literal below is typed Required<SecurityEventMessage>, so a new field does not compile until it
// is named here, and then this test fails until the page documents it.
const EVERY_FIELD: Required<SecurityEventMessage> = {
  kind: 'authn.failure', reason: 'expired', requestId: 'r', api: 'a', operationId: 'o', client: '192.0.2.1', principal: 'p',
  scheme: 's', severity: 'low', stage: 'authn', ruleIds: [], excerpt: '', enforced: true, method: 'GET', path: '/', status: 401,
  code: 'PCL_AUTHN_INVALID', routine: false, suppressed: 0, count: 1, sha256: '', signature: '', time: '',
};

const doc = readFileSync(join(findPackageRoot(import.meta.url), 'docs', 'reference', 'observability.md'), 'utf8');
const model = doc.slice(doc.indexOf('## The event model'), doc.indexOf('### Kinds'));

test('observability.md documents every security event field, in the interface block and in the field table', () => {
  const fields = Object.keys(EVERY_FIELD).sort();
  const tabled = [...model.matchAll(/^\| `([A-Za-z0-9]+)` \| (?:yes|no) \|/gm)].map((m) => m[1]!).sort();
  assert.deepEqual(tabled, fields, 'the field table');
  const block = /```ts\n([\s\S]*?)```/.exec(model)?.[1] ?? '';
  const declared = [...block.matchAll(/^ {2}([A-Za-z0-9]+)\??:/gm)].map((m) => m[1]!).sort();
  assert.deepEqual(declared, fields, 'the interface block');
});
