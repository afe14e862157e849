import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from '../util/package-root.js';
import type { TSchema } from '@sinclair/typebox';
import { loadConfig } from './load.js';
import { ConfigSchema } from './schema.js';

const file = join(findPackageRoot(import.meta.url), 'portcullis.example.yaml');

/** Every property name reachable through object schemas (arrays and optional wrappers included). */
function keys(schema: TSchema, out = new Set<string>()): Set<string> {
  const s = schema as { properties?: Record<string, TSchema>; items?: TSchema; anyOf?: TSchema[] };
  for (const [name, sub] of Object.entries(s.properties ?? {})) {
    out.add(name);
    keys(sub, out);
  }
  if (s.items !== undefined) keys(s.items, out);
  for (const alt of s.anyOf ?? []) keys(alt, out);
  return out;
}

test('portcullis.example.yaml is a valid config', async () => {
  const loaded = await loadConfig(file);
  assert.equal(loaded.config.apis[0]?.name, 'bookstore');
});

test('portcullis.example.yaml shows every option of the schema', () => {
  const text = readFileSync(file, 'utf8');
  const missing = [...keys(ConfigSchema)].filter((k) => !new RegExp(`(^|[\\s#{,])${k}:`, 'm').test(text));
  assert.deepEqual(missing, []);
});
